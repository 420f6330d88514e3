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
  subscribed: boolean;
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
}

export interface AccountUpdate {
  passwordHash?: string;
  quotaBytes?: number;
  enabled?: boolean;
}

export interface DirectoryStore {
  addDomain(input: { name: string; ascii: string; aliasOf?: string | null }): Promise<DomainRecord>;
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

export interface MailboxStore {
  /** Creates any of these mailboxes the account lacks. */
  ensureMailboxes(accountId: number, specs: readonly MailboxSpec[]): Promise<void>;
  listMailboxes(accountId: number): Promise<MailboxRecord[]>;
  getMailbox(accountId: number, name: string): Promise<MailboxRecord | undefined>;
  listMessages(mailboxId: number): Promise<MessageRecord[]>;
  /** The MIME index stored with a blob at delivery (JSON text). */
  getBlobIndex(hash: string): Promise<string | undefined>;
}

/** One message to commit: its blob, where it lands locally, what is queued. */
export interface DeliveryRequest {
  blob: { hash: string; size: number; index: string };
  internalDate: number;
  messageId: string | null;
  queueId: string;
  /** Local mailboxes; each gets its own UID. */
  local: { accountId: number; mailbox: string; enforceQuota: boolean }[];
  /** Remote recipients for the outbound queue, if any. */
  outbound?: { sender: string; recipients: string[]; source: string; accountId: number | null };
}

export type LocalOutcome =
  | { ok: true; mailboxId: number; uid: number }
  | { ok: false; reason: 'quota' | 'no-account' | 'disabled' };

export interface DeliveryResult {
  local: LocalOutcome[];
}

export interface DeliveryStore {
  /**
   * Commits several messages in one transaction (group commit). The
   * results are in request order; a failed recipient does not fail others.
   * New accounts get their default mailboxes (see core/mailbox-names).
   */
  commit(requests: readonly DeliveryRequest[]): Promise<DeliveryResult[]>;
}

export type QueueRecipientStatus = 'queued' | 'deferred' | 'delivered' | 'bounced';

export interface QueueEntry {
  queueId: string;
  sender: string;
  blobHash: string;
  size: number;
  source: string;
  accountId: number | null;
  messageId: string | null;
  held: boolean;
  createdAt: number;
  recipients: { recipient: string; status: QueueRecipientStatus; attempts: number; nextAttempt: number; lastReply: string | null }[];
}

export interface QueueStore {
  list(): Promise<QueueEntry[]>;
  get(queueId: string): Promise<QueueEntry | undefined>;
  remove(queueId: string): Promise<boolean>;
}

export interface MetadataStore {
  readonly directory: DirectoryStore;
  readonly mailboxes: MailboxStore;
  readonly deliveries: DeliveryStore;
  readonly queue: QueueStore;
  /** Blob hashes still referenced by a message or the queue (for blob garbage collection). */
  isBlobReferenced(hash: string): Promise<boolean>;
  close(): Promise<void>;
}
