/*
 * The MIME index: what is stored, as JSON, for every delivered message so
 * that IMAP can answer ENVELOPE, BODYSTRUCTURE, BODY[section]<partial>,
 * BINARY.SIZE and RFC822.SIZE from it and byte ranges of the stored bytes.
 *
 * Exports: MessageIndex, MessageSummary, MimePart, Envelope, EnvelopeAddress.
 * Security: pure data; every string in it came from an untrusted sender.
 * Standards: RFC 2045/2046 (parts), RFC 3501 and RFC 9051 section 7.5.2
 * (ENVELOPE, BODYSTRUCTURE, section numbering), RFC 2231 (parameters).
 */

/** Format version of the stored JSON; bump when the shape or the meaning of a field changes. */
export const MIME_INDEX_VERSION = 1;

export interface MessageIndex {
  v: 1;
  /** RFC822.SIZE: bytes in the stored message. */
  size: number;
  root: MimePart;
  /** Parts in the whole tree, the root and encapsulated messages' roots included. */
  partCount: number;
  /** A cap was hit: deeper structure is treated as an opaque leaf, or headers were not all read. */
  truncated: boolean;
  /** ENVELOPE of the message itself (the encapsulated messages carry theirs in `message`). */
  envelope: Envelope;
  summary: MessageSummary;
}

export interface MessageSummary {
  /** The first msg-id of Message-ID, with its angle brackets, or the trimmed value if it has none. */
  messageId: string | null;
  /** Decoded to Unicode (RFC 2047 encoded words). */
  subject: string | null;
  /** First mailbox of the From field, `mailbox@host` (or the mailbox alone when the host is missing). */
  from: string | null;
  /** Milliseconds since the epoch, parsed from Date:. */
  date: number | null;
  /** Number of From header fields (DMARC fails a message with several). */
  fromCount: number;
}

export interface MimePart {
  /** Byte offsets into the whole message. [headerStart, bodyStart) is the header block including the blank separator line. */
  headerStart: number;
  bodyStart: number;
  /** The line break before a boundary belongs to the boundary, so it is not in [bodyStart, bodyEnd). */
  bodyEnd: number;
  /** Lines in the body: line breaks in it, plus one if it ends without one. */
  bodyLines: number;
  /**
   * BINARY.SIZE: octets the body decodes to under its Content-Transfer-Encoding
   * (see transfer-size.ts); null for an unknown encoding (IMAP's UNKNOWN-CTE).
   * For an indexed multipart or message it is the body size when the encoding
   * is an identity one, else null.
   */
  binarySize: number | null;
  /** Lower case. Defaults per RFC 2045: text/plain with charset us-ascii; message/rfc822 inside multipart/digest. */
  type: string;
  subtype: string;
  /** Content-Type parameters, RFC 2231 continuations and charsets decoded, names lower-cased, in order. */
  params: [string, string][];
  /** Content-ID, raw. */
  id: string | null;
  /** Content-Description, raw (not RFC 2047 decoded, as BODYSTRUCTURE sends it). */
  description: string | null;
  /** Content-Transfer-Encoding, lower-cased; null when absent (meaning 7bit). */
  encoding: string | null;
  /** Content-MD5, raw. */
  md5: string | null;
  disposition: { type: string; params: [string, string][] } | null;
  language: string[] | null;
  location: string | null;
  /**
   * Present exactly when the part is indexed as a multipart: its parts in
   * order. An empty array is a multipart with zero parts (no delimiter line
   * was found). A multipart without a boundary, or past a cap, has no
   * `children` and is an opaque leaf.
   */
  children?: MimePart[];
  /**
   * Present exactly when a message/rfc822 or message/global part is indexed
   * as an encapsulated message. Absent (an opaque leaf) past a cap, when the
   * part is base64 or quoted-printable encoded, or when its header block had
   * no end.
   */
  message?: { envelope: Envelope; root: MimePart };
}

/** RFC 3501/9051 ENVELOPE: raw header values (not decoded). */
export interface Envelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[] | null;
  /** Defaults to `from` when absent or empty. */
  sender: EnvelopeAddress[] | null;
  /** Defaults to `from` when absent or empty. */
  replyTo: EnvelopeAddress[] | null;
  to: EnvelopeAddress[] | null;
  cc: EnvelopeAddress[] | null;
  bcc: EnvelopeAddress[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

/**
 * One address of an ENVELOPE list. A group is encoded the RFC 3501 way: a
 * start marker (mailbox = group name, host = null), its members, an end
 * marker (all four null).
 */
export interface EnvelopeAddress {
  name: string | null;
  adl: string | null;
  mailbox: string | null;
  host: string | null;
}
