/*
 * IMAP METADATA entries in portable SQL: server entries per account
 * (server_metadata) and mailbox entries (mailbox_metadata, whose rows the
 * mailbox's RENAME keeps and DELETE cascades away).
 *
 * Exports: SqlAnnotationStore.
 * Security: entry names and values come from clients through the IMAP
 * parser and the session's limits; the per-account entry count is checked
 * here, under the transaction, so concurrent SETMETADATA cannot both slip
 * under it. Every value is bound.
 * Standards: RFC 5464 section 3 (entries), 4.3 (SETMETADATA all or nothing).
 */
import type { AnnotationEntry, AnnotationStore, SetAnnotationsResult } from '../types.js';
import type { SqlDriver, SqlExecutor } from './driver.js';

const toEntry = (r: { entry: string; value: Buffer | Uint8Array }): AnnotationEntry => ({ entry: r.entry, value: Buffer.from(r.value) });

async function countEntries(tx: SqlExecutor, accountId: number): Promise<number> {
  const server = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM server_metadata WHERE account_id = ?', [accountId]);
  const boxes = await tx.get<{ n: number }>(
    'SELECT COUNT(*) AS n FROM mailbox_metadata m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.account_id = ?',
    [accountId],
  );
  return Number(server?.n ?? 0) + Number(boxes?.n ?? 0);
}

export class SqlAnnotationStore implements AnnotationStore {
  constructor(private readonly db: SqlDriver) {}

  async listAnnotations(accountId: number, mailboxId: number | null): Promise<AnnotationEntry[]> {
    const rows =
      mailboxId === null
        ? await this.db.all<{ entry: string; value: Buffer }>('SELECT entry, value FROM server_metadata WHERE account_id = ? ORDER BY entry', [accountId])
        : await this.db.all<{ entry: string; value: Buffer }>(
            'SELECT m.entry, m.value FROM mailbox_metadata m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.id = ? AND b.account_id = ? ORDER BY m.entry',
            [mailboxId, accountId],
          );
    return rows.map(toEntry);
  }

  setAnnotations(accountId: number, mailboxId: number | null, changes: readonly { entry: string; value: Buffer | null }[], maxEntries: number): Promise<SetAnnotationsResult> {
    return this.db.transaction(async (tx): Promise<SetAnnotationsResult> => {
      // Lock the account row (PostgreSQL) so the count below stays true until commit.
      const account = await tx.get('UPDATE accounts SET used_bytes = used_bytes WHERE id = ? RETURNING id', [accountId]);
      if (!account) return { ok: false, reason: 'no-mailbox' };
      if (mailboxId !== null) {
        const box = await tx.get('SELECT id FROM mailboxes WHERE id = ? AND account_id = ?', [mailboxId, accountId]);
        if (!box) return { ok: false, reason: 'no-mailbox' };
      }
      const [table, key, owner] = mailboxId === null ? ['server_metadata', 'account_id', accountId] : ['mailbox_metadata', 'mailbox_id', mailboxId];
      for (const c of changes) {
        if (c.value === null) await tx.run(`DELETE FROM ${table} WHERE ${key} = ? AND entry = ?`, [owner, c.entry]);
        else {
          await tx.run(`INSERT INTO ${table} (${key}, entry, value) VALUES (?, ?, ?) ON CONFLICT (${key}, entry) DO UPDATE SET value = excluded.value`, [owner, c.entry, c.value]);
        }
      }
      if (changes.some((c) => c.value !== null) && (await countEntries(tx, accountId)) > maxEntries) throw new TooMany();
      return { ok: true };
    }).catch((err: unknown) => {
      if (err instanceof TooMany) return { ok: false, reason: 'too-many' } as const;
      throw err;
    });
  }
}

/** Rolls the transaction back when the entry limit would be exceeded. */
class TooMany extends Error {
  constructor() {
    super('too many metadata entries');
  }
}
