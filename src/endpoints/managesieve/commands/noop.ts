/*
 * NOOP [tag]: OK, with the client's tag echoed as (TAG "...") when given
 * (clients use it to find the end of pipelined responses).
 *
 * Exports: noop.
 * Security: the tag is echoed as a string (quoted or literal), never raw.
 * Standards: RFC 5804 section 2.13.
 */
import type { Handler } from '../context.js';

export const noop: Handler<'NOOP'> = (s, cmd) => {
  if (cmd.tag === null) s.ok('NOOP completed');
  else s.ok('Done', { name: 'TAG', arg: cmd.tag });
};
