/*
 * The metadata store port: what the rest of Petrel may ask of the database.
 * Asynchronous and free of SQL so that SQLite and PostgreSQL implement it
 * alike; one contract suite (contract.ts) runs against every backend.
 *
 * Domains are identified by their A-label (`ascii`); local parts are stored
 * normalised (lower case, NFC); an alias with local '' is the domain's
 * catch-all.
 *
 * Security: callers pass already-validated values; the store binds them.
 */
import type { MailboxSpec } from '../core/mailbox-names.js';

export interface DomainRecord {
  id: number;
  /** Unicode form, as the operator wrote it. */
  name: string;
  /** Lower-case A-label, the lookup key. */
  ascii: string;
  /** For an alias domain: the A-label of the domain it delivers as. */
  aliasOf: string | null;
  createdAt: number;
}

export interface AccountRecord {
  id: number;
  domainId: number;
  /** A-label of the account's domain. */
  domain: string;
  local: string;
  passwordHash: string;
  /** 0 means no quota. */
  quotaBytes: number;
  usedBytes: number;
  enabled: boolean;
  createdAt: number;
}

export interface AliasRecord {
  id: number;
  domain: string;
  /** '' for the catch-all `@domain`. */
  local: string;
  targets: string[];
}

export interface MailboxRecord {
  id: number;
  accountId: number;
  name: string;
  specialUse: string | null;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  messageCount: number;
  totalSize: number;
  /** Whether the account subscribed to this name (the subscriptions table, since schema 2). */
  subscribed: boolean;
  /** OBJECTID MAILBOXID (RFC 8474): derived from the account and UIDVALIDITY, both fixed for the mailbox's life, so RENAME keeps it. */
  objectId: string;
  /** Messages with a UID from here on are \Recent for the next session that SELECTs the mailbox (schema 5). */
  recentUid: number;
}

export interface MessageRecord {
  id: number;
  mailboxId: number;
  uid: number;
  modseq: number;
  flags: string[];
  internalDate: number;
  saveDate: number;
  size: number;
  blobHash: string;
  messageId: string | null;
  queueId: string | null;
  /** OBJECTID EMAILID (RFC 8474): from the content hash, so every copy of one message has it. */
  emailId: string;
  /** OBJECTID THREADID: set at delivery from Message-ID/In-Reply-To/References; null for none (THREADID NIL). */
  threadId: string | null;
}

export interface AccountUpdate {
  passwordHash?: string;
  quotaBytes?: number;
  enabled?: boolean;
}

/** A DKIM signing key as generated (sender-auth/dkim-keys.ts), before it is stored. */
export interface DkimKeyInput {
  selector: string;
  algorithm: 'rsa-sha256' | 'ed25519-sha256';
  /** PKCS#8 PEM. */
  privateKey: string;
  /** The record's p= value: base64 of the SubjectPublicKeyInfo (RSA) or of the raw 32-byte key (Ed25519, RFC 8463). */
  publicKey: string;
}

/**
 * Where a key is in its rotation: `pending` (made, to be published, not signing), `active` (signing),
 * `retiring` (no longer signing; its record stays published for mail in flight and late verifiers),
 * `retired` (its record may be removed; the row stays, so its selector is never used again).
 */
export type DkimKeyState = 'pending' | 'active' | 'retiring' | 'retired';

export interface DkimKeyRecord extends DkimKeyInput {
  id: number;
  /** A-label of the signing domain (d=). */
  domain: string;
  createdAt: number;
  state: DkimKeyState;
  /** When it started signing (null while pending). */
  activatedAt: number | null;
  /** When it stopped signing (null until retiring). */
  retiredAt: number | null;
}

/** A domain's DKIM keys through their rotation (sender-auth/dkim-rotation.ts). */
export interface DkimKeyStore {
  /** A domain's DKIM keys, oldest first, all of them or those in the given states; they go with the domain. */
  dkimKeys(ascii: string, states?: readonly DkimKeyState[]): Promise<DkimKeyRecord[]>;
  /** Every domain's keys in these states, by domain then age. */
  dkimKeysIn(states: readonly DkimKeyState[]): Promise<DkimKeyRecord[]>;
  /** Adds pending keys to an existing domain; a selector the domain has (in any state) is refused. */
  addDkimKeys(ascii: string, keys: readonly DkimKeyInput[]): Promise<DkimKeyRecord[]>;
  /**
   * Makes a pending key active and, in the same transaction, the domain's active keys of the same algorithm
   * retiring. Returns the keys it retired, or undefined when the key is not pending (any more).
   */
  activateDkimKey(id: number): Promise<DkimKeyRecord[] | undefined>;
  /** Retiring keys that stopped signing at or before `before` become retired; returns them. */
  retireDkimKeys(before: number): Promise<DkimKeyRecord[]>;
}

export interface DirectoryStore extends DkimKeyStore {
  /** Adds a domain, with its DKIM keys (active at once: nothing signs before the domain exists) in the same transaction. */
  addDomain(input: { name: string; ascii: string; aliasOf?: string | null; dkimKeys?: readonly DkimKeyInput[] }): Promise<DomainRecord>;
  getDomain(ascii: string): Promise<DomainRecord | undefined>;
  listDomains(): Promise<DomainRecord[]>;
  /** Removes the domain with its accounts, aliases, mailboxes and alias domains. */
  removeDomain(ascii: string): Promise<boolean>;

  addAccount(input: { domain: string; local: string; passwordHash: string; quotaBytes: number }): Promise<AccountRecord>;
  getAccount(domain: string, local: string): Promise<AccountRecord | undefined>;
  getAccountById(id: number): Promise<AccountRecord | undefined>;
  /** Accounts of one domain, or of all when domain is undefined, oldest first. */
  listAccounts(domain?: string): Promise<AccountRecord[]>;
  updateAccount(id: number, update: AccountUpdate): Promise<boolean>;
  removeAccount(id: number): Promise<boolean>;

  /** Creates the alias, or replaces its targets if it exists. */
  putAlias(input: { domain: string; local: string; targets: string[] }): Promise<AliasRecord>;
  getAlias(domain: string, local: string): Promise<AliasRecord | undefined>;
  listAliases(domain?: string): Promise<AliasRecord[]>;
  removeAlias(domain: string, local: string): Promise<boolean>;
}

/** A message's UID and flags (MailboxStore.listMessageFlags). */
export interface MessageFlags {
  uid: number;
  flags: string[];
}

export interface MailboxStore {
  /** Creates any of these mailboxes the account lacks. */
  ensureMailboxes(accountId: number, specs: readonly MailboxSpec[]): Promise<void>;
  listMailboxes(accountId: number): Promise<MailboxRecord[]>;
  getMailbox(accountId: number, name: string): Promise<MailboxRecord | undefined>;
  listMessages(mailboxId: number): Promise<MessageRecord[]>;
  /** UID and flags of every message, in UID order: what SELECT needs, without the rest of each row. */
  listMessageFlags(mailboxId: number): Promise<MessageFlags[]>;
  /** The MIME index stored with a blob at delivery (JSON text). */
  getBlobIndex(hash: string): Promise<string | undefined>;
  /**
   * RFC 3501 \Recent: hands the messages not yet claimed (UIDs from the
   * mailbox's recent mark up to UIDNEXT) to the caller and advances the
   * mark, atomically, so each message is recent in one session only.
   * UIDs in [from, to) are the caller's.
   */
  claimRecent(mailboxId: number): Promise<{ from: number; to: number }>;
}

/**
 * A set of UIDs: single UIDs and inclusive ranges `[from, to]`, in any order.
 * The caller resolves `*` (to uidNext - 1) before asking the store.
 */
export type UidSet = readonly (number | readonly [number, number])[];

/**
 * The SORT and THREAD keys of a blob, computed at delivery from its header
 * (src/mime/search-text.ts) and stored with the blob row, keyed by its hash.
 */
export interface BlobSearchKeys {
  /** Decoded Subject (the SORT key; SUBJECT searches the text's copy). */
  subject: string;
  /** Date: in ms since the epoch, and its calendar day in its own zone as yyyymmdd. */
  sentDate: number | null;
  sentDay: number | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string | null;
  /** addr-mailbox of the first address (RFC 5256 sort keys). */
  fromMailbox: string | null;
  toMailbox: string | null;
  ccMailbox: string | null;
}

/**
 * What SEARCH reads of a blob: its keys and its text, computed from its
 * bytes after delivery (the commit worker's search indexer) and stored in
 * the full-text index.
 */
export interface BlobSearchText extends BlobSearchKeys {
  /** Every header field, `Name: decoded value`, one per line. */
  header: string;
  /** Decoded text parts, attached messages' headers, attachment names. */
  body: string;
  from: string;
  to: string;
  cc: string;
  bcc: string;
}

/**
 * A blob as the caller wrote it: content hash, size in bytes, MIME index
 * (JSON text), sort keys when computed. Every new blob waits in the search
 * queue until its text (and keys, if it came without) are indexed.
 */
export interface BlobRef {
  hash: string;
  size: number;
  index: string;
  search?: BlobSearchKeys;
}

export type CreateMailboxResult =
  | { ok: true; mailbox: MailboxRecord }
  | { ok: false; reason: 'exists' };

export type RenameMailboxResult =
  | { ok: true; renamed: { from: string; to: string }[] }
  | { ok: false; reason: 'not-found' | 'exists' | 'into-itself' };

export type DeleteMailboxResult =
  | { ok: true; expunged: number }
  | { ok: false; reason: 'not-found' | 'inbox' };

/**
 * Mailbox life cycle beyond the defaults. Names are full paths with the
 * hierarchy separator `/`, already validated and normalised by the caller
 * (INBOX spelt `INBOX`).
 */
export interface MailboxAdmin {
  /**
   * Creates the mailbox and any missing superior names (RFC 9051 6.3.4,
   * SHOULD), each with a fresh UIDVALIDITY; subscribes none of them.
   */
  createMailbox(accountId: number, name: string, specialUse?: string | null): Promise<CreateMailboxResult>;
  /**
   * Renames a mailbox and its whole hierarchy (`from/...`), and the
   * subscriptions of those names with them. Renaming INBOX instead creates
   * the new mailbox, moves every INBOX message into it (same UIDs, new
   * UIDVALIDITY) and leaves INBOX empty; INBOX's inferiors stay (RFC 9051
   * 6.3.6), and the new name may be one of them. Fails whole when any
   * target name exists ('exists', also for from === to) or, except for
   * INBOX, when to lies under from ('into-itself').
   */
  renameMailbox(accountId: number, from: string, to: string): Promise<RenameMailboxResult>;
  /**
   * Deletes one mailbox with its messages (quota released). Inferiors are
   * left in place, their parent name becomes non-existent (RFC 9051 6.3.5:
   * every stored mailbox is selectable, so there is no `\Noselect` case).
   * INBOX cannot be deleted. Subscriptions are kept (RFC 9051 6.3.7).
   */
  deleteMailbox(accountId: number, name: string): Promise<DeleteMailboxResult>;
}

/** Subscriptions by name: they may name mailboxes that do not exist (RFC 9051 6.3.7). */
export interface SubscriptionStore {
  subscribe(accountId: number, name: string): Promise<void>;
  /** False when the name was not subscribed. */
  unsubscribe(accountId: number, name: string): Promise<boolean>;
  /** Subscribed names, sorted by UTF-16 code unit. */
  listSubscriptions(accountId: number): Promise<string[]>;
}

export type FlagStoreMode = 'add' | 'remove' | 'replace';

export interface FlagChange {
  uid: number;
  flags: string[];
  modseq: number;
  /** False when the message already had those flags (its MODSEQ is unchanged). */
  changed: boolean;
}

export interface StoreFlagsResult {
  /** Every existing message of the set that passed UNCHANGEDSINCE, by UID. */
  updated: FlagChange[];
  /** UIDs whose MODSEQ exceeded UNCHANGEDSINCE, left untouched (RFC 7162 MODIFIED). */
  failed: number[];
  highestModseq: number;
}

export interface ExpungeResult {
  uids: number[];
  /** The MODSEQ the expunge was recorded with (0 when nothing was expunged). */
  modseq: number;
}

export type CopyResult =
  | { ok: true; uidValidity: number; mapping: { from: number; to: number }[] }
  | { ok: false; reason: 'quota' | 'no-mailbox' };

export type MoveResult =
  | { ok: true; uidValidity: number; mapping: { from: number; to: number }[]; expunged: ExpungeResult }
  | { ok: false; reason: 'quota' | 'no-mailbox' };

export interface ChangesSince {
  changed: { uid: number; flags: string[]; modseq: number }[];
  /** UIDs expunged with a MODSEQ above the one asked for (QRESYNC VANISHED). */
  vanished: number[];
  highestModseq: number;
}

export type AppendResult =
  | { ok: true; mailboxId: number; uidValidity: number; uid: number; modseq: number }
  | { ok: false; reason: 'quota' | 'no-mailbox' | 'no-account' };

/** Reading a mailbox's messages: FETCH, SELECT/STATUS, CONDSTORE/QRESYNC resync. */
export interface MessageReader {
  /** Messages of the set, in UID order (absent UIDs are skipped). */
  getMessages(mailboxId: number, uids: UidSet): Promise<MessageRecord[]>;
  /** Messages without `\Seen`, and the lowest such UID. */
  countUnseen(mailboxId: number): Promise<{ unseen: number; firstUnseenUid: number | null }>;
  /** CONDSTORE/QRESYNC: messages with MODSEQ above modseq and UIDs expunged since. */
  changedSince(mailboxId: number, modseq: number): Promise<ChangesSince>;
  /** Unseen counts of every mailbox of an account in one query (LIST-STATUS); absent means 0. */
  unseenByMailbox(accountId: number): Promise<Map<number, number>>;
}

/** Changing messages in place: STORE and EXPUNGE. */
export interface MessageUpdater {
  /** STORE / UID STORE with optional UNCHANGEDSINCE (RFC 7162 3.1.3). */
  storeFlags(mailboxId: number, uids: UidSet, mode: FlagStoreMode, flags: readonly string[], unchangedSince?: number): Promise<StoreFlagsResult>;
  /**
   * Removes the messages flagged `\Deleted` (only those of uids when given),
   * records them for VANISHED and releases their quota.
   */
  expunge(mailboxId: number, uids?: UidSet): Promise<ExpungeResult>;
}

/** Adding messages to a mailbox: COPY, MOVE, APPEND. */
export interface MessageTransfer {
  /** COPY with UIDPLUS COPYUID mapping; all or nothing against the target account's quota. */
  copy(fromMailboxId: number, uids: UidSet, toMailboxId: number): Promise<CopyResult>;
  /**
   * MOVE (RFC 6851): copy then expunge of the source messages, whatever
   * their flags, in one transaction. Within one account it needs no quota.
   */
  move(fromMailboxId: number, uids: UidSet, toMailboxId: number): Promise<MoveResult>;
  /**
   * APPEND: records a message whose blob file the caller has already written
   * and fsynced (the blob store is separate; an orphan file after a refusal is
   * collected by blob GC). Quota is always enforced.
   */
  append(accountId: number, mailboxName: string, blob: BlobRef, flags: readonly string[], internalDate: number): Promise<AppendResult>;
}

/** A field SEARCH matches text in; 'text' is header or body (RFC 9051 TEXT). */
export type TextField = 'subject' | 'from' | 'to' | 'cc' | 'bcc' | 'header' | 'body' | 'text';

/** The sort and thread keys of one message; null/'' for a message stored without search text. */
export interface SearchFields {
  uid: number;
  sentDate: number | null;
  sentDay: number | null;
  subject: string;
  fromMailbox: string | null;
  toMailbox: string | null;
  ccMailbox: string | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string | null;
}

/**
 * Searching a mailbox's messages by their stored text (SEARCH, SORT,
 * THREAD). Matching is a case-insensitive substring match. A message
 * stored without search text (BlobRef.search absent) matches no text.
 */
export interface MessageSearch {
  /** UIDs, ascending, of the mailbox's indexed messages whose field contains needle. */
  matchText(mailboxId: number, field: TextField, needle: string): Promise<number[]>;
  /** Header text of the mailbox's indexed messages that contain needle anywhere in a header field (every one for ''). */
  headerTexts(mailboxId: number, needle: string): Promise<{ uid: number; header: string }[]>;
  /**
   * The mailbox's messages whose text is not indexed yet (the latest
   * deliveries, until the indexer runs), with their blob and MIME index,
   * for the caller to match by reading them. Read it BEFORE the index
   * queries: text only ever moves into the index, so a message indexed in
   * between is found there instead of being missed by both.
   */
  unindexed(mailboxId: number): Promise<{ uid: number; hash: string; index: string }[]>;
  /** Sort and thread keys of the messages of the set, in UID order. */
  searchFields(mailboxId: number, uids: UidSet): Promise<SearchFields[]>;
}

/** The search queue: blobs whose text the indexer (delivery/search-indexer.ts) has yet to compute and index. */
export interface SearchIndexQueue {
  /** Up to limit queued blobs, oldest first: queue id, hash and MIME index (JSON text). */
  queued(limit: number): Promise<{ id: number; hash: string; index: string }[]>;
  /**
   * Stores the blobs' text in the full-text index (and their keys) and
   * takes them off the queue, in one transaction that need not be durable
   * (after a crash they are simply still queued). An empty text marks a
   * blob that could not be read, so it is not tried again.
   */
  index(entries: readonly { id: number; text: BlobSearchText }[]): Promise<void>;
}

/**
 * Messages in a mailbox, for IMAP, POP3 and webmail. Every mutation is one
 * transaction, bumps the mailbox's HIGHESTMODSEQ once and gives each
 * changed message that MODSEQ. Flags are compared case-insensitively; the
 * system flags are stored in their RFC 9051 spelling.
 */
export interface MessageStore extends MessageReader, MessageUpdater, MessageTransfer, MessageSearch {}

/** One message to commit: its blob, where it lands locally, what is queued. */
export interface DeliveryRequest {
  blob: BlobRef;
  internalDate: number;
  messageId: string | null;
  queueId: string;
  /**
   * Message-IDs (`<id>`) of In-Reply-To and References, for THREADID; when
   * absent the store reads In-Reply-To from the MIME index.
   */
  threadRefs?: string[];
  /** Local mailboxes; each gets its own UID. */
  local: LocalTarget[];
  /** Remote recipients for the outbound queue, if any. */
  outbound?: OutboundRequest;
  /** Recipients the filters held: one quarantine entry, written in the same transaction. */
  quarantine?: QuarantineHold;
  /** A quarantine entry this delivery releases: removed in the same transaction, so it is delivered once. */
  releasesQuarantine?: number;
  /**
   * Messages this delivery makes (Sieve: a copy with edited header fields, a
   * redirect, a vacation reply, a notification), each with its own blob and
   * queue id, committed in the same transaction, after this one.
   */
  also?: DeliveryRequest[];
  /** Sieve marks recorded in the transaction (RFC 7352 duplicate ids seen by the run). */
  marks?: SieveMark[];
  /** Commit this request only when no unexpired mark of this kind and key exists, then record it (vacation: once per sender per period). */
  onlyOnce?: SieveMark;
}

/** A Sieve run's durable memory: kind 'duplicate' (RFC 7352) or 'vacation' (RFC 5230), a hashed key, a period. */
export interface SieveMark {
  accountId: number;
  kind: 'duplicate' | 'vacation';
  /** SHA-256 hex of the handle and the id (or the sender). */
  mark: string;
  seconds: number;
  /** RFC 7352 :last: the period restarts at each sighting; otherwise at the first. */
  last: boolean;
}

/** The marks delivery reads before it runs a user's scripts. */
export interface SieveMarkReader {
  /** Those of these marks that exist and have not expired at now. */
  unexpired(accountId: number, kind: SieveMark['kind'], marks: readonly string[], now: number): Promise<Set<string>>;
}

/** What is kept of a held message besides its bytes. */
export interface QuarantineHold {
  sender: string;
  /** The held recipients as given at RCPT (resolved again at release). */
  recipients: string[];
  /** Why, as the filters said it ("spam score 7.2", "DMARC policy quarantine"). */
  reason: string;
  source: 'mx' | 'submission' | 'lmtp' | 'local';
  clientIp: string | null;
  subject: string | null;
  envelope: OutboundEnvelope;
}

export interface QuarantinedMessage extends QuarantineHold {
  id: number;
  queueId: string;
  blobHash: string;
  size: number;
  messageId: string | null;
  createdAt: number;
  /** When `petrel quarantine release` asked for it; the server delivers it and removes the entry. */
  releaseRequestedAt: number | null;
}

/**
 * The quarantine: messages the filters held, until the operator releases
 * (delivers as if accepted) or deletes them, or they expire. Entries are
 * made by DeliveryStore.commit (quarantine) and released by it
 * (releasesQuarantine). Nothing held is ever bounced.
 */
export interface QuarantineStore {
  /** Newest first. */
  list(limit: number, offset?: number): Promise<QuarantinedMessage[]>;
  count(): Promise<number>;
  get(id: number): Promise<QuarantinedMessage | undefined>;
  /** Marks it for release by the server; false when there is no such entry. */
  requestRelease(id: number, now: number): Promise<boolean>;
  /** Entries marked for release, oldest request first. */
  pendingReleases(limit: number): Promise<QuarantinedMessage[]>;
  /** false when there was no such entry. */
  delete(id: number): Promise<boolean>;
  /** Removes entries held since before `before` (not those waiting for release); how many. */
  expire(before: number): Promise<number>;
}

/**
 * What the client asked for a message (MAIL parameters), kept with it in the
 * queue for delivery and DSNs. Values are decoded (smtp-server decodes xtext);
 * the SMTP client encodes them again when it passes them on.
 */
export interface OutboundEnvelope {
  /** RFC 3461 RET: a bounce carries the whole message or its header only. */
  ret: 'FULL' | 'HDRS' | null;
  /** RFC 3461 ENVID, decoded. */
  envid: string | null;
  /** RFC 6531 SMTPUTF8 was given. */
  smtpUtf8: boolean;
  /** RFC 8689 REQUIRETLS was given. */
  requireTls: boolean;
  /** RFC 6152/3030 BODY, lower case (7bit, 8bitmime, binarymime), or null. */
  body: string | null;
}

export interface OutboundRecipient {
  address: string;
  /** RFC 3461 NOTIFY values (NEVER, or some of SUCCESS, FAILURE, DELAY), or null when not given. */
  notify: string[] | null;
  /** RFC 3461 ORCPT (addr-type;address, decoded): as given, or the RCPT address an alias expanded. */
  orcpt: string | null;
}

export interface OutboundRequest {
  sender: string;
  recipients: OutboundRecipient[];
  source: string;
  accountId: number | null;
  envelope: OutboundEnvelope;
}

/** Where one copy of a message lands. */
export interface LocalTarget {
  accountId: number;
  mailbox: string;
  enforceQuota: boolean;
  /** Flags and keywords the message starts with (IMAP APPEND), already validated; none when absent. */
  flags?: readonly string[];
  /**
   * The mailbox must already exist (IMAP APPEND answers [TRYCREATE]);
   * when false or absent a missing mailbox is created (delivery).
   */
  mustExist?: boolean;
}

export type LocalOutcome =
  | { ok: true; mailboxId: number; uidValidity: number; uid: number; modseq: number }
  | { ok: false; reason: 'quota' | 'no-account' | 'disabled' | 'no-mailbox' };

export interface DeliveryResult {
  local: LocalOutcome[];
  /** The results of the request's `also` messages, in order. */
  also?: DeliveryResult[];
  /** onlyOnce found its mark: nothing of this request was written. */
  skipped?: true;
  /** The request released a quarantine entry that no longer existed (deleted or released meanwhile): nothing was written. */
  releaseGone?: true;
}

/** commitAtomic's answer: on a failure nothing was written and results say which target failed. */
export interface AtomicDeliveryResult {
  committed: boolean;
  results: DeliveryResult[];
}

export interface DeliveryStore {
  /**
   * Commits several messages in one transaction (group commit). The
   * results are in request order; a failed recipient does not fail others.
   * New accounts get their default mailboxes (see core/mailbox-names).
   */
  commit(requests: readonly DeliveryRequest[]): Promise<DeliveryResult[]>;
  /**
   * Commits several messages all or nothing (IMAP MULTIAPPEND, RFC 3502):
   * one transaction, rolled back when any local target fails.
   */
  commitAtomic(requests: readonly DeliveryRequest[]): Promise<AtomicDeliveryResult>;
}

export type QueueRecipientStatus = 'queued' | 'deferred' | 'delivered' | 'bounced';

/** A DSN still owed for a recipient in a final state (RFC 3464 Action). */
export type DsnOwed = 'failed' | 'relayed' | 'delivered';

export interface QueueRecipient {
  recipient: string;
  status: QueueRecipientStatus;
  attempts: number;
  /** When the next attempt is due (queued, deferred). */
  nextAttempt: number;
  /** The last reply: the remote server's (deferred, delivered, bounced) or Petrel's own reason. */
  lastReply: string | null;
  /** Its enhanced status code (RFC 3463), such as 4.4.1 or 5.1.1. */
  statusCode: string | null;
  /** The host that gave the last reply, when a remote server did. */
  remoteHost: string | null;
  /** When it reached delivered or bounced. */
  doneAt: number | null;
  /** A DSN this final state still owes the sender. */
  dsnPending: DsnOwed | null;
  notify: string[] | null;
  orcpt: string | null;
}

export interface QueueEntry {
  queueId: string;
  sender: string;
  blobHash: string;
  size: number;
  source: string;
  accountId: number | null;
  messageId: string | null;
  held: boolean;
  /** Why it is held: the operator's hold, or the error that made it a poison message. */
  holdReason: string | null;
  /** Consecutive attempts that failed inside Petrel (not a remote reply). */
  failures: number;
  /** When the delay warning went out. */
  warnedAt: number | null;
  createdAt: number;
  envelope: OutboundEnvelope;
  recipients: QueueRecipient[];
}

/** One recipient's part of one delivery attempt, as the attempts history keeps it. */
export interface QueueAttempt {
  recipient: string;
  attemptedAt: number;
  outcome: 'delivered' | 'deferred' | 'bounced';
  host: string | null;
  address: string | null;
  statusCode: string | null;
  reply: string | null;
}

/** What an attempt did for one recipient; recorded durably before anything depends on it. */
export interface RecipientResult {
  queueId: string;
  recipient: string;
  outcome: 'delivered' | 'deferred' | 'bounced';
  at: number;
  reply: string;
  statusCode: string;
  host?: string | null;
  address?: string | null;
  /** Deferred: when to try again. */
  nextAttempt?: number;
  /** The DSN this result owes (set by the engine from NOTIFY and the peer's DSN support). */
  dsn?: DsnOwed | null;
}

export interface QueueStats {
  messages: number;
  held: number;
  recipients: Record<QueueRecipientStatus, number>;
  /** createdAt of the oldest message, or null when empty. */
  oldest: number | null;
  /** Pending recipients per destination domain, most first (at most 20). */
  domains: { domain: string; recipients: number }[];
}

export interface QueueStore {
  list(): Promise<QueueEntry[]>;
  get(queueId: string): Promise<QueueEntry | undefined>;
  remove(queueId: string): Promise<boolean>;
  /** Holds a message (delivery leaves it alone) or releases it (its failure count cleared); false when there is no such message. */
  setHeld(queueId: string, held: boolean, reason?: string): Promise<boolean>;
  /** The attempts history of a message, oldest first. */
  attempts(queueId: string): Promise<QueueAttempt[]>;
  /**
   * The ids of messages not held with a recipient due (queued or deferred,
   * next attempt at or before now), in queue id order (time order) after
   * the cursor, at most limit: one sweep of the scheduler reads forward and
   * loads only the messages it does not hold already.
   */
  dueIds(now: number, after: string, limit: number): Promise<string[]>;
  /** These messages, with their recipients (missing ids are left out). */
  getMany(queueIds: readonly string[]): Promise<QueueEntry[]>;
  /** The earliest next attempt of any pending recipient of a message not held, or null. */
  nextDue(): Promise<number | null>;
  /**
   * Records results in one durable transaction: each recipient's state and
   * an attempts row; a message left with nothing pending and no DSN owed
   * is removed. The queue ids removed.
   */
  record(results: readonly RecipientResult[]): Promise<string[]>;
  /** The DSNs for these recipients were sent: clears them, removing the message when it is done; true when it was removed. */
  dsnSent(queueId: string, recipients: readonly string[]): Promise<boolean>;
  /** Messages with a DSN owed, at most limit. */
  dsnOwed(limit: number): Promise<QueueEntry[]>;
  /**
   * A failure inside Petrel for this message: counted, its pending
   * recipients deferred to retryAt; at holdAfter failures the message is
   * held with the error (a poison message). Whether it was held.
   */
  failed(queueId: string, error: string, retryAt: number, holdAfter: number): Promise<boolean>;
  /** A successful attempt clears the failure count. */
  clearFailures(queueId: string): Promise<void>;
  markWarned(queueId: string, at: number): Promise<void>;
  /** Makes pending recipients due now: one message (retry) or all (flush, null). The number of recipients. */
  retryNow(queueId: string | null, now: number): Promise<number>;
  /**
   * Deferred recipients already overdue (a restart after downtime) spread
   * uniformly over [now, now + window), so they do not all go at once.
   * random in [0, 1) is injected. The number rescheduled.
   */
  spreadOverdue(now: number, window: number, random: () => number): Promise<number>;
  stats(): Promise<QueueStats>;
}

/** One RFC 5464 metadata entry: its name (lower case, `/private/...` or `/shared/...`) and value. */
export interface AnnotationEntry {
  entry: string;
  value: Buffer;
}

export type SetAnnotationsResult = { ok: true } | { ok: false; reason: 'too-many' | 'no-mailbox' };

/**
 * IMAP METADATA entries of an account: on the server (mailboxId null) or on
 * one of its mailboxes. Mailbox entries go with the mailbox: kept by
 * RENAME, removed by DELETE.
 */
export interface AnnotationStore {
  /** Every entry of the server (null) or of one mailbox of the account, sorted by name. */
  listAnnotations(accountId: number, mailboxId: number | null): Promise<AnnotationEntry[]>;
  /**
   * Sets (value) and removes (null) entries in one transaction, all or
   * nothing; 'too-many' when the account would then hold more than
   * maxEntries entries in all.
   */
  setAnnotations(accountId: number, mailboxId: number | null, changes: readonly { entry: string; value: Buffer | null }[], maxEntries: number): Promise<SetAnnotationsResult>;
}

export type LearningKind = 'spam' | 'ham';

/** A user's verdict on a message, recorded when it was moved into \Junk (spam) or out of it (ham). */
export interface LearningEvent {
  id: number;
  accountId: number;
  blobHash: string;
  kind: LearningKind;
  createdAt: number;
}

/**
 * The spam filter's training queue. Events are written by COPY/MOVE in the
 * same transaction as the messages; the filter reads them oldest first and
 * consumes those it has trained from. A blob with a pending event is kept.
 */
export interface LearningStore {
  /** Oldest first, at most limit, with ids above afterId when given. */
  listLearningEvents(limit: number, afterId?: number): Promise<LearningEvent[]>;
  /** Removes these events; the number removed. */
  consumeLearningEvents(ids: readonly number[]): Promise<number>;
}

/** In how many learned spam and ham messages something appeared (a token), or how many were learned (totals). */
export interface BayesCounts {
  spam: number;
  ham: number;
}

/** learned: new to the table; relearned: it had been learned as the other kind and moved; unchanged: already learned so. */
export type BayesLearnResult = 'learned' | 'relearned' | 'unchanged';

/**
 * The spam filter's Bayesian tables: the global one (accountId null) and
 * one per account. Tokens are opaque strings the classifier makes (hashes).
 * A message, known by a key (its SHA-256), is learned at most once per
 * table; learning it as the other kind moves its tokens from one side to
 * the other. Counts never go below zero.
 */
export interface BayesStore {
  /** How many spam and ham messages the table has learned. */
  totals(accountId: number | null): Promise<BayesCounts>;
  /** The counts of those of the tokens the table knows; a token never seen is absent. */
  tokenCounts(accountId: number | null, tokens: readonly string[]): Promise<Map<string, BayesCounts>>;
  /** Learns the message with its distinct tokens, in one transaction. */
  learn(accountId: number | null, key: string, kind: LearningKind, tokens: readonly string[], now: number): Promise<BayesLearnResult>;
  /** Unlearns the message (the same tokens it was learned with); false when the table had not learned it. */
  forget(accountId: number | null, key: string, tokens: readonly string[], now: number): Promise<boolean>;
}

/** A cached MTA-STS policy (RFC 8461 section 5): as the policy host served it, with when it was fetched. */
export interface MtaStsCachedPolicy {
  /** The TXT record's id the policy was fetched for. */
  id: string;
  mode: 'enforce' | 'testing' | 'none';
  /** Allowed MX patterns (lower-case A-labels, `*.` allowed as the left-most label); empty for mode none. */
  mx: string[];
  /** Seconds, capped at 31557600. */
  maxAge: number;
  /** Milliseconds since the epoch. */
  fetchedAt: number;
  /** fetchedAt + maxAge, in milliseconds. */
  expiresAt: number;
}

/** The MTA-STS policy cache, one policy per domain (A-label), kept across restarts. */
export interface MtaStsCache {
  get(domain: string): Promise<MtaStsCachedPolicy | undefined>;
  /** Replaces the domain's policy. */
  put(domain: string, policy: MtaStsCachedPolicy): Promise<void>;
  delete?(domain: string): Promise<void>;
}

/**
 * Blobs nothing uses any more: a message expunged from every mailbox, an
 * outbound message delivered and removed, a learning event consumed.
 * The collector (delivery/blob-collector.ts) reads a slice at a time and
 * forgets them; it runs on the thread that writes blobs.
 */
export interface BlobGarbage {
  /**
   * Of the blobs after `after` in hash order, at most `limit` looked at,
   * those unreferenced and stored at or before `storedBefore`; `last` is the
   * last hash looked at, or null when the scan reached the end.
   */
  unreferenced(after: string, limit: number, storedBefore: number): Promise<{ hashes: string[]; last: string | null }>;
  /**
   * In one transaction, for each hash: skipped when keep(hash) says so,
   * otherwise its rows (blob, search keys, full-text row) are deleted if
   * it is still unreferenced, and then removeFile(hash) is called, inside
   * the transaction, so that no commit can reference it in between. The
   * hashes forgotten.
   */
  forget(hashes: readonly string[], keep: (hash: string) => boolean, removeFile: (hash: string) => void): Promise<string[]>;
}

/**
 * ACME state shared by the server and the CLI: the account per CA
 * directory, and the HTTP-01 key authorizations the [http] listener serves
 * at /.well-known/acme-challenge/<token> while a validation runs.
 */
export interface AcmeStore {
  account(directoryUrl: string): Promise<{ accountKey: string; accountUrl: string | null; email: string | null } | undefined>;
  saveAccount(directoryUrl: string, account: { accountKey: string; accountUrl: string | null; email: string | null }): Promise<void>;
  /** The key authorization for a token, if it is set and not expired. */
  challenge(token: string, now: number): Promise<string | undefined>;
  setChallenge(token: string, keyAuthorization: string, expiresAt: number): Promise<void>;
  removeChallenge(token: string): Promise<void>;
}

/** How greylisting decides (filters/greylist). */
export interface GreylistPolicy {
  /** A triplet seen for the first time is deferred until this long has passed. */
  delayMs: number;
  /** A retry later than this after the first attempt starts over. */
  retryWindowMs: number;
  /** A triplet (or an allowlisted network) not seen for this long is forgotten. */
  maxAgeMs: number;
  /** A network whose triplets passed this many times is no longer greylisted; 0: never. */
  autoAllowAfter: number;
}

/**
 * Greylisting's memory: triplets (client network, sender, recipient, as an
 * opaque key) and client networks that retried. check() decides and
 * records in one transaction.
 */
export interface GreylistStore {
  /** new and wait: deferred; passed: the retry came after the delay (or it passed before); allowlisted: the network is trusted now. */
  check(triplet: string, network: string, now: number, policy: GreylistPolicy): Promise<'new' | 'wait' | 'passed' | 'allowlisted'>;
  /** Forgets what is older than the policy keeps; how many rows went. */
  expire(now: number, policy: GreylistPolicy): Promise<number>;
}

/** A user's Sieve script as stored: the source, and the compiled form made from it when it was stored. */
export interface SieveScriptRecord {
  accountId: number;
  /** NFC, validated by the caller (sieve-scripts/names.ts). */
  name: string;
  source: string;
  /** JSON text of the CompiledScript, never parsed again at upload. */
  compiled: string;
  /** Octets of the source (UTF-8): what size limits and the quota count. */
  size: number;
  active: boolean;
  createdAt: number;
  updatedAt: number;
}

/** What LISTSCRIPTS and `petrel sieve list` show. */
export type SieveScriptSummary = Pick<SieveScriptRecord, 'name' | 'size' | 'active' | 'updatedAt'>;

/** A script to store: name, source, its compiled JSON and its size in octets. */
export type SieveScriptInput = Pick<SieveScriptRecord, 'name' | 'source' | 'compiled' | 'size'>;

/** Per-user limits checked inside the writing transaction; 0 is no limit. */
export interface SieveScriptLimits {
  maxScripts: number;
  /** Total octets of all of a user's scripts, the one being replaced counted at its new size. */
  maxStorageBytes: number;
}

export type SievePutOutcome = { ok: true; created: boolean } | { ok: false; reason: 'max-scripts' | 'quota' };

/** Reading a user's scripts (ManageSieve, the CLI, delivery's active script). */
export interface SieveScriptReader {
  /** In name order. */
  list(accountId: number): Promise<SieveScriptSummary[]>;
  get(accountId: number, name: string): Promise<SieveScriptRecord | undefined>;
  /** The script delivery runs, if any. */
  active(accountId: number): Promise<SieveScriptRecord | undefined>;
  /** How many scripts and how many octets the user has, for HAVESPACE and the quota. */
  usage(accountId: number): Promise<{ count: number; bytes: number }>;
}

/** Changing a user's scripts; each call is one durable transaction. */
export interface SieveScriptWriter {
  /** Creates or replaces (an active script stays active); the limits are checked in the same transaction. */
  put(accountId: number, script: SieveScriptInput, limits: SieveScriptLimits, now: number): Promise<SievePutOutcome>;
  /** Makes name the only active script, or deactivates all with null; false when there is no such script (nothing changes). */
  setActive(accountId: number, name: string | null, now: number): Promise<boolean>;
  /** The active script is never deleted (RFC 5804 2.10). */
  delete(accountId: number, name: string): Promise<'deleted' | 'nonexistent' | 'active'>;
  /** An active script stays active under its new name. */
  rename(accountId: number, from: string, to: string, now: number): Promise<'renamed' | 'nonexistent' | 'exists'>;
}

export type SieveGlobalPhase = 'before' | 'after';

/** An administrator's script, run for every user before or after their own (Pigeonhole's sieve_before / sieve_after). */
export interface SieveGlobalScriptRecord extends SieveScriptInput {
  phase: SieveGlobalPhase;
  createdAt: number;
  updatedAt: number;
}

export interface SieveGlobalScripts {
  /** In phase order (before, after), then name order: the order delivery runs them. */
  listGlobal(): Promise<SieveGlobalScriptRecord[]>;
  /** Creates or replaces (the phase may change). */
  putGlobal(phase: SieveGlobalPhase, script: SieveScriptInput, now: number): Promise<{ created: boolean }>;
  deleteGlobal(name: string): Promise<boolean>;
}

export interface SieveScriptStore extends SieveScriptReader, SieveScriptWriter, SieveGlobalScripts {}

export interface MetadataStore {
  readonly directory: DirectoryStore;
  readonly mailboxes: MailboxStore & MailboxAdmin;
  readonly subscriptions: SubscriptionStore;
  readonly messages: MessageStore;
  readonly deliveries: DeliveryStore;
  readonly queue: QueueStore;
  readonly annotations: AnnotationStore;
  readonly learning: LearningStore;
  /** The spam filter's Bayes token counts, global and per account. */
  readonly bayes: BayesStore;
  /** The MTA-STS policy cache of outbound delivery. */
  readonly mtaSts: MtaStsCache;
  /** Messages the filters held. */
  readonly quarantine: QuarantineStore;
  readonly greylist: GreylistStore;
  /** Users' Sieve scripts and the global ones. */
  readonly sieve: SieveScriptStore;
  /** Sieve duplicate and vacation marks (written by DeliveryStore.commit). */
  readonly sieveMarks: SieveMarkReader;
  /** The search queue, which the commit worker's indexer empties. */
  readonly searchQueue: SearchIndexQueue;
  /** Blob hashes still referenced by a message, the queue, a learning event or the quarantine (for blob garbage collection). */
  isBlobReferenced(hash: string): Promise<boolean>;
  readonly blobGarbage: BlobGarbage;
  readonly acme: AcmeStore;
  close(): Promise<void>;
}
