/*
 * CREATE mailbox [(USE (special-use))].
 *
 * Exports: create.
 * Security: the name is checked by the mailbox layer (no `..`, no empty or
 * control-character levels); the mailbox count per account is capped.
 * Standards: RFC 9051 section 6.3.4, RFC 6154 section 3 (USE, USEATTR),
 * RFC 8474 section 4 ([MAILBOXID] in the OK).
 */
import type { Handler } from '../context.js';
import { replyFailure } from '../mailbox-replies.js';

export const create: Handler<'CREATE'> = async (s, cmd) => {
  // A trailing separator only says the client means to create inferiors (RFC 9051 6.3.4).
  const name = cmd.args.mailbox.endsWith('/') && cmd.args.mailbox.length > 1 ? cmd.args.mailbox.slice(0, -1) : cmd.args.mailbox;
  const r = await s.mailboxes.create(name, cmd.args.specialUse);
  if (!r.ok) return replyFailure(s, cmd.tag, r.reason);
  s.log.info('mailbox-created', { mailbox: r.value.name });
  s.tagged(cmd.tag, 'OK', 'CREATE completed', { code: 'MAILBOXID', id: r.value.objectId });
};
