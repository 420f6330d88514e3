/*
 * The mailbox behaviour IMAP (and later POP3 and webmail) handlers call for
 * one account: default folders, listing, create/delete/rename,
 * subscriptions and STATUS, and the messages of a mailbox (records, stored
 * MIME index and bytes, flags, expunge, copy, move, changes since a
 * MODSEQ, SEARCH and the SORT/THREAD keys), and the METADATA entries of
 * the account and its mailboxes. Only store ports here, no SQL. Every
 * change made here is published on the change feed (events.ts) when one
 * is given, tagged with the origin (the session) that made it.
 *
 * Exports: MailboxPorts, BlobReader, MailboxService, MailboxOutcome,
 * MAX_MAILBOXES, SPECIAL_USES, SPECIAL_USE_ENTRY.
 * Security: every method is bound to the account given at construction, so
 * a handler can never name another user's mailbox; every client-chosen name
 * goes through checkMailboxName first. Failures are typed reasons; the
 * protocol layer turns them into response codes with generic text.
 * Standards: RFC 9051 sections 6.3.4-6.3.11, RFC 6154 (special-use and
 * CREATE-SPECIAL-USE), RFC 5258.
 */
import { DEFAULT_MAILBOXES } from '../core/mailbox-names.js';
import type { MessageIndex } from '../mime/index.js';
import { EMPTY_SEARCH_DOCUMENT, searchDocument } from '../mime/search-text.js';
import type { SearchKey } from '../proto/imap/index.js';
import type { BlobSearchText, AnnotationEntry, AnnotationStore, SetAnnotationsResult, ChangesSince, CopyResult, ExpungeResult, FlagStoreMode, MailboxAdmin, MailboxRecord, MailboxStore, MessageFlags, MessageReader, MessageRecord, MessageSearch, MessageTransfer, MessageUpdater, MoveResult, SearchFields, StoreFlagsResult, SubscriptionStore, UidSet } from '../store/types.js';
import { searchMessages, type SearchOutcome, type SearchScope } from './search.js';
import type { MailboxChange, MailboxEvents } from './events.js';
import { SHARED_INDEX_CACHE } from './index-cache.js';
import { listMailboxes, type ListEntry, type ListQuery } from './list.js';
import { checkMailboxName } from './names.js';
import { mailboxStatus, type MailboxStatus, type StatusWanted } from './status.js';

export interface MailboxPorts {
  mailboxes: MailboxStore & MailboxAdmin;
  subscriptions: SubscriptionStore;
  messages: Pick<MessageReader, 'countUnseen' | 'getMessages' | 'changedSince'> & Pick<MessageUpdater, 'expunge' | 'storeFlags'> & Pick<MessageTransfer, 'copy' | 'move'> & MessageSearch;
  annotations: AnnotationStore;
}

/** Reads stored message bytes by content hash (FETCH of bodies); a FileBlobStore fits. */
export interface BlobReader {
  get(hash: string): Promise<Buffer>;
  /** The first `length` bytes only, when the reader can do that cheaper than get. */
  head?(hash: string, length: number): Promise<Buffer>;
}

/** The METADATA entry that shows a mailbox's special use (RFC 6154 section 4); derived, never stored. */
export const SPECIAL_USE_ENTRY = '/private/specialuse';

/** Mailboxes per account; bounds LIST work and storage a user can claim. */
export const MAX_MAILBOXES = 1000;

/** Special uses a client may give with CREATE (USE): \All and \Flagged are virtual views we do not have. */
export const SPECIAL_USES: readonly string[] = ['\\Archive', '\\Drafts', '\\Junk', '\\Sent', '\\Trash'];

export type MailboxFailure = 'invalid-name' | 'exists' | 'not-found' | 'inbox' | 'into-itself' | 'bad-special-use' | 'limit';
export type MailboxOutcome<T = void> = { ok: true; value: T } | { ok: false; reason: MailboxFailure; detail?: string };

const fail = (reason: MailboxFailure, detail?: string): { ok: false; reason: MailboxFailure; detail?: string } => ({ ok: false, reason, detail });

export class MailboxService {
  constructor(
    private readonly ports: MailboxPorts,
    readonly accountId: number,
    private readonly blobs?: BlobReader,
    private readonly feed?: { events: MailboxEvents; origin: string },
  ) {}

  private changed(mailbox: MailboxRecord, changes: MailboxChange[]): void {
    if (changes.length) this.feed?.events.publish({ type: 'messages', accountId: this.accountId, mailboxId: mailbox.id, changes, origin: this.feed.origin });
  }

  private renamed(name: string | null, oldName?: string): void {
    this.feed?.events.publish({ type: 'mailbox-name', accountId: this.accountId, name, oldName, origin: this.feed.origin });
  }

  private subscriptionChanged(name: string): void {
    this.feed?.events.publish({ type: 'subscription', accountId: this.accountId, name, origin: this.feed.origin });
  }

  /**
   * Creates INBOX and the special-use folders the account lacks, and
   * subscribes those it creates; an account with no subscription at all
   * (its folders were made at first delivery) gets the defaults subscribed,
   * because clients such as Thunderbird show only subscribed folders.
   */
  async ensureDefaultMailboxes(): Promise<void> {
    const [existing, subs] = await Promise.all([
      this.ports.mailboxes.listMailboxes(this.accountId),
      this.ports.subscriptions.listSubscriptions(this.accountId),
    ]);
    const have = new Set(existing.map((m) => m.name));
    const missing = DEFAULT_MAILBOXES.filter((m) => !have.has(m.name));
    if (missing.length > 0) await this.ports.mailboxes.ensureMailboxes(this.accountId, DEFAULT_MAILBOXES);
    const toSubscribe = subs.length === 0 ? DEFAULT_MAILBOXES : missing;
    for (const m of toSubscribe) await this.ports.subscriptions.subscribe(this.accountId, m.name);
  }

  /** The mailbox by a client-given name, or undefined (invalid names never exist). */
  async get(rawName: string): Promise<MailboxRecord | undefined> {
    const check = checkMailboxName(rawName);
    if (!check.ok) return undefined;
    return this.ports.mailboxes.getMailbox(this.accountId, check.name);
  }

  async list(query: ListQuery): Promise<ListEntry[]> {
    const [records, subscriptions] = await Promise.all([
      this.ports.mailboxes.listMailboxes(this.accountId),
      this.ports.subscriptions.listSubscriptions(this.accountId),
    ]);
    return listMailboxes(records, subscriptions, query);
  }

  async create(rawName: string, specialUse: readonly string[] = []): Promise<MailboxOutcome<MailboxRecord>> {
    const check = checkMailboxName(rawName);
    if (!check.ok) return fail('invalid-name', check.reason);
    if (check.name === 'INBOX') return fail('exists');
    if (specialUse.length > 1) return fail('bad-special-use', 'one special use per mailbox');
    const use = specialUse[0] ?? null;
    if (use !== null && !SPECIAL_USES.some((u) => u.toLowerCase() === use.toLowerCase())) return fail('bad-special-use', 'unsupported special use');
    const existing = await this.ports.mailboxes.listMailboxes(this.accountId);
    if (existing.length >= MAX_MAILBOXES) return fail('limit');
    const canonical = use === null ? null : SPECIAL_USES.find((u) => u.toLowerCase() === use.toLowerCase())!;
    const r = await this.ports.mailboxes.createMailbox(this.accountId, check.name, canonical);
    if (r.ok) this.renamed(r.mailbox.name);
    return r.ok ? { ok: true, value: r.mailbox } : fail('exists');
  }

  async delete(rawName: string): Promise<MailboxOutcome<number>> {
    const check = checkMailboxName(rawName);
    if (!check.ok) return fail('not-found');
    if (check.name === 'INBOX') return fail('inbox');
    const before = await this.ports.mailboxes.getMailbox(this.accountId, check.name);
    const r = await this.ports.mailboxes.deleteMailbox(this.accountId, check.name);
    if (r.ok) {
      this.renamed(null, check.name);
      // Sessions that have it selected learn that its messages are gone.
      if (before) this.changed(before, ['expunge']);
    }
    return r.ok ? { ok: true, value: r.expunged } : fail(r.reason);
  }

  async rename(rawFrom: string, rawTo: string): Promise<MailboxOutcome<{ from: string; to: string }[]>> {
    const from = checkMailboxName(rawFrom);
    if (!from.ok) return fail('not-found');
    const to = checkMailboxName(rawTo);
    if (!to.ok) return fail('invalid-name', to.reason);
    if (to.name === 'INBOX') return fail('exists');
    const r = await this.ports.mailboxes.renameMailbox(this.accountId, from.name, to.name);
    if (r.ok) for (const n of r.renamed) this.renamed(n.to, n.from);
    return r.ok ? { ok: true, value: r.renamed } : fail(r.reason);
  }

  /** Subscribes a valid name, whether or not the mailbox exists (RFC 9051 6.3.7). */
  async subscribe(rawName: string): Promise<MailboxOutcome> {
    const check = checkMailboxName(rawName);
    if (!check.ok) return fail('invalid-name', check.reason);
    const subs = await this.ports.subscriptions.listSubscriptions(this.accountId);
    if (subs.length >= MAX_MAILBOXES && !subs.includes(check.name)) return fail('limit');
    await this.ports.subscriptions.subscribe(this.accountId, check.name);
    this.subscriptionChanged(check.name);
    return { ok: true, value: undefined };
  }

  /** Unsubscribing a name that is not subscribed is not an error (as Dovecot and Cyrus answer). */
  async unsubscribe(rawName: string): Promise<MailboxOutcome> {
    const check = checkMailboxName(rawName);
    if (!check.ok) return fail('invalid-name', check.reason);
    await this.ports.subscriptions.unsubscribe(this.accountId, check.name);
    this.subscriptionChanged(check.name);
    return { ok: true, value: undefined };
  }

  /** Messages of a mailbox of this account, in UID order (whole records; SELECT uses messageFlags). */
  async messages(mailbox: MailboxRecord): Promise<MessageRecord[]> {
    if (mailbox.accountId !== this.accountId) return [];
    return this.ports.mailboxes.listMessages(mailbox.id);
  }

  /** RFC 3501 \Recent: claims the messages no session has seen as recent; UIDs in [from, to) are this session's. */
  async claimRecent(mailbox: MailboxRecord): Promise<{ from: number; to: number }> {
    if (mailbox.accountId !== this.accountId) return { from: 0, to: 0 };
    return this.ports.mailboxes.claimRecent(mailbox.id);
  }

  /** UID and flags of every message in UID order (SELECT), cheaper than messages() for a large mailbox. */
  async messageFlags(mailbox: MailboxRecord): Promise<MessageFlags[]> {
    if (mailbox.accountId !== this.accountId) return [];
    return this.ports.mailboxes.listMessageFlags(mailbox.id);
  }

  /** CLOSE of a read-write mailbox: removes the messages flagged \Deleted; the number removed. */
  async expungeDeleted(mailbox: MailboxRecord): Promise<number> {
    if (mailbox.accountId !== this.accountId) return 0;
    const n = (await this.ports.messages.expunge(mailbox.id)).uids.length;
    if (n) this.changed(mailbox, ['expunge']);
    return n;
  }

  /** The records of these UIDs of a mailbox of this account, in UID order (absent UIDs skipped). */
  async records(mailbox: MailboxRecord, uids: UidSet): Promise<MessageRecord[]> {
    if (mailbox.accountId !== this.accountId || uids.length === 0) return [];
    return this.ports.messages.getMessages(mailbox.id, uids);
  }

  /** The MIME index stored at delivery, or undefined when it is missing or of another format version. */
  /** The message's MIME index (shared through the index cache: never mutate it). */
  async messageIndex(message: MessageRecord): Promise<MessageIndex | undefined> {
    const cached = SHARED_INDEX_CACHE.get(message.blobHash);
    if (cached) return cached;
    const json = await this.ports.mailboxes.getBlobIndex(message.blobHash);
    if (json === undefined) return undefined;
    const index = JSON.parse(json) as MessageIndex;
    if (index.v !== 1) return undefined;
    SHARED_INDEX_CACHE.set(message.blobHash, index, json.length);
    return index;
  }

  /**
   * The stored bytes of a message, or at least its first `upTo` bytes when
   * given (FETCH of the header alone); throws when no blob store was given
   * or the blob is gone.
   */
  async messageBytes(message: MessageRecord, upTo?: number): Promise<Buffer> {
    if (!this.blobs) throw new Error('no blob store');
    if (upTo !== undefined && this.blobs.head) return this.blobs.head(message.blobHash, upTo);
    return this.blobs.get(message.blobHash);
  }

  /** SEARCH: the messages of the session's view that match key (search.ts). */
  async search(mailbox: MailboxRecord, key: SearchKey, scope: SearchScope): Promise<SearchOutcome> {
    if (mailbox.accountId !== this.accountId) return { messages: [], highestModseq: null };
    return searchMessages(this.ports.messages, mailbox.id, key, { ...scope, readText: (hash, index) => this.searchText(hash, index) });
  }

  /** The search text of a message the index does not hold yet, read from its blob; a message that cannot be read matches no text. */
  private async searchText(hash: string, index: string): Promise<BlobSearchText> {
    try {
      if (!this.blobs) throw new Error('no blob store');
      return searchDocument(await this.blobs.get(hash), JSON.parse(index) as MessageIndex);
    } catch {
      return EMPTY_SEARCH_DOCUMENT;
    }
  }

  /** SORT and THREAD keys of the messages of a UID set. */
  async searchFields(mailbox: MailboxRecord, uids: UidSet): Promise<SearchFields[]> {
    if (mailbox.accountId !== this.accountId) return [];
    return this.ports.messages.searchFields(mailbox.id, uids);
  }

  /** STORE: changes flags of these UIDs (UNCHANGEDSINCE per RFC 7162 when given). */
  async storeFlags(mailbox: MailboxRecord, uids: UidSet, mode: FlagStoreMode, flags: readonly string[], unchangedSince?: number): Promise<StoreFlagsResult> {
    if (mailbox.accountId !== this.accountId || uids.length === 0) return { updated: [], failed: [], highestModseq: mailbox.highestModseq };
    const r = await this.ports.messages.storeFlags(mailbox.id, uids, mode, flags, unchangedSince);
    if (r.updated.some((u) => u.changed)) this.changed(mailbox, ['flags']);
    return r;
  }

  /** EXPUNGE (all \Deleted) or UID EXPUNGE (only those of uids). */
  async expunge(mailbox: MailboxRecord, uids?: UidSet): Promise<ExpungeResult> {
    if (mailbox.accountId !== this.accountId) return { uids: [], modseq: 0 };
    if (uids !== undefined && uids.length === 0) return { uids: [], modseq: 0 };
    const r = await this.ports.messages.expunge(mailbox.id, uids);
    if (r.uids.length) this.changed(mailbox, ['expunge']);
    return r;
  }

  /** Messages changed or added, and UIDs expunged, since a MODSEQ (what a session has not been told yet). */
  async changesSince(mailbox: MailboxRecord, modseq: number): Promise<ChangesSince> {
    if (mailbox.accountId !== this.accountId) return { changed: [], vanished: [], highestModseq: modseq };
    return this.ports.messages.changedSince(mailbox.id, modseq);
  }

  /** COPY between two mailboxes of this account (COPYUID mapping on success). */
  async copy(from: MailboxRecord, uids: UidSet, to: MailboxRecord): Promise<CopyResult> {
    if (from.accountId !== this.accountId || to.accountId !== this.accountId) return { ok: false, reason: 'no-mailbox' };
    const r = await this.ports.messages.copy(from.id, uids, to.id);
    if (r.ok && r.mapping.length) this.changed(to, ['new']);
    return r;
  }

  /** MOVE between two mailboxes of this account: copy and expunge in one transaction. */
  async move(from: MailboxRecord, uids: UidSet, to: MailboxRecord): Promise<MoveResult> {
    if (from.accountId !== this.accountId || to.accountId !== this.accountId) return { ok: false, reason: 'no-mailbox' };
    const r = await this.ports.messages.move(from.id, uids, to.id);
    if (r.ok && r.mapping.length) {
      this.changed(to, ['new']);
      this.changed(from, ['expunge']);
    }
    return r;
  }

  /**
   * METADATA entries of the server (null) or of a mailbox of this account,
   * sorted by name; a mailbox with a special use also shows it as the
   * read-only `/private/specialuse` (RFC 6154 section 4).
   */
  async annotations(mailbox: MailboxRecord | null): Promise<AnnotationEntry[]> {
    if (mailbox && mailbox.accountId !== this.accountId) return [];
    const stored = await this.ports.annotations.listAnnotations(this.accountId, mailbox?.id ?? null);
    if (!mailbox?.specialUse) return stored;
    const derived = { entry: SPECIAL_USE_ENTRY, value: Buffer.from(mailbox.specialUse) };
    return [...stored.filter((e) => e.entry !== SPECIAL_USE_ENTRY), derived].sort((a, b) => (a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0));
  }

  /** Sets and removes METADATA entries all or nothing, within maxEntries for the whole account. */
  async setAnnotations(mailbox: MailboxRecord | null, changes: readonly { entry: string; value: Buffer | null }[], maxEntries: number): Promise<SetAnnotationsResult> {
    if (mailbox && mailbox.accountId !== this.accountId) return { ok: false, reason: 'no-mailbox' };
    const r = await this.ports.annotations.setAnnotations(this.accountId, mailbox?.id ?? null, changes, maxEntries);
    if (r.ok && changes.length) this.feed?.events.publish({ type: 'metadata', accountId: this.accountId, mailbox: mailbox?.name ?? null, entries: changes.map((c) => c.entry), origin: this.feed.origin });
    return r;
  }

  async status(rawName: string, wanted: StatusWanted): Promise<MailboxOutcome<{ mailbox: MailboxRecord; status: MailboxStatus }>> {
    const mailbox = await this.get(rawName);
    if (!mailbox) return fail('not-found');
    const status = await mailboxStatus({ messages: this.ports.messages, mailboxes: this.ports.mailboxes }, mailbox, wanted);
    return { ok: true, value: { mailbox, status } };
  }
}
