/*
 * RSET: unmarks every message marked deleted, and forgets which were
 * retrieved (our choice: RSET undoes every mark of the session, so QUIT
 * then changes nothing).
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
