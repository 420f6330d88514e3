/*
 * The spam/ham learning queue in portable SQL (learning_events): written
 * by COPY/MOVE in messages.ts in the same transaction as the messages,
 * read and consumed by the spam filter's trainer.
 *
 * Exports: SqlLearningStore, recordLearning, learningKind.
 * Security: blob hashes and account ids come from our own rows.
 * Standards: none (RFC 6154 \Junk and \Trash decide the kind).
 */
import type { LearningEvent, LearningKind, LearningStore } from '../types.js';
import type { SqlDriver, SqlExecutor } from './driver.js';

/**
 * What a copy from one mailbox to another teaches: into \Junk from
 * elsewhere is spam; out of \Junk into anything but \Trash is ham;
 * everything else nothing.
 */
export function learningKind(fromSpecialUse: string | null, toSpecialUse: string | null): LearningKind | null {
  const fromJunk = fromSpecialUse === '\\Junk';
  const toJunk = toSpecialUse === '\\Junk';
  if (toJunk && !fromJunk) return 'spam';
  if (fromJunk && !toJunk && toSpecialUse !== '\\Trash') return 'ham';
  return null;
}

export async function recordLearning(tx: SqlExecutor, accountId: number, blobHashes: readonly string[], kind: LearningKind, now: number): Promise<void> {
  for (const hash of blobHashes) {
    await tx.run('INSERT INTO learning_events (account_id, blob_hash, kind, created_at) VALUES (?, ?, ?, ?)', [accountId, hash, kind, now]);
  }
}

interface Row { id: number; account_id: number; blob_hash: string; kind: string; created_at: number }

export class SqlLearningStore implements LearningStore {
  constructor(private readonly db: SqlDriver) {}

  async listLearningEvents(limit: number, afterId = 0): Promise<LearningEvent[]> {
    const rows = await this.db.all<Row>('SELECT id, account_id, blob_hash, kind, created_at FROM learning_events WHERE id > ? ORDER BY id LIMIT ?', [afterId, limit]);
    return rows.map((r) => ({ id: Number(r.id), accountId: Number(r.account_id), blobHash: r.blob_hash, kind: r.kind as LearningKind, createdAt: Number(r.created_at) }));
  }

  consumeLearningEvents(ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0);
    return this.db.transaction(async (tx) => {
      let removed = 0;
      for (const id of ids) removed += await tx.run('DELETE FROM learning_events WHERE id = ?', [id]);
      return removed;
    });
  }
}
