/*
 * DELE n: marks a message deleted; nothing changes in the store before
 * QUIT (UPDATE state), and RSET or a dropped connection undoes it.
 *
 * Exports: dele.
 * Security: the session's own snapshot only; a message marked deleted
 * answers -ERR to every later reference (RFC 1939).
 * Standards: RFC 1939 section 5 (DELE).
 */
import type { Handler } from '../context.js';

export const dele: Handler<'DELE'> = (s, cmd) => {
  const m = s.maildrop.get(cmd.msg);
  if (!m) return s.err('No such message');
  m.deleted = true;
  s.ok(`Message ${m.n} deleted`);
};
