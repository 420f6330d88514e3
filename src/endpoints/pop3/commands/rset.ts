/*
 * RSET: unmarks every message marked deleted (and forgets which were
 * retrieved, so QUIT sets no \Seen for them, as Dovecot does).
 *
 * Exports: rset.
 * Security: the session's own marks only.
 * Standards: RFC 1939 section 5 (RSET).
 */
import type { Handler } from '../context.js';

export const rset: Handler<'RSET'> = (s) => {
  s.maildrop.reset();
  const { count, octets } = s.maildrop.stat();
  s.ok(`${count} messages (${octets} octets)`);
};
