/*
 * Limits on the structure of a stored message, applied by the MIME indexer.
 *
 * Every number here bounds work or memory spent on bytes an untrusted sender
 * chose. Past a limit the indexer does not fail: it stops descending, treats
 * what is left as opaque content and marks the index `truncated`.
 *
 * Exports: MimeLimits, the MAX_* defaults, DEFAULT_MIME_LIMITS, resolveMimeLimits,
 * the SEARCH_* caps of the search text (search-text.ts).
 * Security: the values bound CPU, memory and index size for hostile mail.
 * Standards: RFC 2046 section 5.1.1 (boundary length), RFC 5322 section 2.1.1
 * (line length); the caps follow the project security spec ("Content").
 */

export interface MimeLimits {
  /** Deepest nesting level of a part (the root is level 0); deeper containers become opaque leaves. */
  maxDepth: number;
  /** Most parts in one index, the root and encapsulated messages' roots included. */
  maxParts: number;
  /** Largest header block of one part; past it the rest is read as body. */
  maxHeaderBytes: number;
  /** Largest header field (with its folded lines) that is interpreted; longer ones stay in the block, unread. */
  maxLineBytes: number;
}

/** Real mail nests a few levels; 100 leaves room for forwarded chains while bounding the stack of open parts. */
export const MAX_MIME_DEPTH = 100;
/** Large newsletters and digests have hundreds of parts; 10,000 bounds the index size (a few MB of JSON). */
export const MAX_MIME_PARTS = 10_000;
/** Legitimate header blocks are a few KB, long Received chains tens of KB; 1 MiB bounds one part's header work. */
export const MAX_HEADER_BYTES = 1024 * 1024;
/** RFC 5322 asks for 998 octets a line, but long To lists run to tens of KB; 128 KiB bounds one field's strings. */
export const MAX_HEADER_FIELD_BYTES = 128 * 1024;
/** RFC 2046 allows 70 characters; generators sometimes exceed it, no line can match a longer one cheaply. */
export const MAX_BOUNDARY_BYTES = 256;
/** A Date: value longer than this is not a date; bounds the fallback parser's input. */
export const MAX_DATE_CHARS = 256;
/** A Subject longer than this is cut before encoded words are decoded; bounds the summary stored per message. */
export const MAX_SUMMARY_SUBJECT_CHARS = 16 * 1024;
/** Body text kept per message: enough for any real letter and most long threads; bounds the index row. */
export const SEARCH_TEXT_MAX_CHARS = 1024 * 1024;
/** Raw octets of one part decoded for search: bounds the work a huge attachment can cost at delivery. */
export const SEARCH_PART_MAX_BYTES = 4 * 1024 * 1024;
/** Header text kept per message: long Received chains fit; bounds the index row. */
export const SEARCH_HEADER_MAX_CHARS = 256 * 1024;

export const DEFAULT_MIME_LIMITS: Readonly<MimeLimits> = Object.freeze({
  maxDepth: MAX_MIME_DEPTH,
  maxParts: MAX_MIME_PARTS,
  maxHeaderBytes: MAX_HEADER_BYTES,
  maxLineBytes: MAX_HEADER_FIELD_BYTES,
});

/** Fills in defaults; a value that is not a non-negative integer falls back to its default (never throws). */
export function resolveMimeLimits(limits?: Partial<MimeLimits>): MimeLimits {
  const pick = (value: unknown, fallback: number, min: number): number =>
    typeof value === 'number' && Number.isInteger(value) && value >= min ? value : fallback;
  return {
    maxDepth: pick(limits?.maxDepth, MAX_MIME_DEPTH, 0),
    maxParts: pick(limits?.maxParts, MAX_MIME_PARTS, 1),
    maxHeaderBytes: pick(limits?.maxHeaderBytes, MAX_HEADER_BYTES, 0),
    maxLineBytes: pick(limits?.maxLineBytes, MAX_HEADER_FIELD_BYTES, 0),
  };
}
