/*
 * LIST [n]: the size of one message, or a scan listing of every message
 * not marked deleted.
 *
 * Exports: list.
 * Security: the number is client input; absent and deleted messages answer
 * -ERR.
 * Standards: RFC 1939 section 5 (LIST).
 */
import { encodeMultiline } from '../../../proto/pop3/index.js';
import type { Handler } from '../context.js';

export const list: Handler<'LIST'> = (s, cmd) => {
  if (cmd.msg !== null) {
    const m = s.maildrop.get(cmd.msg);
    if (!m) return s.err('No such message');
    return s.ok(`${m.n} ${m.record.size}`);
  }
  const live = s.maildrop.live();
  const octets = live.reduce((sum, m) => sum + m.record.size, 0);
  s.send(encodeMultiline(`${live.length} messages (${octets} octets)`, live.map((m) => `${m.n} ${m.record.size}`)));
};
