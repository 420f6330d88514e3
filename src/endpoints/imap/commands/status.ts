/*
 * STATUS mailbox (items).
 *
 * Exports: status.
 * Security: the user's own mailboxes only; a missing and an invalid name
 * answer alike.
 * Standards: RFC 9051 section 6.3.11, RFC 8438 (SIZE), RFC 7162 (HIGHESTMODSEQ),
 * RFC 8474 (MAILBOXID), RFC 3501 (RECENT).
 */
import { encodeStatus } from '../../../proto/imap/index.js';
import type { Handler } from '../context.js';
import { replyFailure } from '../mailbox-replies.js';
import { statusValues, statusWanted } from '../status-items.js';

export const status: Handler<'STATUS'> = async (s, cmd) => {
  // RFC 7162 3.1: STATUS HIGHESTMODSEQ enables CONDSTORE.
  if (cmd.args.items.includes('HIGHESTMODSEQ')) s.enable('CONDSTORE');
  const r = await s.mailboxes.status(cmd.args.mailbox, statusWanted(cmd.args.items));
  if (!r.ok) return replyFailure(s, cmd.tag, r.reason);
  s.send(encodeStatus(r.value.mailbox.name, statusValues(cmd.args.items, r.value.status), s.encoder));
  s.tagged(cmd.tag, 'OK', 'STATUS completed');
};
