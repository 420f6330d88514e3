/*
 * COPY and MOVE sequence-set mailbox (UID-prefixable).
 *
 * Exports: parseCopy, CopyArgs.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 9051 sections 6.4.7-6.4.8, RFC 6851 (MOVE).
 */
import type { Reader, SequenceSet } from '../reader.js';

export interface CopyArgs {
  set: SequenceSet;
  mailbox: string;
}

export function parseCopy(r: Reader): CopyArgs {
  r.sp();
  const set = r.sequenceSet();
  r.sp();
  return { set, mailbox: r.mailbox() };
}
