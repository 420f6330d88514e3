/*
 * LSUB reference pattern (IMAP4rev1 only; rev2 clients use LIST (SUBSCRIBED)).
 *
 * Exports: parseLsub.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 3501 section 6.3.9; RFC 9051 appendix E (removed in rev2).
 */
import type { Reader } from '../reader.js';
import type { ListArgs } from './list.js';

/** Returned in LIST form with the SUBSCRIBED selection; the session answers with `* LSUB` lines. */
export function parseLsub(r: Reader): ListArgs {
  r.sp();
  const reference = r.mailbox();
  r.sp();
  return { extended: false, selection: ['SUBSCRIBED'], reference, patterns: [r.listMailbox()], returns: [] };
}
