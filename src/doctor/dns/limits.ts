/*
 * Limits on what a zone controls while the doctor reads it: records,
 * record sizes, SPF include depth and lookups, tree climbing. A hostile or
 * broken zone can publish anything; each bound keeps one check's work and
 * memory small, and a check that reaches one says so instead of guessing.
 * The protocol limits the checks enforce (SPF's 10 lookups...) are here
 * too, each with its section.
 *
 * Exports: MAX_TXT_RECORDS, MAX_RECORD_OCTETS, MAX_SPF_TERMS,
 * MAX_SPF_TERM_OCTETS, SPF_LOOKUP_LIMIT, SPF_VOID_LIMIT, SPF_MX_NAME_LIMIT,
 * MAX_SPF_RECORDS_FOLLOWED, MAX_SPF_INCLUDE_DEPTH, MAX_SPF_WALK_QUERIES,
 * MAX_CHECK_HOST_QUERIES, MAX_OWN_ADDRESSES, MAX_MX_RECORDS,
 * MAX_HOST_ADDRESSES, MAX_NAME_CLIMB, MAX_REPORT_URIS, MAX_TAGS,
 * MAX_RRSET_RECORDS, TXT_STRING_OCTETS.
 * Security: these bound work per check; none is a protocol maximum that a
 * correct zone could reach.
 * Standards: RFC 7208 section 4.6.4 (SPF lookup limits), RFC 1035 section
 * 3.3 (character-strings).
 */

/** TXT records read at one name: a domain apex with SPF and a few verification tokens has a handful; more is a zone making us parse. */
export const MAX_TXT_RECORDS = 50;

/** Octets of one TXT record (its strings joined) that a parser reads: an RSA-4096 DKIM record is about 750, SPF should stay under 450 (RFC 7208 3.4). */
export const MAX_RECORD_OCTETS = 4_096;

/** Octets in one character-string of a TXT record (RFC 1035 section 3.3: a one-octet length). */
export const TXT_STRING_OCTETS = 255;

/** Terms parsed in one SPF record: a record of 4 KiB cannot usefully hold more. */
export const MAX_SPF_TERMS = 100;

/** Octets of one SPF term that is parsed: a domain-spec is at most 253 octets plus a mechanism name and CIDR lengths; longer is garbage. */
export const MAX_SPF_TERM_OCTETS = 512;

/** RFC 7208 section 4.6.4: DNS-querying terms (include, a, mx, ptr, exists, redirect) per check_host, recursively. */
export const SPF_LOOKUP_LIMIT = 10;

/** RFC 7208 section 4.6.4: terms whose lookup comes back empty (NXDOMAIN or NODATA). */
export const SPF_VOID_LIMIT = 2;

/** RFC 7208 section 4.6.4: names one "mx" mechanism may yield. */
export const SPF_MX_NAME_LIMIT = 10;

/** SPF records fetched while following include and redirect: past the limit of 10 lookups, a few more prove the count is over. */
export const MAX_SPF_RECORDS_FOLLOWED = 25;

/** Nesting of include/redirect followed: each level costs a lookup, so deeper than this is over the limit anyway. */
export const MAX_SPF_INCLUDE_DEPTH = 12;

/** DNS questions one SPF walk may ask (TXT, A, AAAA, MX of every term): bounds a zone of includes that each name many hosts. */
export const MAX_SPF_WALK_QUERIES = 150;

/** DNS questions one check_host evaluation may ask (mailauth bounds terms, this bounds everything it asks through us). */
export const MAX_CHECK_HOST_QUERIES = 150;

/** Our own public addresses evaluated with check_host (D08, D12): a host has one or two of each family. */
export const MAX_OWN_ADDRESSES = 8;

/** MX records looked at: a domain has one to five; each costs lookups of its host. */
export const MAX_MX_RECORDS = 20;

/** Addresses per host classified (C04): one host with more is a round-robin pool, and 20 say enough. */
export const MAX_HOST_ADDRESSES = 20;

/** Labels climbed towards the root (CAA inheritance, finding a zone's apex, a DMARC parent record): DNS names have at most 127, real ones under 10. */
export const MAX_NAME_CLIMB = 10;

/** rua/ruf URIs looked at per record: receivers send to a few (RFC 7489 7.2.1 lets them limit it). */
export const MAX_REPORT_URIS = 10;

/** Tags read from one tag-list (DKIM key record, DMARC, TLS-RPT): the RFCs define about a dozen. */
export const MAX_TAGS = 32;

/** Records read from one RRset of another type (TLSA, CAA, SRV): real ones hold 1 to 4. */
export const MAX_RRSET_RECORDS = 32;
