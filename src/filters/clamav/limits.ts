/*
 * Limits on one exchange with clamd, each with its reason. clamd is the
 * operator's, but it may be down, stopped or overloaded, and a filter
 * waiting on it holds an SMTP session open.
 *
 * Exports: the constants below.
 * Security: every number bounds time or bytes spent on clamd's behalf.
 */

/** Octets of the message per INSTREAM chunk: large enough that framing costs nothing, small enough to stream (clamdscan uses 8 KiB to 1 MiB). */
export const CHUNK_BYTES = 64 * 1024;
/** A clamd reply longer than this is not read: "stream: <signature> FOUND" is well under 200 octets. */
export const MAX_REPLY_BYTES = 1024;
/** Signature names are kept to this many characters in the log and the facts. */
export const MAX_SIGNATURE_CHARS = 200;
/** While the message is being sent, clamd taking longer than this to read the next chunk is hanging (a stopped or wedged clamd). The scan after the last chunk is bounded by the whole timeout only. */
export const STREAM_IDLE_MS = 10_000;
/** Default whole exchange: under the pipeline's stage_timeout (60 s), so the answer is ours (451 4.7.1), not the pipeline's 4.3.0. */
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** clamd's own StreamMaxLength default in Debian's clamd.conf. */
export const DEFAULT_MAX_SIZE = 25 * 1024 * 1024;
