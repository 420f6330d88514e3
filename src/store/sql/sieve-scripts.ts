/*
 * Sieve scripts in portable SQL (sieve_scripts, sieve_global_scripts,
 * migration 16): a user's scripts with their compiled form, at most one
 * active (a partial unique index says so even to two writers at once), and
 * the administrator's global scripts. Every change is one durable
 * transaction; the per-user limits are checked inside it, after the
 * account's row is locked, so two uploads at once cannot both pass a
 * count or a quota that only one of them fits.
 *
 * Exports: SqlSieveScriptStore.
 * Security: names and sources are user input, always bound; the compiled
 * JSON is our own compiler's output.
 * Standards: RFC 5804 sections 2.6-2.11 (what PUTSCRIPT, SETACTIVE,
 * DELETESCRIPT and RENAMESCRIPT may and may not do).
 */
import type {
  SieveGlobalPhase,
  SieveGlobalScriptRecord,
  SievePutOutcome,
  SieveScriptInput,
  SieveScriptLimits,
  SieveScriptRecord,
  SieveScriptStore,
  SieveScriptSummary,
} from '../types.js';
import type { SqlDriver, SqlExecutor } from './driver.js';

interface Row {
  account_id: number;
  name: string;
  source: string;
  compiled: string;
  size: number;
  active: number;
  created_at: number;
  updated_at: number;
}

interface GlobalRow {
  name: string;
  phase: string;
  source: string;
  compiled: string;
  size: number;
  created_at: number;
  updated_at: number;
}

const COLUMNS = 'account_id, name, source, compiled, size, active, created_at, updated_at';

function record(r: Row): SieveScriptRecord {
  return {
    accountId: Number(r.account_id),
    name: r.name,
    source: r.source,
    compiled: r.compiled,
    size: Number(r.size),
    active: Number(r.active) === 1,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/**
 * Takes the account's row lock (PostgreSQL) or the write lock (SQLite) for
 * the rest of the transaction; false when there is no such account. A
 * non-key column is written, so PostgreSQL takes FOR NO KEY UPDATE (a
 * delivery inserting rows that reference the account is not blocked) and
 * neither backend looks at the tables referencing accounts(id).
 */
async function lockAccount(tx: SqlExecutor, accountId: number): Promise<boolean> {
  return (await tx.run('UPDATE accounts SET enabled = enabled WHERE id = ?', [accountId])) > 0;
}

export class SqlSieveScriptStore implements SieveScriptStore {
  constructor(private readonly db: SqlDriver) {}

  async list(accountId: number): Promise<SieveScriptSummary[]> {
    const rows = await this.db.all<Pick<Row, 'name' | 'size' | 'active' | 'updated_at'>>('SELECT name, size, active, updated_at FROM sieve_scripts WHERE account_id = ? ORDER BY name', [accountId]);
    return rows.map((r) => ({ name: r.name, size: Number(r.size), active: Number(r.active) === 1, updatedAt: Number(r.updated_at) }));
  }

  async get(accountId: number, name: string): Promise<SieveScriptRecord | undefined> {
    const row = await this.db.get<Row>(`SELECT ${COLUMNS} FROM sieve_scripts WHERE account_id = ? AND name = ?`, [accountId, name]);
    return row ? record(row) : undefined;
  }

  async active(accountId: number): Promise<SieveScriptRecord | undefined> {
    const row = await this.db.get<Row>(`SELECT ${COLUMNS} FROM sieve_scripts WHERE account_id = ? AND active = 1`, [accountId]);
    return row ? record(row) : undefined;
  }

  async usage(accountId: number): Promise<{ count: number; bytes: number }> {
    const row = await this.db.get<{ n: number; bytes: number | null }>('SELECT COUNT(*) AS n, SUM(size) AS bytes FROM sieve_scripts WHERE account_id = ?', [accountId]);
    return { count: Number(row?.n ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  put(accountId: number, script: SieveScriptInput, limits: SieveScriptLimits, now: number): Promise<SievePutOutcome> {
    return this.db.transaction(async (tx) => {
      if (!(await lockAccount(tx, accountId))) throw new Error(`no account ${accountId}`);
      const existing = await tx.get<{ size: number }>('SELECT size FROM sieve_scripts WHERE account_id = ? AND name = ?', [accountId, script.name]);
      const used = await tx.get<{ n: number; bytes: number | null }>('SELECT COUNT(*) AS n, SUM(size) AS bytes FROM sieve_scripts WHERE account_id = ?', [accountId]);
      const count = Number(used?.n ?? 0);
      const bytes = Number(used?.bytes ?? 0) - Number(existing?.size ?? 0) + script.size;
      if (!existing && limits.maxScripts > 0 && count >= limits.maxScripts) return { ok: false, reason: 'max-scripts' } as const;
      if (limits.maxStorageBytes > 0 && bytes > limits.maxStorageBytes) return { ok: false, reason: 'quota' } as const;
      if (existing) {
        await tx.run('UPDATE sieve_scripts SET source = ?, compiled = ?, size = ?, updated_at = ? WHERE account_id = ? AND name = ?', [script.source, script.compiled, script.size, now, accountId, script.name]);
      } else {
        await tx.run('INSERT INTO sieve_scripts (account_id, name, source, compiled, size, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)', [accountId, script.name, script.source, script.compiled, script.size, now, now]);
      }
      return { ok: true, created: !existing } as const;
    });
  }

  setActive(accountId: number, name: string | null, now: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if (name !== null && !(await tx.get('SELECT 1 AS x FROM sieve_scripts WHERE account_id = ? AND name = ?', [accountId, name]))) return false;
      // Off first, then on: the unique index never sees two active rows.
      await tx.run('UPDATE sieve_scripts SET active = 0, updated_at = ? WHERE account_id = ? AND active = 1 AND name <> ?', [now, accountId, name ?? '']);
      if (name !== null) await tx.run('UPDATE sieve_scripts SET active = 1, updated_at = ? WHERE account_id = ? AND name = ? AND active = 0', [now, accountId, name]);
      return true;
    });
  }

  delete(accountId: number, name: string): Promise<'deleted' | 'nonexistent' | 'active'> {
    return this.db.transaction(async (tx) => {
      const row = await tx.get<{ active: number }>('SELECT active FROM sieve_scripts WHERE account_id = ? AND name = ?', [accountId, name]);
      if (!row) return 'nonexistent' as const;
      if (Number(row.active) === 1) return 'active' as const;
      await tx.run('DELETE FROM sieve_scripts WHERE account_id = ? AND name = ?', [accountId, name]);
      return 'deleted' as const;
    });
  }

  rename(accountId: number, from: string, to: string, now: number): Promise<'renamed' | 'nonexistent' | 'exists'> {
    return this.db.transaction(async (tx) => {
      if (!(await tx.get('SELECT 1 AS x FROM sieve_scripts WHERE account_id = ? AND name = ?', [accountId, from]))) return 'nonexistent' as const;
      if (from === to) return 'renamed' as const;
      if (await tx.get('SELECT 1 AS x FROM sieve_scripts WHERE account_id = ? AND name = ?', [accountId, to])) return 'exists' as const;
      await tx.run('UPDATE sieve_scripts SET name = ?, updated_at = ? WHERE account_id = ? AND name = ?', [to, now, accountId, from]);
      return 'renamed' as const;
    });
  }

  async listGlobal(): Promise<SieveGlobalScriptRecord[]> {
    const rows = await this.db.all<GlobalRow>("SELECT name, phase, source, compiled, size, created_at, updated_at FROM sieve_global_scripts ORDER BY CASE phase WHEN 'before' THEN 0 ELSE 1 END, name");
    return rows.map((r) => ({ name: r.name, phase: r.phase as SieveGlobalPhase, source: r.source, compiled: r.compiled, size: Number(r.size), createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) }));
  }

  putGlobal(phase: SieveGlobalPhase, script: SieveScriptInput, now: number): Promise<{ created: boolean }> {
    return this.db.transaction(async (tx) => {
      const changed = await tx.run('UPDATE sieve_global_scripts SET phase = ?, source = ?, compiled = ?, size = ?, updated_at = ? WHERE name = ?', [phase, script.source, script.compiled, script.size, now, script.name]);
      if (changed > 0) return { created: false };
      await tx.run('INSERT INTO sieve_global_scripts (name, phase, source, compiled, size, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [script.name, phase, script.source, script.compiled, script.size, now, now]);
      return { created: true };
    });
  }

  async deleteGlobal(name: string): Promise<boolean> {
    return (await this.db.transaction((tx) => tx.run('DELETE FROM sieve_global_scripts WHERE name = ?', [name]))) > 0;
  }
}
