/*
 * Public surface of the mailbox behaviour layer: what protocol handlers
 * (IMAP now, POP3 and webmail later) call instead of the store.
 *
 * Exports: MailboxService, MailboxPorts, MailboxOutcome, MailboxFailure,
 * MAX_MAILBOXES, SPECIAL_USES, the name checks, the LIST matcher and
 * entries, the STATUS counters, BlobReader, MailboxView (a session's
 * sequence numbers), and SEARCH evaluation, SORT order and THREAD
 * algorithms (search.ts, sort.ts, thread.ts, base-subject.ts).
 * Security: see names.ts (names never escape the account), pattern.ts
 * (linear matching), service.ts (bound to one account), view.ts (bounded
 * sequence-set resolution).
 * Standards: RFC 9051, RFC 5258, RFC 6154, RFC 5256.
 */
export { MailboxService, MAX_MAILBOXES, SPECIAL_USES, SPECIAL_USE_ENTRY } from './service.js';
export type { BlobReader, MailboxFailure, MailboxOutcome, MailboxPorts } from './service.js';
export { MailboxView } from './view.js';
export type { ResolvedMessage, SetResolution, ViewRange, ViewSet } from './view.js';
export { checkMailboxName, normalizeMailboxName, HIERARCHY_SEPARATOR, MAX_NAME_BYTES, MAX_NAME_DEPTH } from './names.js';
export type { NameCheck } from './names.js';
export { compilePattern, joinReference } from './pattern.js';
export { listMailboxes } from './list.js';
export type { ListEntry, ListQuery } from './list.js';
export { mailboxStatus } from './status.js';
export type { MailboxStatus, StatusWanted } from './status.js';
export { countTextKeys, searchMessages, usesKey } from './search.js';
export type { SearchOutcome, SearchPorts, SearchScope } from './search.js';
export { sortItems } from './sort.js';
export type { SortCriterion, SortItem, SortKeyName } from './sort.js';
export { threadOrderedSubject, threadReferences } from './thread.js';
export type { ThreadItem } from './thread.js';
export { baseSubject } from './base-subject.js';
