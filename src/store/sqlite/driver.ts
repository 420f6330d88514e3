/*
 * SQLite driver (better-sqlite3 12.x) for the SQL driver port.
 *
 * WAL mode; synchronous=FULL when fsync is on, so a COMMIT returns only
 * after the WAL is fsynced. One connection per process; other processes (the
 * `petrel` CLI next to a running server) share the file through WAL and a
 * busy timeout. Transactions are serialised by an async mutex because the
 * port lets callers await inside them; statements outside a transaction
 * wait for a running one to finish, so they never see or join it.
 *
 * Security: statements are prepared and cached; parameters always bound.
 */
import Database from 'better-sqlite3';
import type { Dialect, Row, SqlDriver, SqlExecutor, SqlValue } from '../sql/driver.js';

export interface SqliteOptions {
  /** Path of the database file, or ':memory:'. */
  path: string;
  /** fsync on commit (synchronous=FULL) or not (synchronous=OFF). */
  fsync: boolean;
}

const STATEMENT_CACHE_LIMIT = 500;

export class SqliteDriver implements SqlDriver {
  readonly dialect: Dialect = 'sqlite';
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private locked = false;
  private readonly waiters: (() => void)[] = [];
  private readonly direct: SqlExecutor;

  constructor(options: SqliteOptions) {
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.fsync ? 'FULL' : 'OFF'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.defaultSafeIntegers(false);
    this.direct = {
      all: async <T>(sql: string, params: readonly SqlValue[] = []) => this.prepare(sql).all(...params) as T[],
      get: async <T>(sql: string, params: readonly SqlValue[] = []) => this.prepare(sql).get(...params) as T | undefined,
      run: async (sql: string, params: readonly SqlValue[] = []) => this.runNow(sql, params),
    };
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= STATEMENT_CACHE_LIMIT) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private runNow(sql: string, params: readonly SqlValue[]): number {
    const statement = this.prepare(sql);
    return statement.reader ? statement.all(...params).length : statement.run(...params).changes;
  }

  private async acquire(): Promise<void> {
    if (!this.locked) {
      this.locked = true;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.locked = false;
  }

  private outside<T>(fn: () => T): Promise<T> {
    if (!this.locked) {
      // The common case, no transaction running: no async function, one settled promise.
      try {
        return Promise.resolve(fn());
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.outsideLocked(fn);
  }

  private async outsideLocked<T>(fn: () => T): Promise<T> {
    await this.acquire();
    try {
      return fn();
    } finally {
      this.release();
    }
  }

  all<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.outside(() => this.prepare(sql).all(...params) as T[]);
  }

  get<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.outside(() => this.prepare(sql).get(...params) as T | undefined);
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.outside(() => this.runNow(sql, params));
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      this.prepare('BEGIN IMMEDIATE').run();
      try {
        const result = await fn(this.direct);
        this.prepare('COMMIT').run();
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.prepare('ROLLBACK').run();
        throw err;
      }
    } finally {
      this.release();
    }
  }

  async close(): Promise<void> {
    await this.acquire();
    this.statements.clear();
    this.db.close();
  }
}
