/*
 * NOOP and CHECK: nothing to do beyond reporting what changed in the
 * selected mailbox since this session was last told (new messages,
 * expunges, flag changes); the session resets the idle timer for every
 * command.
 *
 * Exports: noop, check.
 * Security: allowed in every state (CHECK only when selected).
 * Standards: RFC 9051 section 6.1.2, RFC 3501 section 6.4.1 (CHECK, a
 * rev1 command; our store is durable after every change, so there is
 * nothing to checkpoint).
 */
import type { Handler } from '../context.js';
import { announceChanges } from '../mailbox-sync.js';

export const noop: Handler<'NOOP'> = async (s, cmd) => {
  await announceChanges(s);
  s.tagged(cmd.tag, 'OK', 'NOOP completed');
};

export const check: Handler<'CHECK'> = async (s, cmd) => {
  await announceChanges(s);
  s.tagged(cmd.tag, 'OK', 'CHECK completed');
};
