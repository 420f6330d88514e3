/*
 * Sieve marks (sieve_marks, migration 17): the duplicate ids RFC 7352's
 * test has seen and the senders a vacation has answered (RFC 5230), per
 * user, each until its expiry. Delivery reads them before a run
 * (unexpired) and writes them inside the delivery transaction that performs
 * the run's actions (recordMark, claimMark), so an id counts as seen, and a
 * sender as answered, only once the message really was delivered; the
 * transaction also makes two deliveries at once answer a sender once.
 * Expired rows of the account are removed whenever one is written.
 *
 * Exports: SqlSieveMarkStore, recordMark, claimMark.
 * Security: marks are hashes computed by delivery; nothing here is peer text.
 * Standards: RFC 7352 section 3 (:seconds, :last), RFC 5230 section 4.2.
 */
import type { SieveMark, SieveMarkReader } from '../types.js';
import type { SqlDriver, SqlExecutor } from './driver.js';

/** Most marks read in one query (a run asks for a handful). */
const MAX_READ = 100;

export class SqlSieveMarkStore implements SieveMarkReader {
  constructor(private readonly db: SqlDriver) {}

  async unexpired(accountId: number, kind: SieveMark['kind'], marks: readonly string[], now: number): Promise<Set<string>> {
    const list = [...new Set(marks)].slice(0, MAX_READ);
    if (list.length === 0) return new Set();
    const rows = await this.db.all<{ mark: string }>(
      `SELECT mark FROM sieve_marks WHERE account_id = ? AND kind = ? AND expires_at > ? AND mark IN (${list.map(() => '?').join(', ')})`,
      [accountId, kind, now, ...list],
    );
    return new Set(rows.map((r) => r.mark));
  }
}

async function purge(tx: SqlExecutor, accountId: number, now: number): Promise<void> {
  await tx.run('DELETE FROM sieve_marks WHERE account_id = ? AND expires_at <= ?', [accountId, now]);
}

/** Records a sighting: a new mark, or with :last a later expiry for an existing one. */
export async function recordMark(tx: SqlExecutor, m: SieveMark, now: number): Promise<void> {
  await purge(tx, m.accountId, now);
  const expires = now + m.seconds * 1000;
  await tx.run(
    `INSERT INTO sieve_marks (account_id, kind, mark, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (account_id, kind, mark) DO ${m.last ? 'UPDATE SET expires_at = excluded.expires_at' : 'NOTHING'}`,
    [m.accountId, m.kind, m.mark, expires],
  );
}

/** True when the mark was free (absent or expired) and is now taken for its period; false when it stands. */
export async function claimMark(tx: SqlExecutor, m: SieveMark, now: number): Promise<boolean> {
  await purge(tx, m.accountId, now);
  if (await tx.get('SELECT 1 AS x FROM sieve_marks WHERE account_id = ? AND kind = ? AND mark = ?', [m.accountId, m.kind, m.mark])) return false;
  await tx.run('INSERT INTO sieve_marks (account_id, kind, mark, expires_at) VALUES (?, ?, ?, ?)', [m.accountId, m.kind, m.mark, now + m.seconds * 1000]);
  return true;
}
