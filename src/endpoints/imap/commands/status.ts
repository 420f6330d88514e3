/*
 * STATUS mailbox (items).
 *
 * Exports: status.
 * Security: the user's own mailboxes only; a missing and an invalid name
 * answer alike.
 * Standards: RFC 9051 section 6.3.11, RFC 8438 (SIZE), RFC 7162 (HIGHESTMODSEQ).
 */
import { encodeStatus } from '../../../proto/imap/index.js';
import type { Handler } from '../context.js';
import { replyFailure } from '../mailbox-replies.js';
import { statusValues, statusWanted } from '../status-items.js';

export const status: Handler<'STATUS'> = async (s, cmd) => {
  const r = await s.mailboxes.status(cmd.args.mailbox, statusWanted(cmd.args.items));
  if (!r.ok) return replyFailure(s, cmd.tag, r.reason);
  s.send(encodeStatus(r.value.mailbox.name, statusValues(cmd.args.items, r.value.status), s.encoder));
  s.tagged(cmd.tag, 'OK', 'STATUS completed');
};
