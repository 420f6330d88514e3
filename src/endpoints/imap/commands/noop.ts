/*
 * NOOP: does nothing; resets the idle timer (the session does that for every command).
 *
 * Exports: noop.
 * Security: allowed in every state.
 * Standards: RFC 9051 section 6.1.2.
 */
import type { Handler } from '../context.js';

export const noop: Handler<'NOOP'> = (s, cmd) => {
  s.tagged(cmd.tag, 'OK', 'NOOP completed');
};
