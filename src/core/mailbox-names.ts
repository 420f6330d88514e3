/*
 * The folders every account has, with their RFC 6154 special-use flags.
 * INBOX and these are created together at first delivery (or first login).
 *
 * Standards: RFC 6154 (SPECIAL-USE), RFC 9051 section 5.1 (INBOX).
 */

export interface MailboxSpec {
  name: string;
  specialUse: string | null;
}

export const INBOX = 'INBOX';
/** Where mail the spam filter judged spam is delivered (its special-use \\Junk). */
export const JUNK = 'Junk';

export const DEFAULT_MAILBOXES: readonly MailboxSpec[] = [
  { name: INBOX, specialUse: null },
  { name: 'Drafts', specialUse: '\\Drafts' },
  { name: 'Sent', specialUse: '\\Sent' },
  { name: JUNK, specialUse: '\\Junk' },
  { name: 'Trash', specialUse: '\\Trash' },
  { name: 'Archive', specialUse: '\\Archive' },
];
