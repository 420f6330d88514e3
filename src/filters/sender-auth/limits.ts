/*
 * Limits on what one message may make the sender-auth filter do, each
 * with its reason. Everything here is the sender's choice: the envelope,
 * the signatures, the From field, the zones they point at.
 *
 * Exports: the constants below.
 * Security: each bounds DNS questions, CPU or the size of what we write
 * for hostile input. The per-message DNS bounds themselves (questions and
 * time) are settings (settings.ts).
 */

/**
 * DKIM signatures verified, the topmost (newest) first; the others are left out of the verification copy. Real mail
 * carries one to three; each costs a key lookup, a signature check and maybe a hash of the whole body (l=, c=).
 */
export const MAX_SIGNATURES = 10;

/** Distinct From domains whose DMARC policy is looked up for a message with several From addresses (the strictest applies): two DNS questions each. */
export const MAX_FROM_DOMAINS = 5;

/** Questions about the From domain's own zone, a budget of their own: its policy (the record, then the Organizational Domain's, for each From domain) and its signatures' keys. */
export const AUTHOR_QUERIES = 2 * MAX_FROM_DOMAINS + MAX_SIGNATURES;

/** TXT records passed on from one answer: an SPF or DMARC name has one or two; a zone may publish hundreds to waste our time. */
export const MAX_TXT_RECORDS = 50;

/** Characters of a comment copied from a check's explanation into our header: enough to say why, never a copy of sender-chosen text at length. */
export const MAX_COMMENT_CHARS = 80;

/** Characters of a signature's b= value in header.b (RFC 6008 section 4: enough to tell the signatures of one message apart). */
export const HEADER_B_CHARS = 8;
