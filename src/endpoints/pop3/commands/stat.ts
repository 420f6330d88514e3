/*
 * STAT: number and total size of the messages not marked deleted.
 *
 * Exports: stat.
 * Security: the session's own snapshot only.
 * Standards: RFC 1939 section 5 (STAT; sizes in octets as sent, with CRLF
 * line ends: the stored bytes are CRLF already).
 */
import type { Handler } from '../context.js';

export const stat: Handler<'STAT'> = (s) => {
  const { count, octets } = s.maildrop.stat();
  s.ok(`${count} ${octets}`);
};
