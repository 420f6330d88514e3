/*
 * UNSUBSCRIBE mailbox.
 *
 * Exports: unsubscribe.
 * Security: the name is checked like a mailbox name.
 * Standards: RFC 9051 section 6.3.8.
 */
import type { Handler } from '../context.js';
import { replyFailure } from '../mailbox-replies.js';

export const unsubscribe: Handler<'UNSUBSCRIBE'> = async (s, cmd) => {
  const r = await s.mailboxes.unsubscribe(cmd.args.mailbox);
  if (!r.ok) return replyFailure(s, cmd.tag, r.reason);
  s.tagged(cmd.tag, 'OK', 'UNSUBSCRIBE completed');
};
