/*
 * Full-text storage and matching for SEARCH: the ONE place in the SQL
 * repositories with SQL that only SQLite understands (the FTS5 virtual
 * table with the trigram tokenizer, its MATCH syntax, the trigger that
 * keeps it in step). A PostgreSQL backend implements the same functions
 * here under `dialect === 'postgres'` (today: a plain table matched with
 * ILIKE; a pg_trgm GIN index is the equivalent of the trigram table).
 *
 * Layout: blob_search (portable, migration 3) holds one row per blob with
 * the sort and thread keys; blob_text holds the searchable text with
 * rowid = blob_search.id, so a blob shared by COPY is indexed once.
 * Deleting a blob row cascades to blob_search, whose trigger deletes the
 * blob_text row.
 *
 * The search queue (migration 6): delivery stores only a blob's sort and
 * thread keys (blob_search) and queues its id in search_queue; the commit
 * worker's indexer (delivery/search-indexer.ts) computes the text from the
 * blob and indexes it later, when deliveries pause. Computing the text and
 * the FTS5 insert cost about 0.3 ms of CPU per 4 KiB message, which inside
 * the delivery transaction cut bench/smtp-ingest from 850 to 718
 * messages/s. A queued blob has no blob_text row; SEARCH reads such
 * messages themselves (MessageSearch.unindexed, mailbox/search.ts), so
 * nothing delivered is ever missed.
 *
 * Substring semantics: IMAP SEARCH is a case-insensitive substring match.
 * The trigram tokenizer (case_sensitive 0: Unicode case folding) answers a
 * phrase query of 3 or more characters from its index, exactly as a
 * substring. Shorter needles cannot use trigrams: they are matched with
 * LIKE over the mailbox's rows in bounded chunks (LIKE folds ASCII case
 * only, so non-ASCII letters are tried in both cases: caseVariants).
 *
 * Exports: fullTextDdl, searchQueueDdl, insertSearchKeys, NO_SEARCH_KEYS, indexSearchText,
 * matchTextSql, likeMatch, unindexedSql, caseVariants, SHORT_NEEDLE_CHARS.
 * Security: needles come from IMAP clients: they are bound parameters,
 * quoted as one FTS5 phrase (double quotes doubled), LIKE wildcards
 * escaped; no client text is ever part of the SQL.
 */
import type { BlobSearchKeys, BlobSearchText, TextField } from '../types.js';
import type { Dialect, SqlExecutor } from './driver.js';

/** Below this many characters a needle has no trigram and is matched by a LIKE scan. */
export const SHORT_NEEDLE_CHARS = 3;

const COLUMNS: Record<Exclude<TextField, 'text'>, string> = {
  subject: 'subject',
  from: 'from_text',
  to: 'to_text',
  cc: 'cc_text',
  bcc: 'bcc_text',
  header: 'header',
  body: 'body',
};

const columnsOf = (field: TextField): string[] => (field === 'text' ? ['header', 'body'] : [COLUMNS[field]]);

/** Statements of migration 3 that differ per dialect (blob_search itself is portable, in migrations.ts). */
export function fullTextDdl(d: Dialect): string[] {
  if (d === 'sqlite') {
    return [
      `CREATE VIRTUAL TABLE blob_text USING fts5(subject, from_text, to_text, cc_text, bcc_text, header, body, tokenize = 'trigram')`,
      `CREATE TRIGGER blob_search_delete AFTER DELETE ON blob_search BEGIN DELETE FROM blob_text WHERE rowid = old.id; END`,
    ];
  }
  return [
    `CREATE TABLE blob_text (
      rowid BIGINT PRIMARY KEY REFERENCES blob_search(id) ON DELETE CASCADE,
      subject TEXT NOT NULL, from_text TEXT NOT NULL, to_text TEXT NOT NULL, cc_text TEXT NOT NULL,
      bcc_text TEXT NOT NULL, header TEXT NOT NULL, body TEXT NOT NULL
    )`,
  ];
}

/**
 * Migration 6: the queue of blobs whose text is not indexed yet, and every
 * blob already stored without text (before schema 3) put on it.
 */
export function searchQueueDdl(d: Dialect): string[] {
  return [
    `CREATE TABLE search_queue (id ${d === 'sqlite' ? 'INTEGER' : 'BIGINT'} PRIMARY KEY REFERENCES blob_search(id) ON DELETE CASCADE)`,
    `INSERT INTO blob_search (hash) SELECT b.hash FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM blob_search s WHERE s.hash = b.hash)`,
    `INSERT INTO search_queue (id) SELECT s.id FROM blob_search s WHERE NOT EXISTS (SELECT 1 FROM blob_text t WHERE t.rowid = s.id)`,
  ];
}

/** The keys of a blob stored without them: the indexer computes them with its text. */
export const NO_SEARCH_KEYS: BlobSearchKeys = Object.freeze({
  subject: '', sentDate: null, sentDay: null, messageId: null, inReplyTo: null, references: null, fromMailbox: null, toMailbox: null, ccMailbox: null,
});

/**
 * Stores a blob's sort keys and queues it for indexing, unless the blob
 * already has them; runs inside the caller's (delivery) transaction.
 */
export async function insertSearchKeys(tx: SqlExecutor, hash: string, k: BlobSearchKeys): Promise<void> {
  const row = await tx.get<{ id: number }>(
    `INSERT INTO blob_search (hash, sent_date, sent_day, subject, from_mailbox, to_mailbox, cc_mailbox, message_id, in_reply_to, refs)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING RETURNING id`,
    [hash, k.sentDate, k.sentDay, k.subject, k.fromMailbox, k.toMailbox, k.ccMailbox, k.messageId, k.inReplyTo, k.references],
  );
  if (row) await tx.run('INSERT INTO search_queue (id) VALUES (?)', [row.id]);
}

/**
 * Takes a queued blob off the queue and stores its text in the index and
 * its keys (a blob queued by migration 6 has none yet); nothing when it is
 * no longer queued (indexed already, or deleted). Inside the caller's transaction.
 */
export async function indexSearchText(tx: SqlExecutor, id: number, t: BlobSearchText): Promise<void> {
  if ((await tx.run('DELETE FROM search_queue WHERE id = ?', [id])) === 0) return;
  await tx.run(
    `UPDATE blob_search SET sent_date = ?, sent_day = ?, subject = ?, from_mailbox = ?, to_mailbox = ?, cc_mailbox = ?, message_id = ?, in_reply_to = ?, refs = ? WHERE id = ?`,
    [t.sentDate, t.sentDay, t.subject, t.fromMailbox, t.toMailbox, t.ccMailbox, t.messageId, t.inReplyTo, t.references, id],
  );
  await tx.run('INSERT INTO blob_text (rowid, subject, from_text, to_text, cc_text, bcc_text, header, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
    id,
    t.subject,
    t.from,
    t.to,
    t.cc,
    t.bcc,
    t.header,
    t.body,
  ]);
}

/**
 * SQL and parameters listing a mailbox's messages whose blob is still
 * queued: uid, hash and MIME index. The joins start from the queue (CROSS
 * JOIN fixes SQLite's order) and reach messages by blob hash (the unary +
 * keeps SQLite from using the mailbox index instead, which would scan the
 * whole mailbox per queued blob).
 */
export function unindexedSql(mailboxId: number): { sql: string; params: number[] } {
  return {
    sql: `SELECT m.uid AS uid, s.hash AS hash, b.mime AS "index"
          FROM search_queue q CROSS JOIN blob_search s CROSS JOIN messages m CROSS JOIN blobs b
          WHERE s.id = q.id AND m.blob_hash = s.hash AND +m.mailbox_id = ? AND b.hash = s.hash ORDER BY m.uid`,
    params: [mailboxId],
  };
}

/**
 * SQL and parameters selecting the UIDs of a mailbox whose field contains
 * a needle of SHORT_NEEDLE_CHARS or more characters, from the index.
 */
export function matchTextSql(d: Dialect, mailboxId: number, field: TextField, needle: string): { sql: string; params: (string | number)[] } {
  if (d === 'sqlite') {
    const phrase = `{${columnsOf(field).join(' ')}} : "${needle.replaceAll('"', '""')}"`;
    // The matches are materialised once and then probed: as an IN (subquery) or a plain join,
    // SQLite re-runs the full-text query per mailbox row (seconds for a common word).
    return {
      sql: `WITH f(r) AS MATERIALIZED (SELECT rowid FROM blob_text WHERE blob_text MATCH ?)
            SELECT m.uid AS uid FROM messages m JOIN blob_search s ON s.hash = m.blob_hash JOIN f ON f.r = s.id
            WHERE m.mailbox_id = ? ORDER BY m.uid`,
      params: [phrase, mailboxId],
    };
  }
  const like = likePattern(needle);
  return {
    sql: `SELECT m.uid AS uid FROM messages m JOIN blob_search s ON s.hash = m.blob_hash JOIN blob_text t ON t.rowid = s.id
          WHERE m.mailbox_id = ? AND (${columnsOf(field).map((c) => `t.${c} ILIKE ? ESCAPE '!'`).join(' OR ')}) ORDER BY m.uid`,
    params: [mailboxId, ...columnsOf(field).map(() => like)],
  };
}

function likePattern(needle: string): string {
  return `%${needle.replace(/[!%_]/g, (c) => '!' + c)}%`;
}

/**
 * SQL and parameters selecting, among the mailbox's UIDs in [lo, hi], those
 * whose field contains needle, by scanning their text (short needles).
 */
export function likeMatch(d: Dialect, mailboxId: number, field: TextField, needle: string, lo: number, hi: number): { sql: string; params: (string | number)[] } {
  const op = d === 'sqlite' ? 'LIKE' : 'ILIKE';
  const cols = columnsOf(field);
  const patterns = caseVariants(needle).map(likePattern);
  const terms = cols.flatMap((c) => patterns.map(() => `t.${c} ${op} ? ESCAPE '!'`));
  return {
    sql: `SELECT m.uid AS uid FROM messages m JOIN blob_search s ON s.hash = m.blob_hash JOIN blob_text t ON t.rowid = s.id
          WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? AND (${terms.join(' OR ')}) ORDER BY m.uid`,
    params: [mailboxId, lo, hi, ...cols.flatMap(() => patterns)],
  };
}

/**
 * SQLite's LIKE folds ASCII case only: a short needle is tried with each
 * non-ASCII letter in both cases (at most 4 spellings for 2 characters).
 */
export function caseVariants(needle: string): string[] {
  let out = [''];
  for (const ch of needle) {
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    const forms = ch.charCodeAt(0) < 0x80 || lower === upper ? [ch] : [...new Set([lower, upper])];
    out = out.flatMap((prefix) => forms.map((f) => prefix + f));
  }
  return out;
}
