/*
 * SUBSCRIBE mailbox: any valid name, existing or not.
 *
 * Exports: subscribe.
 * Security: the name is checked like a mailbox name; the count is capped.
 * Standards: RFC 9051 section 6.3.7.
 */
import type { Handler } from '../context.js';
import { replyFailure } from '../mailbox-replies.js';

export const subscribe: Handler<'SUBSCRIBE'> = async (s, cmd) => {
  const r = await s.mailboxes.subscribe(cmd.args.mailbox);
  if (!r.ok) return replyFailure(s, cmd.tag, r.reason);
  s.tagged(cmd.tag, 'OK', 'SUBSCRIBE completed');
};
