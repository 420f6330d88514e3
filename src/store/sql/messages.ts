/*
 * Message repository in portable SQL: what IMAP, POP3 and webmail do to the
 * messages of a mailbox (flags, expunge, copy, move, append) and what
 * CONDSTORE/QRESYNC ask (changes since a MODSEQ, UIDs vanished since).
 *
 * Every mutation is one transaction that first takes the mailbox row with a
 * no-op `UPDATE ... RETURNING` (a row lock on PostgreSQL; SQLite's driver
 * already serialises transactions), so UIDNEXT and HIGHESTMODSEQ are read
 * and advanced under the lock and UIDs strictly increase. Quota is checked
 * and charged under a lock on the account row taken the same way; locks are
 * taken mailbox(es) first in id order, then the account.
 *
 * A COPY or MOVE into the account's \Junk, or out of it into anything but
 * \Trash, also records a spam or ham learning event per message in the same
 * transaction (learning.ts).
 *
 * Exports: SqlMessageStore.
 * Security: UID sets and flags come from clients through the protocol
 * parsers, which bound them; values are always bound.
 * Standards: RFC 9051 (STORE, EXPUNGE, COPY, APPEND, UIDs), RFC 4315
 * (UIDPLUS), RFC 6851 (MOVE), RFC 7162 (CONDSTORE, QRESYNC), RFC 9208
 * (QUOTA: STORAGE counted per message copy), RFC 8474 (copies keep their
 * EMAILID and THREADID; APPEND threads like delivery). SEARCH text
 * matching is search.ts, delegated to from here.
 */
import type {
  AppendResult,
  BlobRef,
  ChangesSince,
  CopyResult,
  ExpungeResult,
  FlagChange,
  FlagStoreMode,
  MessageRecord,
  MessageStore,
  MoveResult,
  SearchFields,
  StoreFlagsResult,
  TextField,
  UidSet,
} from '../types.js';
import type { SqlDriver, SqlExecutor } from './driver.js';
import { messageIdsIn } from '../../core/message-ids.js';
import { learningKind, recordLearning } from './learning.js';
import { emailIdOf, threadIdFor } from './threads.js';
import { insertSearchKeys, NO_SEARCH_KEYS } from './fulltext.js';
import { SqlMessageSearch } from './search.js';
import { flagsKey, flagsText, inUidSet, normaliseFlags, normaliseUidSet, parseFlags, uidWhere } from './uid-set.js';

interface LockedMailbox { id: number; account_id: number; uidvalidity: number; uidnext: number; highest_modseq: number; special_use: string | null }
export interface MessageRow { id: number; mailbox_id: number; uid: number; modseq: number; flags: string; internal_date: number; save_date: number; size: number; blob_hash: string; message_id: string | null; queue_id: string | null; thread_id: string | null }

const DELETED_PATTERN = '% \\Deleted %';
const SEEN_PATTERN = '% \\Seen %';

/** A messages row as the port's MessageRecord (shared with mailboxes.ts). */
export const toMessage = (r: MessageRow): MessageRecord => ({
  id: Number(r.id),
  mailboxId: Number(r.mailbox_id),
  uid: Number(r.uid),
  modseq: Number(r.modseq),
  flags: parseFlags(r.flags),
  internalDate: Number(r.internal_date),
  saveDate: Number(r.save_date),
  size: Number(r.size),
  blobHash: r.blob_hash,
  messageId: r.message_id,
  queueId: r.queue_id,
  emailId: emailIdOf(r.blob_hash),
  threadId: r.thread_id ?? null,
});

async function lockMailbox(tx: SqlExecutor, id: number): Promise<LockedMailbox | undefined> {
  const row = await tx.get<LockedMailbox>('UPDATE mailboxes SET uidnext = uidnext WHERE id = ? RETURNING id, account_id, uidvalidity, uidnext, highest_modseq, special_use', [id]);
  return row && { id: Number(row.id), account_id: Number(row.account_id), uidvalidity: Number(row.uidvalidity), uidnext: Number(row.uidnext), highest_modseq: Number(row.highest_modseq), special_use: row.special_use ?? null };
}

async function lockAccount(tx: SqlExecutor, id: number): Promise<{ quota: number; used: number } | undefined> {
  const row = await tx.get<{ quota_bytes: number; used_bytes: number }>('UPDATE accounts SET used_bytes = used_bytes WHERE id = ? RETURNING quota_bytes, used_bytes', [id]);
  return row && { quota: Number(row.quota_bytes), used: Number(row.used_bytes) };
}

/** The Message-ID (`<id>`) recorded in a MIME index, for threading an APPENDed message. */
function messageIdOfIndex(indexJson: string): string | null {
  try {
    return messageIdsIn((JSON.parse(indexJson) as { envelope?: { messageId?: string | null } }).envelope?.messageId)[0] ?? null;
  } catch {
    return null;
  }
}

const overQuota = (account: { quota: number; used: number }, adding: number) => account.quota > 0 && adding > 0 && account.used + adding > account.quota;

/** Rows of a mailbox in a UID set, in UID order; extra is an AND-ed clause on the row. */
async function rowsIn(ex: SqlExecutor, mailboxId: number, set: UidSet, extra = '', extraParams: string[] = []): Promise<MessageRow[]> {
  const ranges = normaliseUidSet(set);
  const where = uidWhere(ranges);
  if (where) {
    return ex.all<MessageRow>(`SELECT * FROM messages WHERE mailbox_id = ? AND ${where.sql}${extra} ORDER BY uid`, [mailboxId, ...where.params, ...extraParams]);
  }
  const rows = await ex.all<MessageRow>(`SELECT * FROM messages WHERE mailbox_id = ?${extra} ORDER BY uid`, [mailboxId, ...extraParams]);
  return rows.filter((r) => inUidSet(ranges, Number(r.uid)));
}

const sameFlags = (a: readonly string[], b: readonly string[]) => {
  if (a.length !== b.length) return false;
  const keys = new Set(a.map(flagsKey));
  return b.every((f) => keys.has(flagsKey(f)));
};

function applyFlags(current: readonly string[], mode: FlagStoreMode, flags: readonly string[]): string[] {
  if (mode === 'replace') return normaliseFlags(flags);
  if (mode === 'add') return normaliseFlags([...current, ...flags]);
  const drop = new Set(flags.map(flagsKey));
  return current.filter((f) => !drop.has(flagsKey(f)));
}

/** Removes the rows, records them for VANISHED, fixes the counters and releases quota. */
async function expungeRows(tx: SqlExecutor, box: LockedMailbox, rows: readonly MessageRow[]): Promise<ExpungeResult> {
  if (rows.length === 0) return { uids: [], modseq: 0 };
  const modseq = box.highest_modseq + 1;
  let bytes = 0;
  for (const row of rows) {
    bytes += Number(row.size);
    await tx.run('DELETE FROM messages WHERE id = ?', [row.id]);
    await tx.run('INSERT INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?) ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = excluded.modseq', [box.id, row.uid, modseq]);
  }
  await tx.run('UPDATE mailboxes SET highest_modseq = ?, message_count = message_count - ?, total_size = total_size - ? WHERE id = ?', [modseq, rows.length, bytes, box.id]);
  await tx.run('UPDATE accounts SET used_bytes = CASE WHEN used_bytes > ? THEN used_bytes - ? ELSE 0 END WHERE id = ?', [bytes, bytes, box.account_id]);
  box.highest_modseq = modseq;
  return { uids: rows.map((r) => Number(r.uid)), modseq };
}

type CopyOutcome = { ok: true; from: LockedMailbox; to: LockedMailbox; rows: MessageRow[]; mapping: { from: number; to: number }[] } | { ok: false; reason: 'quota' | 'no-mailbox' };

/** Copies the messages of a UID set; quota is checked when the target is another account's or quotaFree is false. */
async function copyRows(tx: SqlExecutor, fromId: number, uids: UidSet, toId: number, quotaFree: boolean, now: number): Promise<CopyOutcome> {
  const [first, second] = fromId <= toId ? [fromId, toId] : [toId, fromId];
  const a = await lockMailbox(tx, first);
  const b = first === second ? a : await lockMailbox(tx, second);
  if (!a || !b) return { ok: false, reason: 'no-mailbox' };
  const from = a.id === fromId ? a : b;
  const to = a.id === toId ? a : b;
  const rows = await rowsIn(tx, from.id, uids);
  const bytes = rows.reduce((sum, r) => sum + Number(r.size), 0);
  const account = await lockAccount(tx, to.account_id);
  if (!account) return { ok: false, reason: 'no-mailbox' };
  const free = quotaFree && from.account_id === to.account_id;
  if (!free && overQuota(account, bytes)) return { ok: false, reason: 'quota' };
  if (rows.length === 0) return { ok: true, from, to, rows, mapping: [] };
  const modseq = to.highest_modseq + 1;
  let uid = to.uidnext;
  const mapping: { from: number; to: number }[] = [];
  for (const row of rows) {
    // A copy keeps its thread (EMAILID follows from the blob).
    await tx.run('INSERT INTO messages (mailbox_id, uid, modseq, flags, internal_date, save_date, size, blob_hash, message_id, queue_id, thread_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      to.id,
      uid,
      modseq,
      row.flags,
      row.internal_date,
      now,
      row.size,
      row.blob_hash,
      row.message_id,
      row.queue_id,
      row.thread_id,
    ]);
    mapping.push({ from: Number(row.uid), to: uid++ });
  }
  await tx.run('UPDATE mailboxes SET uidnext = ?, highest_modseq = ?, message_count = message_count + ?, total_size = total_size + ? WHERE id = ?', [uid, modseq, rows.length, bytes, to.id]);
  await tx.run('UPDATE accounts SET used_bytes = used_bytes + ? WHERE id = ?', [bytes, to.account_id]);
  to.uidnext = uid;
  to.highest_modseq = modseq;
  const kind = from.account_id === to.account_id ? learningKind(from.special_use, to.special_use) : null;
  if (kind) await recordLearning(tx, to.account_id, rows.map((r) => r.blob_hash), kind, now);
  return { ok: true, from, to, rows, mapping };
}

export class SqlMessageStore implements MessageStore {
  private readonly search: SqlMessageSearch;
  constructor(
    private readonly db: SqlDriver,
    private readonly now: () => number,
  ) {
    this.search = new SqlMessageSearch(db);
  }

  matchText(mailboxId: number, field: TextField, needle: string): Promise<number[]> {
    return this.search.matchText(mailboxId, field, needle);
  }

  headerTexts(mailboxId: number, needle: string): Promise<{ uid: number; header: string }[]> {
    return this.search.headerTexts(mailboxId, needle);
  }

  unindexed(mailboxId: number): Promise<{ uid: number; hash: string; index: string }[]> {
    return this.search.unindexed(mailboxId);
  }

  searchFields(mailboxId: number, uids: UidSet): Promise<SearchFields[]> {
    return this.search.searchFields(mailboxId, uids);
  }

  async getMessages(mailboxId: number, uids: UidSet): Promise<MessageRecord[]> {
    return (await rowsIn(this.db, mailboxId, uids)).map(toMessage);
  }

  async countUnseen(mailboxId: number): Promise<{ unseen: number; firstUnseenUid: number | null }> {
    // Flags are stored space-separated with system flags in canonical spelling; `!` as the
    // LIKE escape keeps the backslash literal on PostgreSQL, whose default escape it is.
    const row = await this.db.get<{ n: number; first: number | null }>(
      `SELECT COUNT(*) AS n, MIN(uid) AS first FROM messages WHERE mailbox_id = ? AND (' ' || flags || ' ') NOT LIKE ? ESCAPE '!'`,
      [mailboxId, SEEN_PATTERN],
    );
    return { unseen: Number(row?.n ?? 0), firstUnseenUid: row?.first === null || row?.first === undefined ? null : Number(row.first) };
  }

  async unseenByMailbox(accountId: number): Promise<Map<number, number>> {
    const rows = await this.db.all<{ mailbox_id: number; n: number }>(
      `SELECT m.mailbox_id, COUNT(*) AS n FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
       WHERE b.account_id = ? AND (' ' || m.flags || ' ') NOT LIKE ? ESCAPE '!' GROUP BY m.mailbox_id`,
      [accountId, SEEN_PATTERN],
    );
    return new Map(rows.map((r) => [Number(r.mailbox_id), Number(r.n)]));
  }

  storeFlags(mailboxId: number, uids: UidSet, mode: FlagStoreMode, flags: readonly string[], unchangedSince?: number): Promise<StoreFlagsResult> {
    return this.db.transaction(async (tx) => {
      const box = await lockMailbox(tx, mailboxId);
      if (!box) return { updated: [], failed: [], highestModseq: 0 };
      const rows = await rowsIn(tx, mailboxId, uids);
      const failed: number[] = [];
      const updated: (FlagChange & { id: number })[] = [];
      for (const row of rows) {
        const uid = Number(row.uid);
        const modseq = Number(row.modseq);
        if (unchangedSince !== undefined && modseq > unchangedSince) {
          failed.push(uid);
          continue;
        }
        const current = parseFlags(row.flags);
        const next = applyFlags(current, mode, flags);
        updated.push({ id: Number(row.id), uid, flags: next, modseq, changed: !sameFlags(current, next) });
      }
      if (updated.some((u) => u.changed)) {
        const modseq = box.highest_modseq + 1;
        for (const u of updated) {
          if (!u.changed) continue;
          u.modseq = modseq;
          await tx.run('UPDATE messages SET flags = ?, modseq = ? WHERE id = ?', [flagsText(u.flags), modseq, u.id]);
        }
        await tx.run('UPDATE mailboxes SET highest_modseq = ? WHERE id = ?', [modseq, mailboxId]);
        box.highest_modseq = modseq;
      }
      return { updated: updated.map(({ uid, flags: f, modseq, changed }) => ({ uid, flags: f, modseq, changed })), failed, highestModseq: box.highest_modseq };
    });
  }

  expunge(mailboxId: number, uids?: UidSet): Promise<ExpungeResult> {
    return this.db.transaction(async (tx) => {
      const box = await lockMailbox(tx, mailboxId);
      if (!box) return { uids: [], modseq: 0 };
      const deleted = ` AND (' ' || flags || ' ') LIKE ? ESCAPE '!'`;
      const rows = uids === undefined
        ? await tx.all<MessageRow>(`SELECT * FROM messages WHERE mailbox_id = ?${deleted} ORDER BY uid`, [mailboxId, DELETED_PATTERN])
        : await rowsIn(tx, mailboxId, uids, deleted, [DELETED_PATTERN]);
      // SQLite's LIKE ignores ASCII case; the check below is exact.
      return expungeRows(tx, box, rows.filter((r) => parseFlags(r.flags).includes('\\Deleted')));
    });
  }

  copy(fromMailboxId: number, uids: UidSet, toMailboxId: number): Promise<CopyResult> {
    return this.db.transaction(async (tx): Promise<CopyResult> => {
      const outcome = await copyRows(tx, fromMailboxId, uids, toMailboxId, false, this.now());
      if (!outcome.ok) return outcome;
      return { ok: true, uidValidity: outcome.to.uidvalidity, mapping: outcome.mapping };
    });
  }

  move(fromMailboxId: number, uids: UidSet, toMailboxId: number): Promise<MoveResult> {
    return this.db.transaction(async (tx): Promise<MoveResult> => {
      const outcome = await copyRows(tx, fromMailboxId, uids, toMailboxId, true, this.now());
      if (!outcome.ok) return outcome;
      const expunged = await expungeRows(tx, outcome.from, outcome.rows);
      return { ok: true, uidValidity: outcome.to.uidvalidity, mapping: outcome.mapping, expunged };
    });
  }

  changedSince(mailboxId: number, modseq: number): Promise<ChangesSince> {
    // A transaction for one consistent view of messages, expunged rows and the counter.
    return this.db.transaction(async (tx) => {
      const box = await tx.get<{ highest_modseq: number }>('SELECT highest_modseq FROM mailboxes WHERE id = ?', [mailboxId]);
      const changed = await tx.all<{ uid: number; flags: string; modseq: number }>('SELECT uid, flags, modseq FROM messages WHERE mailbox_id = ? AND modseq > ? ORDER BY uid', [mailboxId, modseq]);
      const vanished = await tx.all<{ uid: number }>('SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY uid', [mailboxId, modseq]);
      return {
        changed: changed.map((r) => ({ uid: Number(r.uid), flags: parseFlags(r.flags), modseq: Number(r.modseq) })),
        vanished: vanished.map((r) => Number(r.uid)),
        highestModseq: Number(box?.highest_modseq ?? 0),
      };
    });
  }

  append(accountId: number, mailboxName: string, blob: BlobRef, flags: readonly string[], internalDate: number): Promise<AppendResult> {
    return this.db.transaction(async (tx): Promise<AppendResult> => {
      const found = await tx.get<{ id: number }>('SELECT id FROM mailboxes WHERE account_id = ? AND name = ?', [accountId, mailboxName]);
      const box = found && (await lockMailbox(tx, Number(found.id)));
      const account = await lockAccount(tx, accountId);
      if (!account) return { ok: false, reason: 'no-account' };
      if (!box) return { ok: false, reason: 'no-mailbox' };
      if (overQuota(account, blob.size)) return { ok: false, reason: 'quota' };
      const now = this.now();
      const uid = box.uidnext;
      const modseq = box.highest_modseq + 1;
      await tx.run('INSERT INTO blobs (hash, size, mime, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING', [blob.hash, blob.size, blob.index, now]);
      await insertSearchKeys(tx, blob.hash, blob.search ?? NO_SEARCH_KEYS);
      const messageId = messageIdOfIndex(blob.index);
      const threadId = await threadIdFor(tx, accountId, blob, messageId, undefined);
      await tx.run('INSERT INTO messages (mailbox_id, uid, modseq, flags, internal_date, save_date, size, blob_hash, message_id, thread_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        box.id,
        uid,
        modseq,
        flagsText(normaliseFlags(flags)),
        internalDate,
        now,
        blob.size,
        blob.hash,
        messageId,
        threadId,
      ]);
      await tx.run('UPDATE mailboxes SET uidnext = ?, highest_modseq = ?, message_count = message_count + 1, total_size = total_size + ? WHERE id = ?', [uid + 1, modseq, blob.size, box.id]);
      await tx.run('UPDATE accounts SET used_bytes = used_bytes + ? WHERE id = ?', [blob.size, accountId]);
      return { ok: true, mailboxId: box.id, uidValidity: box.uidvalidity, uid, modseq };
    });
  }
}
