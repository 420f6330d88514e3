/*
 * Tagged NO replies for the mailbox layer's failure reasons, shared by the
 * mailbox commands so each reason gets one response code everywhere.
 *
 * Exports: replyFailure.
 * Security: generic text only; a name that is invalid and one that does not
 * exist read alike where telling them apart would not help the client.
 * Standards: RFC 5530 (response codes), RFC 6154 (USEATTR).
 */
import type { MailboxFailure } from '../../mailbox/index.js';
import type { ResponseCode } from '../../proto/imap/index.js';
import type { SessionApi } from './context.js';

const REPLIES: Record<MailboxFailure, [ResponseCode['code'], string]> = {
  'invalid-name': ['CANNOT', 'Invalid mailbox name'],
  exists: ['ALREADYEXISTS', 'Mailbox already exists'],
  'not-found': ['NONEXISTENT', 'No such mailbox'],
  inbox: ['CANNOT', 'INBOX cannot be deleted'],
  'into-itself': ['CANNOT', 'Cannot move a mailbox into itself'],
  'bad-special-use': ['USEATTR', 'Unsupported special-use attribute'],
  limit: ['LIMIT', 'Too many mailboxes'],
};

export function replyFailure(s: SessionApi, tag: string, reason: MailboxFailure): void {
  const [code, text] = REPLIES[reason];
  s.tagged(tag, 'NO', text, { code } as ResponseCode);
}
