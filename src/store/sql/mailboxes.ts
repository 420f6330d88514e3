/*
 * Mailbox repository in portable SQL: folders, their UID/MODSEQ counters,
 * the messages in them, and the folder life cycle (create with superiors,
 * rename of a hierarchy and the INBOX rule, delete leaving inferiors).
 *
 * Exports: SqlMailboxStore, ensureMailboxesIn, MAILBOX_SELECT, toMailbox,
 * mailboxObjectId.
 * Security: callers are trusted modules that validated the names; values
 * are bound.
 * Standards: RFC 9051 (UIDVALIDITY, UIDNEXT; 6.3.4 CREATE, 6.3.5 DELETE,
 * 6.3.6 RENAME), RFC 7162 (MODSEQ), RFC 8474 (MAILBOXID), RFC 3501
 * (\Recent: the per-mailbox mark claimRecent advances). Hierarchy separator `/`.
 */
import type { MailboxSpec } from '../../core/mailbox-names.js';
import { INBOX } from '../../core/mailbox-names.js';
import type { CreateMailboxResult, DeleteMailboxResult, MailboxAdmin, MailboxRecord, MailboxStore, MessageFlags, MessageRecord, RenameMailboxResult } from '../types.js';
import type { SqlDriver, SqlExecutor } from './driver.js';
import { toMessage, type MessageRow } from './messages.js';
import { parseFlags } from './uid-set.js';

interface MailboxRow { id: number; account_id: number; name: string; special_use: string | null; uidvalidity: number; uidnext: number; highest_modseq: number; message_count: number; total_size: number; subscribed: number; recent_uid: number }

/** Mailbox columns with `subscribed` read from the subscriptions table (migration 2). */
export const MAILBOX_SELECT = `SELECT m.id, m.account_id, m.name, m.special_use, m.uidvalidity, m.uidnext, m.highest_modseq, m.message_count, m.total_size, m.recent_uid,
  CASE WHEN s.name IS NULL THEN 0 ELSE 1 END AS subscribed
  FROM mailboxes m LEFT JOIN subscriptions s ON s.account_id = m.account_id AND s.name = m.name`;

export const toMailbox = (r: MailboxRow): MailboxRecord => ({
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
  objectId: mailboxObjectId(Number(r.account_id), Number(r.uidvalidity)),
  recentUid: Number(r.recent_uid),
});

/**
 * MAILBOXID (RFC 8474 4): the account and the UIDVALIDITY, which a mailbox
 * keeps for its whole life (RENAME moves the row) and which the account's
 * counter never gives out twice, so no id is ever reused.
 */
export const mailboxObjectId = (accountId: number, uidValidity: number): string => `F${accountId.toString(36)}-${uidValidity.toString(36)}`;


/**
 * Gives out the next UIDVALIDITY of an account: the time in seconds, or one
 * more than the last value given out if that is not smaller, so a name
 * deleted and created again within a second still gets a new one (as
 * Dovecot steps past values in use).
 */
async function nextUidValidity(tx: SqlExecutor, accountId: number, now: number, count = 1): Promise<number> {
  const row = await tx.get<{ last_uidvalidity: number }>('SELECT last_uidvalidity FROM accounts WHERE id = ?', [accountId]);
  const first = Math.max(Math.floor(now / 1000), Number(row?.last_uidvalidity ?? 0) + 1);
  await tx.run('UPDATE accounts SET last_uidvalidity = ? WHERE id = ?', [first + count - 1, accountId]);
  return first;
}

/**
 * Creates the mailboxes an account lacks, inside the caller's transaction,
 * each with its own UIDVALIDITY and a subscription (the defaults are
 * subscribed, as clients expect).
 */
export async function ensureMailboxesIn(tx: SqlExecutor, accountId: number, specs: readonly MailboxSpec[], now: number): Promise<void> {
  const existing = await tx.all<{ name: string }>('SELECT name FROM mailboxes WHERE account_id = ?', [accountId]);
  const names = new Set(existing.map((r) => r.name));
  const missing = specs.filter((spec) => !names.has(spec.name));
  if (missing.length === 0) return;
  let uidValidity = await nextUidValidity(tx, accountId, now, missing.length);
  for (const spec of missing) {
    await tx.run('INSERT INTO mailboxes (account_id, name, special_use, uidvalidity, created_at) VALUES (?, ?, ?, ?, ?)', [accountId, spec.name, spec.specialUse, uidValidity++, now]);
    await tx.run('INSERT INTO subscriptions (account_id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (account_id, name) DO NOTHING', [accountId, spec.name, now]);
  }
}

/** `a/b/c` → `a`, `a/b`. */
const superiors = (name: string): string[] => {
  const parts = name.split('/');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/')).filter((n) => n !== '');
};

export class SqlMailboxStore implements MailboxStore, MailboxAdmin {
  constructor(
    private readonly db: SqlDriver,
    private readonly now: () => number,
  ) {}

  ensureMailboxes(accountId: number, specs: readonly MailboxSpec[]): Promise<void> {
    return this.db.transaction((tx) => ensureMailboxesIn(tx, accountId, specs, this.now()));
  }

  async listMailboxes(accountId: number): Promise<MailboxRecord[]> {
    return (await this.db.all<MailboxRow>(`${MAILBOX_SELECT} WHERE m.account_id = ? ORDER BY m.name`, [accountId])).map(toMailbox);
  }

  async getMailbox(accountId: number, name: string): Promise<MailboxRecord | undefined> {
    const row = await this.db.get<MailboxRow>(`${MAILBOX_SELECT} WHERE m.account_id = ? AND m.name = ?`, [accountId, name]);
    return row && toMailbox(row);
  }

  async listMessages(mailboxId: number): Promise<MessageRecord[]> {
    return (await this.db.all<MessageRow>('SELECT * FROM messages WHERE mailbox_id = ? ORDER BY uid', [mailboxId])).map(toMessage);
  }

  async listMessageFlags(mailboxId: number): Promise<MessageFlags[]> {
    // Two columns instead of the whole row: at 100,000 messages, SELECT * took four times as long (bench/imap-mailbox-100k).
    const rows = await this.db.all<{ uid: number; flags: string }>('SELECT uid, flags FROM messages WHERE mailbox_id = ? ORDER BY uid', [mailboxId]);
    return rows.map((r) => ({ uid: Number(r.uid), flags: parseFlags(r.flags) }));
  }

  async getBlobIndex(hash: string): Promise<string | undefined> {
    return (await this.db.get<{ mime: string }>('SELECT mime FROM blobs WHERE hash = ?', [hash]))?.mime;
  }

  async claimRecent(mailboxId: number): Promise<{ from: number; to: number }> {
    // A read first: when nothing is left to claim (every session but the first after a delivery, e.g.
    // thousands in IDLE) no write transaction, and so no fsync, is spent. A claim that races with it
    // is settled by the transaction below.
    const peek = await this.db.get<{ recent_uid: number; uidnext: number }>('SELECT recent_uid, uidnext FROM mailboxes WHERE id = ?', [mailboxId]);
    if (!peek) return { from: 0, to: 0 };
    if (Number(peek.uidnext) <= Number(peek.recent_uid)) return { from: Number(peek.recent_uid), to: Number(peek.recent_uid) };
    return this.db.transaction(async (tx) => {
      // The no-op UPDATE locks the row (PostgreSQL) so two SELECTs never claim the same messages.
      const row = await tx.get<{ recent_uid: number; uidnext: number }>('UPDATE mailboxes SET uidnext = uidnext WHERE id = ? RETURNING recent_uid, uidnext', [mailboxId]);
      if (!row) return { from: 0, to: 0 };
      const from = Number(row.recent_uid);
      const to = Number(row.uidnext);
      if (to > from) await tx.run('UPDATE mailboxes SET recent_uid = ? WHERE id = ?', [to, mailboxId]);
      return { from, to: Math.max(from, to) };
    });
  }

  createMailbox(accountId: number, name: string, specialUse: string | null = null): Promise<CreateMailboxResult> {
    return this.db.transaction(async (tx) => {
      if (await tx.get('SELECT id FROM mailboxes WHERE account_id = ? AND name = ?', [accountId, name])) return { ok: false, reason: 'exists' };
      const existing = new Set((await tx.all<{ name: string }>('SELECT name FROM mailboxes WHERE account_id = ?', [accountId])).map((r) => r.name));
      const now = this.now();
      const missing = superiors(name).filter((n) => !existing.has(n));
      let uidValidity = await nextUidValidity(tx, accountId, now, missing.length + 1);
      for (const superior of missing) {
        await tx.run('INSERT INTO mailboxes (account_id, name, special_use, uidvalidity, created_at) VALUES (?, ?, NULL, ?, ?)', [accountId, superior, uidValidity++, now]);
      }
      await tx.run('INSERT INTO mailboxes (account_id, name, special_use, uidvalidity, created_at) VALUES (?, ?, ?, ?, ?)', [accountId, name, specialUse, uidValidity, now]);
      const row = await tx.get<MailboxRow>(`${MAILBOX_SELECT} WHERE m.account_id = ? AND m.name = ?`, [accountId, name]);
      return { ok: true, mailbox: toMailbox(row!) };
    });
  }

  renameMailbox(accountId: number, from: string, to: string): Promise<RenameMailboxResult> {
    return this.db.transaction(async (tx): Promise<RenameMailboxResult> => {
      const rows = await tx.all<{ id: number; name: string }>('SELECT id, name FROM mailboxes WHERE account_id = ?', [accountId]);
      const byName = new Map(rows.map((r) => [r.name, Number(r.id)]));
      const source = byName.get(from);
      if (source === undefined) return { ok: false, reason: 'not-found' };
      if (to === from) return { ok: false, reason: 'exists' };
      const now = this.now();
      if (from === INBOX) {
        // RFC 9051 6.3.6: INBOX's messages go to a new mailbox; INBOX stays, empty, with its
        // inferiors, so the new name may be one of them (INBOX/Old).
        if (byName.has(to)) return { ok: false, reason: 'exists' };
        const missing = superiors(to).filter((n) => !byName.has(n));
        let uidValidity = await nextUidValidity(tx, accountId, now, missing.length + 1);
        for (const superior of missing) {
          await tx.run('INSERT INTO mailboxes (account_id, name, special_use, uidvalidity, created_at) VALUES (?, ?, NULL, ?, ?)', [accountId, superior, uidValidity++, now]);
        }
        const inbox = await tx.get<{ uidnext: number; highest_modseq: number; message_count: number; total_size: number }>(
          'UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = ? RETURNING uidnext, highest_modseq, message_count, total_size',
          [source],
        );
        const target = await tx.get<{ id: number }>(
          'INSERT INTO mailboxes (account_id, name, special_use, uidvalidity, uidnext, highest_modseq, message_count, total_size, created_at) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?) RETURNING id',
          [accountId, to, uidValidity, inbox!.uidnext, inbox!.highest_modseq, inbox!.message_count, inbox!.total_size, now],
        );
        const modseq = Number(inbox!.highest_modseq);
        // The messages vanish from INBOX (QRESYNC sees them go) and keep their UIDs under the new UIDVALIDITY.
        await tx.run('INSERT INTO expunged (mailbox_id, uid, modseq) SELECT mailbox_id, uid, CAST(? AS BIGINT) FROM messages WHERE mailbox_id = ? ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = excluded.modseq', [modseq, source]);
        await tx.run('UPDATE messages SET mailbox_id = ? WHERE mailbox_id = ?', [Number(target!.id), source]);
        await tx.run('UPDATE mailboxes SET message_count = 0, total_size = 0 WHERE id = ?', [source]);
        return { ok: true, renamed: [{ from, to }] };
      }
      if (to.startsWith(`${from}/`)) return { ok: false, reason: 'into-itself' };
      const renamed = rows
        .filter((r) => r.name === from || r.name.startsWith(`${from}/`))
        .map((r) => ({ id: Number(r.id), from: r.name, to: to + r.name.slice(from.length) }));
      const moving = new Set(renamed.map((r) => r.from));
      if (renamed.some((r) => byName.has(r.to) && !moving.has(r.to))) return { ok: false, reason: 'exists' };
      const missing = superiors(to).filter((n) => !byName.has(n));
      let uidValidity = missing.length > 0 ? await nextUidValidity(tx, accountId, now, missing.length) : 0;
      for (const superior of missing) {
        await tx.run('INSERT INTO mailboxes (account_id, name, special_use, uidvalidity, created_at) VALUES (?, ?, NULL, ?, ?)', [accountId, superior, uidValidity++, now]);
      }
      // Two steps through temporary names (invalid as mailbox names), so swapping within the hierarchy never trips UNIQUE (account_id, name).
      for (const r of renamed) await tx.run('UPDATE mailboxes SET name = ? WHERE id = ?', [`/rename/${r.id}`, r.id]);
      for (const r of renamed) await tx.run('UPDATE mailboxes SET name = ? WHERE id = ?', [r.to, r.id]);
      // Subscriptions of the renamed names follow them, as Dovecot and Cyrus do.
      const subs = (await tx.all<{ name: string }>('SELECT name FROM subscriptions WHERE account_id = ?', [accountId])).map((r) => r.name);
      for (const name of subs.filter((n) => moving.has(n))) {
        await tx.run('DELETE FROM subscriptions WHERE account_id = ? AND name = ?', [accountId, name]);
      }
      for (const name of subs.filter((n) => moving.has(n))) {
        await tx.run('INSERT INTO subscriptions (account_id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (account_id, name) DO NOTHING', [accountId, to + name.slice(from.length), now]);
      }
      return { ok: true, renamed: renamed.map(({ from: f, to: t }) => ({ from: f, to: t })) };
    });
  }

  deleteMailbox(accountId: number, name: string): Promise<DeleteMailboxResult> {
    return this.db.transaction(async (tx): Promise<DeleteMailboxResult> => {
      if (name === INBOX) return { ok: false, reason: 'inbox' };
      // A no-op UPDATE locks the row (PostgreSQL), so no APPEND slips in between the sizes read and the delete.
      const box = await tx.get<{ id: number; message_count: number; total_size: number }>(
        'UPDATE mailboxes SET uidnext = uidnext WHERE account_id = ? AND name = ? RETURNING id, message_count, total_size',
        [accountId, name],
      );
      if (!box) return { ok: false, reason: 'not-found' };
      await tx.run('UPDATE accounts SET used_bytes = CASE WHEN used_bytes > ? THEN used_bytes - ? ELSE 0 END WHERE id = ?', [box.total_size, box.total_size, accountId]);
      await tx.run('DELETE FROM messages WHERE mailbox_id = ?', [box.id]);
      await tx.run('DELETE FROM expunged WHERE mailbox_id = ?', [box.id]);
      await tx.run('DELETE FROM mailboxes WHERE id = ?', [box.id]);
      return { ok: true, expunged: Number(box.message_count) };
    });
  }
}
