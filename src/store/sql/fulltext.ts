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
 * Pending text (migration 6): on SQLite a delivery stores its text in the
 * plain table blob_text_pending, not in FTS5: an FTS5 insert costs about
 * 0.2 ms of CPU per message inside the delivery transaction, which held
 * every 250 back by that much (bench/smtp-ingest fell from 850 to 718
 * messages/s). The commit worker moves pending rows into blob_text after
 * it has answered (indexPendingText, one transaction per chunk, so a row
 * is in exactly one of the two tables at any moment). Every query here
 * reads both tables, so a message is searchable from the moment its 250
 * is sent. On PostgreSQL blob_text is a plain table and the text goes
 * straight into it; its pending table stays empty.
 *
 * Substring semantics: IMAP SEARCH is a case-insensitive substring match.
 * The trigram tokenizer (case_sensitive 0: Unicode case folding) answers a
 * phrase query of 3 or more characters from its index, exactly as a
 * substring. Shorter needles cannot use trigrams: they are matched with
 * LIKE over the mailbox's rows in bounded chunks (LIKE folds ASCII case
 * only, so non-ASCII letters are tried in both cases: caseVariants).
 *
 * Exports: fullTextDdl, pendingTextDdl, insertSearchText,
 * indexPendingText, matchTextSql, pendingTextSql, pendingMatches,
 * likeMatch, headerTextSql, caseVariants, SHORT_NEEDLE_CHARS.
 * Security: needles come from IMAP clients: they are bound parameters,
 * quoted as one FTS5 phrase (double quotes doubled), LIKE wildcards
 * escaped; no client text is ever part of the SQL.
 */
import type { BlobSearchText, TextField } from '../types.js';
import type { Dialect, SqlDriver, SqlExecutor } from './driver.js';

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

/** Migration 6: the text of blobs not yet in the full-text index (rows are moved by indexPendingText). */
export function pendingTextDdl(d: Dialect): string[] {
  return [
    `CREATE TABLE blob_text_pending (
      id ${d === 'sqlite' ? 'INTEGER' : 'BIGINT'} PRIMARY KEY REFERENCES blob_search(id) ON DELETE CASCADE,
      subject TEXT NOT NULL, from_text TEXT NOT NULL, to_text TEXT NOT NULL, cc_text TEXT NOT NULL,
      bcc_text TEXT NOT NULL, header TEXT NOT NULL, body TEXT NOT NULL
    )`,
  ];
}

/** Stores the search text of a blob unless it is already stored; runs inside the caller's transaction. */
export async function insertSearchText(tx: SqlExecutor, d: Dialect, hash: string, t: BlobSearchText): Promise<void> {
  const row = await tx.get<{ id: number }>(
    `INSERT INTO blob_search (hash, sent_date, sent_day, subject, from_mailbox, to_mailbox, cc_mailbox, message_id, in_reply_to, refs)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING RETURNING id`,
    [hash, t.sentDate, t.sentDay, t.subject, t.fromMailbox, t.toMailbox, t.ccMailbox, t.messageId, t.inReplyTo, t.references],
  );
  if (!row) return;
  const table = d === 'sqlite' ? 'blob_text_pending (id' : 'blob_text (rowid';
  await tx.run(`INSERT INTO ${table}, subject, from_text, to_text, cc_text, bcc_text, header, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
    row.id,
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
 * Moves up to limit pending rows, oldest first, into the full-text index in
 * one transaction; returns how many moved (fewer than limit: none is left).
 * The transaction need not be durable: after a crash its rows are simply
 * still pending, and the next durable commit's fsync covers it anyway.
 */
export async function indexPendingText(db: SqlDriver, limit: number): Promise<number> {
  if (db.dialect !== 'sqlite') return 0;
  return db.transaction(
    async (tx) => {
      const oldest = 'SELECT id FROM blob_text_pending ORDER BY id LIMIT ?';
      const moved = await tx.run(
        `INSERT INTO blob_text (rowid, subject, from_text, to_text, cc_text, bcc_text, header, body)
         SELECT id, subject, from_text, to_text, cc_text, bcc_text, header, body FROM blob_text_pending WHERE id IN (${oldest})`,
        [limit],
      );
      await tx.run(`DELETE FROM blob_text_pending WHERE id IN (${oldest})`, [limit]);
      return moved;
    },
    { durable: false },
  );
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
 * SQL and parameters selecting the pending text (not yet in the index) of a
 * mailbox's messages, as uid and the field's columns c0, c1: few rows, the
 * latest deliveries, matched in JS by pendingMatches. Read BEFORE the index
 * query: rows only ever move from pending to the index, so a row moved in
 * between is found by the second query instead of being missed by both.
 * The joins start from the pending table (CROSS JOIN fixes SQLite's order)
 * and reach messages by blob hash (the unary + keeps SQLite from using the
 * mailbox index instead, which would scan the whole mailbox per row).
 */
export function pendingTextSql(mailboxId: number, field: TextField): { sql: string; params: number[] } {
  const cols = columnsOf(field);
  return {
    sql: `SELECT m.uid AS uid, ${cols.map((c, i) => `p.${c} AS c${i}`).join(', ')}
          FROM blob_text_pending p CROSS JOIN blob_search s CROSS JOIN messages m
          WHERE s.id = p.id AND m.blob_hash = s.hash AND +m.mailbox_id = ? ORDER BY m.uid`,
    params: [mailboxId],
  };
}

/**
 * Whether one of a pending row's texts contains needle, folding case per
 * character as the trigram tokenizer does (a character whose lower case is
 * not one character, like the dotted capital I, is kept as it is).
 */
export function pendingMatches(texts: readonly string[], needle: string): boolean {
  const n = foldCase(needle);
  return texts.some((t) => foldCase(t).includes(n));
}

function foldCase(text: string): string {
  const lower = text.toLowerCase();
  // Same length: no character lowered into several (nearly always), so the whole-string result is the per-character one.
  if (lower.length === text.length) return lower;
  let out = '';
  for (const ch of text) {
    const lower = ch.toLowerCase();
    out += lower.length === ch.length ? lower : ch;
  }
  return out;
}

/**
 * SQL and parameters selecting, among the mailbox's UIDs in [lo, hi], those
 * whose field contains needle, by scanning their text (short needles), in
 * the index or still pending (one statement: one snapshot).
 */
export function likeMatch(d: Dialect, mailboxId: number, field: TextField, needle: string, lo: number, hi: number): { sql: string; params: (string | number)[] } {
  const op = d === 'sqlite' ? 'LIKE' : 'ILIKE';
  const cols = columnsOf(field);
  const patterns = caseVariants(needle).map(likePattern);
  const terms = cols.flatMap((c) => patterns.map(() => `COALESCE(t.${c}, p.${c}) ${op} ? ESCAPE '!'`));
  return {
    sql: `SELECT m.uid AS uid FROM messages m JOIN blob_search s ON s.hash = m.blob_hash
          LEFT JOIN blob_text t ON t.rowid = s.id LEFT JOIN blob_text_pending p ON p.id = s.id
          WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? AND (${terms.join(' OR ')}) ORDER BY m.uid`,
    params: [mailboxId, lo, hi, ...cols.flatMap(() => patterns)],
  };
}

/** SQL and parameters reading the header text of the mailbox's messages with UIDs in [lo, hi], indexed or pending. */
export function headerTextSql(mailboxId: number, lo: number, hi: number): { sql: string; params: number[] } {
  return {
    sql: `SELECT m.uid AS uid, COALESCE(t.header, p.header) AS header FROM messages m JOIN blob_search s ON s.hash = m.blob_hash
          LEFT JOIN blob_text t ON t.rowid = s.id LEFT JOIN blob_text_pending p ON p.id = s.id
          WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? AND (t.rowid IS NOT NULL OR p.id IS NOT NULL) ORDER BY m.uid`,
    params: [mailboxId, lo, hi],
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
