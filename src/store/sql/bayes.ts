/*
 * The spam filter's Bayes tables in portable SQL: token counts global
 * (bayes_tokens) and per account (bayes_account_tokens), and what each
 * table learned each message as (bayes_learned, bayes_account_learned),
 * written once for both scopes; the token '' counts the messages.
 *
 * Exports: SqlBayesStore.
 * Security: tokens are hashes the classifier made, keys SHA-256 hex;
 * everything is bound, only our own table and column names are put into
 * the SQL text.
 * Standards: none.
 */
import type { BayesCounts, BayesLearnResult, BayesStore, LearningKind } from '../types.js';
import type { SqlDriver, SqlExecutor, SqlValue } from './driver.js';

/** The row counting the messages a table learned; the classifier never makes an empty token. */
const TOTALS = '';

/** Tokens asked or written per statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 400;

interface Scope {
  tokens: string;
  learned: string;
  /** The key columns before `token` / `message_key`, and their values. */
  cols: string[];
  vals: SqlValue[];
}

function scope(accountId: number | null): Scope {
  return accountId === null
    ? { tokens: 'bayes_tokens', learned: 'bayes_learned', cols: [], vals: [] }
    : { tokens: 'bayes_account_tokens', learned: 'bayes_account_learned', cols: ['account_id'], vals: [accountId] };
}

const where = (s: Scope) => s.cols.map((c) => `${c} = ? AND `).join('');

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

/** Adds dSpam and dHam to each token's counts (the totals row included), never below zero; rows left at zero go. */
async function addCounts(tx: SqlExecutor, s: Scope, tokens: readonly string[], dSpam: number, dHam: number, now: number): Promise<void> {
  const t = s.tokens;
  const cols = [...s.cols, 'token'];
  const clamp = (col: string) => `${col} = CASE WHEN ${t}.${col} + ? < 0 THEN 0 ELSE ${t}.${col} + ? END`;
  const sql = `INSERT INTO ${t} (${cols.join(', ')}, spam, ham, touched_at) VALUES (${cols.map(() => '?').join(', ')}, ?, ?, ?)
    ON CONFLICT (${cols.join(', ')}) DO UPDATE SET ${clamp('spam')}, ${clamp('ham')}, touched_at = excluded.touched_at`;
  for (const token of [TOTALS, ...tokens]) {
    await tx.run(sql, [...s.vals, token, Math.max(0, dSpam), Math.max(0, dHam), now, dSpam, dSpam, dHam, dHam]);
  }
  if (dSpam < 0 || dHam < 0) {
    for (const part of chunks(tokens)) {
      await tx.run(`DELETE FROM ${t} WHERE ${where(s)}spam = 0 AND ham = 0 AND token IN (${part.map(() => '?').join(', ')})`, [...s.vals, ...part]);
    }
  }
}

const delta = (kind: LearningKind, sign: 1 | -1): [number, number] => (kind === 'spam' ? [sign, 0] : [0, sign]);

export class SqlBayesStore implements BayesStore {
  constructor(private readonly db: SqlDriver) {}

  async totals(accountId: number | null): Promise<BayesCounts> {
    const s = scope(accountId);
    const row = await this.db.get<{ spam: number; ham: number }>(`SELECT spam, ham FROM ${s.tokens} WHERE ${where(s)}token = ?`, [...s.vals, TOTALS]);
    return { spam: Number(row?.spam ?? 0), ham: Number(row?.ham ?? 0) };
  }

  async tokenCounts(accountId: number | null, tokens: readonly string[]): Promise<Map<string, BayesCounts>> {
    const s = scope(accountId);
    const out = new Map<string, BayesCounts>();
    for (const part of chunks(tokens.filter((t) => t !== TOTALS))) {
      const rows = await this.db.all<{ token: string; spam: number; ham: number }>(
        `SELECT token, spam, ham FROM ${s.tokens} WHERE ${where(s)}token IN (${part.map(() => '?').join(', ')})`,
        [...s.vals, ...part],
      );
      for (const r of rows) out.set(r.token, { spam: Number(r.spam), ham: Number(r.ham) });
    }
    return out;
  }

  learn(accountId: number | null, key: string, kind: LearningKind, tokens: readonly string[], now: number): Promise<BayesLearnResult> {
    const s = scope(accountId);
    const distinct = [...new Set(tokens)].filter((t) => t !== TOTALS);
    return this.db.transaction(async (tx) => {
      const row = await tx.get<{ kind: string }>(`SELECT kind FROM ${s.learned} WHERE ${where(s)}message_key = ?`, [...s.vals, key]);
      if (row?.kind === kind) return 'unchanged';
      const [spam, ham] = delta(kind, 1);
      if (row) {
        const [oSpam, oHam] = delta(row.kind as LearningKind, -1);
        await addCounts(tx, s, distinct, spam + oSpam, ham + oHam, now);
        await tx.run(`UPDATE ${s.learned} SET kind = ?, learned_at = ? WHERE ${where(s)}message_key = ?`, [kind, now, ...s.vals, key]);
        return 'relearned';
      }
      await addCounts(tx, s, distinct, spam, ham, now);
      await tx.run(`INSERT INTO ${s.learned} (${[...s.cols, 'message_key'].join(', ')}, kind, learned_at) VALUES (${s.cols.map(() => '?, ').join('')}?, ?, ?)`, [...s.vals, key, kind, now]);
      return 'learned';
    });
  }

  forget(accountId: number | null, key: string, tokens: readonly string[], now: number): Promise<boolean> {
    const s = scope(accountId);
    const distinct = [...new Set(tokens)].filter((t) => t !== TOTALS);
    return this.db.transaction(async (tx) => {
      const row = await tx.get<{ kind: string }>(`SELECT kind FROM ${s.learned} WHERE ${where(s)}message_key = ?`, [...s.vals, key]);
      if (!row) return false;
      const [spam, ham] = delta(row.kind as LearningKind, -1);
      await addCounts(tx, s, distinct, spam, ham, now);
      await tx.run(`DELETE FROM ${s.learned} WHERE ${where(s)}message_key = ?`, [...s.vals, key]);
      return true;
    });
  }
}
