/*
 * EXPUNGE (no arguments) and UID EXPUNGE sequence-set.
 *
 * Exports: parseExpunge, ExpungeArgs.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 9051 section 6.4.9, RFC 4315.
 */
import type { Reader, SequenceSet } from '../reader.js';

export interface ExpungeArgs {
  /** Absent for plain EXPUNGE. */
  uids: SequenceSet | null;
}

export function parseExpunge(r: Reader, uid: boolean): ExpungeArgs {
  if (!uid) return { uids: null };
  r.sp();
  return { uids: r.sequenceSet() };
}
