/*
 * UNSELECT: leaves the selected state without expunging.
 *
 * Exports: unselect.
 * Security: no data changes.
 * Standards: RFC 3691, RFC 9051 section 6.4.2.
 */
import type { Handler } from '../context.js';

export const unselect: Handler<'UNSELECT'> = (s, cmd) => {
  s.select(undefined);
  s.tagged(cmd.tag, 'OK', 'UNSELECT completed');
};
