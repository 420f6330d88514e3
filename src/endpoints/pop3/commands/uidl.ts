/*
 * UIDL [n]: the unique-id of one message, or of every message not marked
 * deleted (maildrop.ts says how it is made).
 *
 * Exports: uidl.
 * Security: as LIST.
 * Standards: RFC 1939 section 7 (UIDL).
 */
import { encodeMultiline } from '../../../proto/pop3/index.js';
import type { Handler } from '../context.js';

export const uidl: Handler<'UIDL'> = (s, cmd) => {
  const drop = s.maildrop;
  if (cmd.msg !== null) {
    const m = drop.get(cmd.msg);
    if (!m) return s.err('No such message');
    return s.ok(`${m.n} ${drop.uidl(m)}`);
  }
  s.send(encodeMultiline('Unique-ID listing follows', drop.live().map((m) => `${m.n} ${drop.uidl(m)}`)));
};
