/*
 * SETMETADATA mailbox (entry value ...): sets entries of the server ("")
 * or of a mailbox, NIL removing one; all or nothing. Mailbox entries go
 * with the mailbox (RENAME keeps them, DELETE removes them).
 *
 * Exports: setmetadata.
 * Security: the logged-in account's own entries only. A value over
 * MAX_METADATA_VALUE_BYTES answers NO [METADATA MAXSIZE n]; more than
 * MAX_METADATA_ENTRIES_PER_ACCOUNT entries NO [METADATA TOOMANY] (counted
 * under the store's transaction). /shared entries of the server are the
 * operator's (NO [NOPERM]); /private/specialuse shows the special use set
 * with CREATE (USE) and cannot be written here.
 * Standards: RFC 5464 section 4.3; RFC 6154 section 4.
 * Choices: every user has private entries, so [METADATA NOPRIVATE] is never
 * sent; /shared entries of a mailbox are stored like private ones, since
 * nobody but the owner can reach the mailbox.
 */
import { SPECIAL_USE_ENTRY } from '../../../mailbox/index.js';
import type { Handler } from '../context.js';
import { MAX_METADATA_ENTRIES_PER_ACCOUNT, MAX_METADATA_VALUE_BYTES } from '../limits.js';

export const setmetadata: Handler<'SETMETADATA'> = async (s, cmd) => {
  const { args, tag } = cmd;
  const mailbox = args.mailbox === '' ? null : await s.mailboxes.get(args.mailbox);
  if (mailbox === undefined) return s.tagged(tag, 'NO', 'No such mailbox', { code: 'NONEXISTENT' });
  for (const { entry, value } of args.entries) {
    if (entry === '/private' || entry === '/shared') return s.tagged(tag, 'BAD', 'An entry needs a name below /private or /shared');
    if (mailbox === null && entry.startsWith('/shared/')) return s.tagged(tag, 'NO', 'Shared server entries are set by the administrator', { code: 'NOPERM' });
    if (mailbox !== null && entry === SPECIAL_USE_ENTRY) return s.tagged(tag, 'NO', 'The special use is set with CREATE', { code: 'NOPERM' });
    if (value !== null && value.length > MAX_METADATA_VALUE_BYTES) {
      return s.tagged(tag, 'NO', 'Value too large', { code: 'METADATA', detail: 'MAXSIZE', value: MAX_METADATA_VALUE_BYTES });
    }
  }
  const r = await s.mailboxes.setAnnotations(mailbox, args.entries, MAX_METADATA_ENTRIES_PER_ACCOUNT);
  if (!r.ok) {
    if (r.reason === 'too-many') return s.tagged(tag, 'NO', 'Too many entries', { code: 'METADATA', detail: 'TOOMANY' });
    return s.tagged(tag, 'NO', 'No such mailbox', { code: 'NONEXISTENT' });
  }
  s.tagged(tag, 'OK', 'SETMETADATA completed');
};
