/*
 * Mailbox repository in portable SQL: folders, their UID/MODSEQ counters,
 * and the messages in them.
 *
 * Security: callers are trusted modules; values are bound.
 * Standards: RFC 9051 (UIDVALIDITY, UIDNEXT), RFC 7162 (MODSEQ).
 */
import type { MailboxSpec } from '../../core/mailbox-names.js';
import type { MailboxRecord, MailboxStore, MessageRecord } from '../types.js';
import type { SqlDriver, SqlExecutor } from './driver.js';

interface MailboxRow { id: number; account_id: number; name: string; special_use: string | null; uidvalidity: number; uidnext: number; highest_modseq: number; message_count: number; total_size: number; subscribed: number }
interface MessageRow { id: number; mailbox_id: number; uid: number; modseq: number; flags: string; internal_date: number; save_date: number; size: number; blob_hash: string; message_id: string | null; queue_id: string | null }

const toMailbox = (r: MailboxRow): MailboxRecord => ({
  id: Number(r.id),
  accountId: Number(r.account_id),
  name: r.name,
  specialUse: r.special_use,
  uidValidity: Number(r.uidvalidity),
  uidNext: Number(r.uidnext),
  highestModseq: Number(r.highest_modseq),
  messageCount: Number(r.message_count),
  totalSize: Number(r.total_size),
  subscribed: Number(r.subscribed) === 1,
});

const toMessage = (r: MessageRow): MessageRecord => ({
  id: Number(r.id),
  mailboxId: Number(r.mailbox_id),
  uid: Number(r.uid),
  modseq: Number(r.modseq),
  flags: r.flags === '' ? [] : r.flags.split(' '),
  internalDate: Number(r.internal_date),
  saveDate: Number(r.save_date),
  size: Number(r.size),
  blobHash: r.blob_hash,
  messageId: r.message_id,
  queueId: r.queue_id,
});

/**
 * Creates the mailboxes an account lacks, inside the caller's transaction.
 * UIDVALIDITY is the creation time in seconds, made unique per account by
 * stepping past values already in use, as Dovecot does.
 */
export async function ensureMailboxesIn(tx: SqlExecutor, accountId: number, specs: readonly MailboxSpec[], now: number): Promise<void> {
  const existing = await tx.all<{ name: string; uidvalidity: number }>('SELECT name, uidvalidity FROM mailboxes WHERE account_id = ?', [accountId]);
  const names = new Set(existing.map((r) => r.name));
  let uidValidity = Math.max(Math.floor(now / 1000), ...existing.map((r) => Number(r.uidvalidity) + 1));
  for (const spec of specs) {
    if (names.has(spec.name)) continue;
    await tx.run('INSERT INTO mailboxes (account_id, name, special_use, uidvalidity, created_at) VALUES (?, ?, ?, ?, ?)', [accountId, spec.name, spec.specialUse, uidValidity++, now]);
  }
}

export class SqlMailboxStore implements MailboxStore {
  constructor(
    private readonly db: SqlDriver,
    private readonly now: () => number,
  ) {}

  ensureMailboxes(accountId: number, specs: readonly MailboxSpec[]): Promise<void> {
    return this.db.transaction((tx) => ensureMailboxesIn(tx, accountId, specs, this.now()));
  }

  async listMailboxes(accountId: number): Promise<MailboxRecord[]> {
    return (await this.db.all<MailboxRow>('SELECT * FROM mailboxes WHERE account_id = ? ORDER BY name', [accountId])).map(toMailbox);
  }

  async getMailbox(accountId: number, name: string): Promise<MailboxRecord | undefined> {
    const row = await this.db.get<MailboxRow>('SELECT * FROM mailboxes WHERE account_id = ? AND name = ?', [accountId, name]);
    return row && toMailbox(row);
  }

  async listMessages(mailboxId: number): Promise<MessageRecord[]> {
    return (await this.db.all<MessageRow>('SELECT * FROM messages WHERE mailbox_id = ? ORDER BY uid', [mailboxId])).map(toMessage);
  }

  async getBlobIndex(hash: string): Promise<string | undefined> {
    return (await this.db.get<{ mime: string }>('SELECT mime FROM blobs WHERE hash = ?', [hash]))?.mime;
  }
}
