/*
 * CREATE mailbox [(USE (special-use...))].
 *
 * Exports: parseCreate, CreateArgs.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 9051 section 6.3.4, RFC 6154 section 3 (CREATE-SPECIAL-USE).
 */
import type { Reader } from '../reader.js';

export interface CreateArgs {
  mailbox: string;
  /** Special-use attributes requested with USE, e.g. ['\\Sent']. */
  specialUse: string[];
}

export function parseCreate(r: Reader): CreateArgs {
  r.sp();
  const mailbox = r.mailbox();
  const specialUse: string[] = [];
  if (r.maybeSp()) {
    r.list(() => {
      if (!r.keyword('USE')) throw r.error('unknown create parameter');
      r.sp();
      specialUse.push(...r.list(() => r.flag()));
    }, false);
  }
  return { mailbox, specialUse };
}
