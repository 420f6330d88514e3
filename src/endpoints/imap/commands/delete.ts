/*
 * DELETE mailbox: removes it with its messages; inferiors stay.
 *
 * Exports: deleteCommand.
 * Security: INBOX cannot be deleted; a missing and an invalid name get the
 * same NO [NONEXISTENT]. The selected mailbox cannot be deleted from under
 * this session.
 * Standards: RFC 9051 section 6.3.5.
 */
import type { Handler } from '../context.js';
import { replyFailure } from '../mailbox-replies.js';
import { checkMailboxName } from '../../../mailbox/index.js';

export const deleteCommand: Handler<'DELETE'> = async (s, cmd) => {
  const check = checkMailboxName(cmd.args.mailbox);
  if (check.ok && s.selected?.record.name === check.name) {
    s.tagged(cmd.tag, 'NO', 'Mailbox is selected', { code: 'INUSE' });
    return;
  }
  const r = await s.mailboxes.delete(cmd.args.mailbox);
  if (!r.ok) return replyFailure(s, cmd.tag, r.reason);
  s.log.info('mailbox-deleted', { mailbox: check.ok ? check.name : '', expunged: r.value });
  s.tagged(cmd.tag, 'OK', 'DELETE completed');
};
