/*
 * IDLE: the client waits for changes; the session pushes EXISTS, EXPUNGE
 * and FETCH FLAGS of the selected mailbox as others make them (through the
 * change feed, within one event-loop turn of the change), until DONE.
 *
 * Exports: idle.
 * Security: while idling only the tiny idle line limit applies
 * (MAX_IDLE_LINE_BYTES); a line other than DONE is answered BAD and ends
 * IDLE. The
 * post-login autologout timer keeps running (RFC 9051 5.4: clients re-IDLE
 * within 29 minutes).
 * Standards: RFC 2177, RFC 9051 section 6.3.13.
 */
import { isIdleDone } from '../../../proto/imap/index.js';
import type { Handler } from '../context.js';

export const idle: Handler<'IDLE'> = async (s, cmd) => {
  const line = await s.idle();
  if (line === null) return;
  if (isIdleDone(line)) return s.tagged(cmd.tag, 'OK', 'IDLE terminated');
  s.tagged(cmd.tag, 'BAD', 'Expected DONE');
};
