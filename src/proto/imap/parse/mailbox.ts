/*
 * Commands whose one argument is a mailbox: DELETE, SUBSCRIBE, UNSUBSCRIBE, GETQUOTAROOT.
 *
 * Exports: parseMailboxArg, MailboxArg.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 9051 sections 6.3.5, 6.3.7, 6.3.8; RFC 9208 section 4.3.
 */
import type { Reader } from '../reader.js';

export interface MailboxArg {
  mailbox: string;
}

export function parseMailboxArg(r: Reader): MailboxArg {
  r.sp();
  return { mailbox: r.mailbox() };
}
