/*
 * Finding and forgetting blobs nothing references: no mailbox message, no
 * queued message, no pending learning event, no quarantine entry. Portable SQL; the scan walks
 * the blobs in hash order a slice at a time, so one step costs the same
 * however large the store.
 *
 * Security: values are bound; hashes come from the store itself.
 */
import type { BlobGarbage } from '../types.js';
import type { SqlDriver } from './driver.js';

const UNREFERENCED = `NOT EXISTS (SELECT 1 FROM messages m WHERE m.blob_hash = b.hash)
  AND NOT EXISTS (SELECT 1 FROM queue q WHERE q.blob_hash = b.hash)
  AND NOT EXISTS (SELECT 1 FROM learning_events l WHERE l.blob_hash = b.hash)
  AND NOT EXISTS (SELECT 1 FROM quarantine h WHERE h.blob_hash = b.hash)`;

export class SqlBlobGarbage implements BlobGarbage {
  constructor(private readonly db: SqlDriver) {}

  async unreferenced(after: string, limit: number, storedBefore: number): Promise<{ hashes: string[]; last: string | null }> {
    const rows = await this.db.all<{ hash: string; created_at: number; free: number }>(
      `SELECT b.hash, b.created_at, CASE WHEN ${UNREFERENCED} THEN 1 ELSE 0 END AS free FROM blobs b WHERE b.hash > ? ORDER BY b.hash LIMIT ?`,
      [after, limit],
    );
    const hashes = rows.filter((r) => Number(r.free) === 1 && Number(r.created_at) <= storedBefore).map((r) => r.hash);
    return { hashes, last: rows.length < limit ? null : rows[rows.length - 1]!.hash };
  }

  forget(hashes: readonly string[], keep: (hash: string) => boolean, removeFile: (hash: string) => void): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const forgotten: string[] = [];
      for (const hash of hashes) {
        if (keep(hash)) continue;
        const still = await tx.get(`SELECT 1 AS x FROM blobs b WHERE b.hash = ? AND ${UNREFERENCED}`, [hash]);
        if (!still) continue;
        // The full-text row and the search queue entry go with the search keys (trigger, cascade).
        await tx.run('DELETE FROM blob_search WHERE hash = ?', [hash]);
        await tx.run('DELETE FROM blobs WHERE hash = ?', [hash]);
        // Checked again after the awaits: a delivery of the same bytes may have begun meanwhile.
        if (keep(hash)) continue;
        removeFile(hash);
        forgotten.push(hash);
      }
      return forgotten;
    });
  }
}
