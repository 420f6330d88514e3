/*
 * Limits on everything an IMAP peer sends, applied by the framer and the parser.
 *
 * Exports: the MAX_* constants, FramerLimits, PRE_AUTH_FRAMER_LIMITS,
 * POST_AUTH_FRAMER_LIMITS.
 * Security: every number bounds memory or CPU spent on bytes an untrusted
 * client chose; pre-login values are deliberately small.
 * Standards: RFC 9051 section 4.3 (literals), RFC 7888 (LITERAL+/LITERAL-,
 * the 4096-octet LITERAL- cap), RFC 7162 section 4 (command length advice).
 */

/** RFC 7162 section 4 asks servers to accept 8 KiB lines; 64 KiB fits huge UID sets from resyncing clients. */
export const MAX_LINE_BYTES = 64 * 1024;
/** Before login only CAPABILITY/STARTTLS/LOGIN/AUTHENTICATE make sense; 8 KiB fits any credential. */
export const MAX_LINE_BYTES_PRE_AUTH = 8 * 1024;
/** Pre-login literals only carry a user name or password (LOGIN); 1 KiB is plenty. */
export const MAX_LITERAL_BYTES_PRE_AUTH = 1024;
/** Largest single literal after login, i.e. the largest APPENDed message; matches the advertised APPENDLIMIT. */
export const MAX_LITERAL_BYTES = 64 * 1024 * 1024;
/** Largest whole command (lines plus literals); bounds a MULTIAPPEND held in memory. */
export const MAX_COMMAND_BYTES = 128 * 1024 * 1024;
/** Largest whole command before login: a LOGIN with two literals and its lines. */
export const MAX_COMMAND_BYTES_PRE_AUTH = 16 * 1024;
/** Literals per command; MULTIAPPEND of a few hundred messages is the only real use of many. */
export const MAX_LITERALS_PER_COMMAND = 1000;
/** Literals per command before login: LOGIN has two arguments. */
export const MAX_LITERALS_PER_COMMAND_PRE_AUTH = 2;
/** RFC 7888 section 4: LITERAL- non-synchronising literals may not exceed 4096 octets. */
export const MAX_LITERAL_MINUS_BYTES = 4096;
/** Digits in a literal's size; 10 digits already exceed every cap, more is only an overflow attempt. */
export const MAX_LITERAL_SIZE_DIGITS = 10;
/** A line in IDLE (`DONE`) is tiny; anything much longer is garbage and ends the session. */
export const MAX_IDLE_LINE_BYTES = 1024;
/** One AUTHENTICATE response line (base64); SASL PLAIN/XOAUTH2 tokens are a few KiB at most. */
export const MAX_AUTH_LINE_BYTES = 16 * 1024;
/** Nesting of parenthesised lists (SEARCH, FETCH, BODY sections); real clients use 3-4 levels, the parser recurses. */
export const MAX_NESTING_DEPTH = 16;
/** Ranges in one sequence set; large UID sets from QRESYNC clients stay well below, it bounds later set work. */
export const MAX_SEQUENCE_RANGES = 10_000;
/** Tokens (atoms, numbers, strings, list brackets) per command; above the 10,000 two-number ranges a set may hold, bounds parse time and tree size. */
export const MAX_TOKENS_PER_COMMAND = 50_000;
/** Search keys in one SEARCH; deep OR chains are the classic parser DoS. */
export const MAX_SEARCH_KEYS = 1_000;
/** Tag length; real tags are under 16 characters, a long tag only costs us echoing it. */
export const MAX_TAG_LENGTH = 64;
/** A mailbox name on the wire (all levels); Dovecot and Cyrus stop well below, longer names are only an attack on storage paths. */
export const MAX_MAILBOX_NAME_BYTES = 4096;
/** Header field names in one HEADER.FIELDS list. */
export const MAX_HEADER_FIELDS = 256;
/** Entries in list arguments (FETCH items, STATUS items, flags, metadata entries, ID pairs). */
export const MAX_LIST_ITEMS = 1_000;
/** Recursion of NOT/OR/parentheses in SEARCH; client OR chains nest one level per alternative, 64 keeps the stack shallow. */
export const MAX_SEARCH_DEPTH = 64;
/** Part numbers in one BODY[1.2.3...] section; the MIME index stops at 100 levels anyway. */
export const MAX_SECTION_PART_DEPTH = 100;
/** Resources in one SETQUOTA (RFC 9208 defines four). */
export const MAX_QUOTA_RESOURCES = 16;
/** Entries in one SETMETADATA. */
export const MAX_METADATA_ENTRIES = 100;
/** Event groups in one NOTIFY SET. */
export const MAX_NOTIFY_GROUPS = 32;
/** Messages in one MULTIAPPEND. */
export const MAX_APPEND_MESSAGES = 1_000;

/** What the framer enforces; the session swaps the set after authentication. */
export interface FramerLimits {
  maxLineBytes: number;
  maxLiteralBytes: number;
  maxCommandBytes: number;
  maxLiterals: number;
}

export const PRE_AUTH_FRAMER_LIMITS: Readonly<FramerLimits> = Object.freeze({
  maxLineBytes: MAX_LINE_BYTES_PRE_AUTH,
  maxLiteralBytes: MAX_LITERAL_BYTES_PRE_AUTH,
  maxCommandBytes: MAX_COMMAND_BYTES_PRE_AUTH,
  maxLiterals: MAX_LITERALS_PER_COMMAND_PRE_AUTH,
});

export const POST_AUTH_FRAMER_LIMITS: Readonly<FramerLimits> = Object.freeze({
  maxLineBytes: MAX_LINE_BYTES,
  maxLiteralBytes: MAX_LITERAL_BYTES,
  maxCommandBytes: MAX_COMMAND_BYTES,
  maxLiterals: MAX_LITERALS_PER_COMMAND,
});
