/*
 * RENAME existing new: the mailbox and its whole hierarchy; INBOX moves
 * its messages and stays (store semantics, RFC 9051 6.3.6).
 *
 * Exports: rename.
 * Security: both names are checked by the mailbox layer.
 * Standards: RFC 9051 section 6.3.6.
 */
import type { Handler } from '../context.js';
import { replyFailure } from '../mailbox-replies.js';

export const rename: Handler<'RENAME'> = async (s, cmd) => {
  const r = await s.mailboxes.rename(cmd.args.from, cmd.args.to);
  if (!r.ok) return replyFailure(s, cmd.tag, r.reason);
  s.log.info('mailbox-renamed', { count: r.value.length });
  s.tagged(cmd.tag, 'OK', 'RENAME completed');
};
