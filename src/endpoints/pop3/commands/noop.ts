/*
 * NOOP: +OK (and the idle timer starts again, as with any command).
 *
 * Exports: noop.
 * Security: none beyond the session's command limits.
 * Standards: RFC 1939 section 5 (NOOP).
 */
import type { Handler } from '../context.js';

export const noop: Handler<'NOOP'> = (s) => s.ok('');
