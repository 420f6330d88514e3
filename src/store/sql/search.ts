/*
 * Search repository in SQL: text matches of a mailbox's indexed messages
 * (through fulltext.ts, the only dialect-specific part), the messages not
 * indexed yet, their sort and thread keys from blob_search, and the search
 * queue the indexer empties.
 *
 * Exports: SqlMessageSearch, SqlSearchQueue, SEARCH_SCAN_CHUNK.
 * Security: needles and UID sets come from IMAP clients; always bound. A
 * needle too short for the trigram index is matched by scanning the
 * mailbox's text in chunks of SEARCH_SCAN_CHUNK messages with a turn of
 * the event loop between chunks, so one SEARCH cannot hold the process.
 * Standards: RFC 9051 section 6.4.4 (substring, case-insensitive).
 */
import type { BlobSearchText, MessageSearch, SearchFields, SearchIndexQueue, TextField, UidSet } from '../types.js';
import type { SqlDriver } from './driver.js';
import { indexSearchText, likeMatch, matchTextSql, SHORT_NEEDLE_CHARS, unindexedSql } from './fulltext.js';
import { inUidSet, normaliseUidSet, uidWhere } from './uid-set.js';

/** Messages scanned per statement when a needle cannot use the index; a few ms of work each. */
export const SEARCH_SCAN_CHUNK = 500;

interface FieldsRow {
  uid: number;
  sent_date: number | null;
  sent_day: number | null;
  subject: string | null;
  from_mailbox: string | null;
  to_mailbox: string | null;
  cc_mailbox: string | null;
  message_id: string | null;
  in_reply_to: string | null;
  refs: string | null;
}

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const num = (v: number | null) => (v === null ? null : Number(v));

export class SqlMessageSearch implements MessageSearch {
  constructor(private readonly db: SqlDriver) {}

  async matchText(mailboxId: number, field: TextField, needle: string): Promise<number[]> {
    if ([...needle].length >= SHORT_NEEDLE_CHARS) {
      const q = matchTextSql(this.db.dialect, mailboxId, field, needle);
      return (await this.db.all<{ uid: number }>(q.sql, q.params)).map((r) => Number(r.uid));
    }
    const out: number[] = [];
    await this.scan(mailboxId, async (lo, hi) => {
      const q = likeMatch(this.db.dialect, mailboxId, field, needle, lo, hi);
      for (const r of await this.db.all<{ uid: number }>(q.sql, q.params)) out.push(Number(r.uid));
    });
    return out;
  }

  async headerTexts(mailboxId: number, needle: string): Promise<{ uid: number; header: string }[]> {
    const out: { uid: number; header: string }[] = [];
    const read = async (uids: number[]) => {
      for (let i = 0; i < uids.length; i += SEARCH_SCAN_CHUNK) {
        const chunk = uids.slice(i, i + SEARCH_SCAN_CHUNK);
        const wanted = new Set(chunk);
        const rows = await this.db.all<{ uid: number; header: string }>(
          `SELECT m.uid AS uid, t.header AS header FROM messages m JOIN blob_search s ON s.hash = m.blob_hash JOIN blob_text t ON t.rowid = s.id
           WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid`,
          [mailboxId, chunk[0]!, chunk[chunk.length - 1]!],
        );
        for (const r of rows) if (wanted.has(Number(r.uid))) out.push({ uid: Number(r.uid), header: r.header });
        await yieldTurn();
      }
    };
    if ([...needle].length >= SHORT_NEEDLE_CHARS) await read(await this.matchText(mailboxId, 'header', needle));
    else await read((await this.db.all<{ uid: number }>('SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid', [mailboxId])).map((r) => Number(r.uid)));
    return out;
  }

  async unindexed(mailboxId: number): Promise<{ uid: number; hash: string; index: string }[]> {
    const q = unindexedSql(mailboxId);
    return (await this.db.all<{ uid: number; hash: string; index: string }>(q.sql, q.params)).map((r) => ({ ...r, uid: Number(r.uid) }));
  }

  async searchFields(mailboxId: number, uids: UidSet): Promise<SearchFields[]> {
    const ranges = normaliseUidSet(uids);
    const where = uidWhere(ranges);
    const sql = `SELECT m.uid AS uid, s.sent_date, s.sent_day, s.subject, s.from_mailbox, s.to_mailbox, s.cc_mailbox, s.message_id, s.in_reply_to, s.refs
                 FROM messages m LEFT JOIN blob_search s ON s.hash = m.blob_hash WHERE m.mailbox_id = ?`;
    const rows = where
      ? await this.db.all<FieldsRow>(`${sql} AND ${where.sql.replaceAll('uid', 'm.uid')} ORDER BY m.uid`, [mailboxId, ...where.params])
      : (await this.db.all<FieldsRow>(`${sql} ORDER BY m.uid`, [mailboxId])).filter((r) => inUidSet(ranges, Number(r.uid)));
    return rows.map((r) => ({
      uid: Number(r.uid),
      sentDate: num(r.sent_date),
      sentDay: num(r.sent_day),
      subject: r.subject ?? '',
      fromMailbox: r.from_mailbox,
      toMailbox: r.to_mailbox,
      ccMailbox: r.cc_mailbox,
      messageId: r.message_id,
      inReplyTo: r.in_reply_to,
      references: r.refs,
    }));
  }

  /** Calls fn with UID ranges of at most SEARCH_SCAN_CHUNK messages of the mailbox, yielding between them. */
  private async scan(mailboxId: number, fn: (lo: number, hi: number) => Promise<void>): Promise<void> {
    const uids = (await this.db.all<{ uid: number }>('SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid', [mailboxId])).map((r) => Number(r.uid));
    for (let i = 0; i < uids.length; i += SEARCH_SCAN_CHUNK) {
      await fn(uids[i]!, uids[Math.min(i + SEARCH_SCAN_CHUNK, uids.length) - 1]!);
      await yieldTurn();
    }
  }
}

/** The search queue over SQL (store/sql/fulltext.ts). */
export class SqlSearchQueue implements SearchIndexQueue {
  constructor(private readonly db: SqlDriver) {}

  async queued(limit: number): Promise<{ id: number; hash: string; index: string }[]> {
    const rows = await this.db.all<{ id: number; hash: string; index: string }>(
      'SELECT q.id AS id, s.hash AS hash, b.mime AS "index" FROM search_queue q JOIN blob_search s ON s.id = q.id JOIN blobs b ON b.hash = s.hash ORDER BY q.id LIMIT ?',
      [limit],
    );
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  index(entries: readonly { id: number; text: BlobSearchText }[]): Promise<void> {
    return this.db.transaction(
      async (tx) => {
        for (const { id, text } of entries) await indexSearchText(tx, id, text);
      },
      { durable: false },
    );
  }
}
