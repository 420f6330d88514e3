/*
 * SQLite driver (better-sqlite3 12.x) for the SQL driver port.
 *
 * WAL mode. With fsync on, every write is durable before its promise
 * resolves, but the fsync does not run inside COMMIT on the caller's
 * thread: the connection uses synchronous=NORMAL (COMMIT only write()s the
 * WAL frames) and the driver then fsyncs the WAL file on libuv's
 * threadpool, one fsync shared by every commit made while the previous one
 * ran (group commit). The event loop never waits for the disk, and the
 * write lock is released before the fsync, so the main thread's and the
 * commit worker's connections each hold it for the writes only (under
 * bench/imap-load the main thread spent a quarter of its time in COMMIT
 * and in BEGIN waiting for the worker's COMMIT). Checkpoints keep SQLite's
 * own fsyncs. One connection per thread; other processes (the
 * `petrel` CLI next to a running server) share the file through WAL and a
 * busy timeout. Transactions are serialised by an async mutex because the
 * port lets callers await inside them; statements outside a transaction
 * wait for a running one to finish, so they never see or join it.
 *
 * Security: statements are prepared and cached; parameters always bound.
 */
import { close as closeFd, fsync, open as openFd } from 'node:fs';
import Database from 'better-sqlite3';
import type { Dialect, Row, SqlDriver, SqlExecutor, SqlValue, TransactionOptions } from '../sql/driver.js';

export interface SqliteOptions {
  /** Path of the database file, or ':memory:'. */
  path: string;
  /** Every write durable (the WAL fsynced) before it resolves, or never fsynced (synchronous=OFF). */
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
  /** The WAL file we fsync after commits (undefined without fsync). */
  private readonly walPath: string | undefined;
  /** Its descriptor, opened at the first fsync. */
  private walFd: number | undefined;
  /** The fsync running now, and the one that starts after it (commits made meanwhile join that one). */
  private syncing: Promise<void> | undefined;
  private nextSync: Promise<void> | undefined;
  /** WAL fsyncs completed (a metric; tests check commits wait for one). */
  walSyncs = 0;

  constructor(options: SqliteOptions) {
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.fsync ? 'NORMAL' : 'OFF'}`);
    if (options.fsync && options.path !== ':memory:') this.walPath = `${options.path}-wal`;
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.defaultSafeIntegers(false);
    this.direct = {
      all: async <T>(sql: string, params: readonly SqlValue[] = []) => this.prepare(sql).all(...params) as T[],
      get: async <T>(sql: string, params: readonly SqlValue[] = []) => this.prepare(sql).get(...params) as T | undefined,
      run: async (sql: string, params: readonly SqlValue[] = []) => this.runNow(sql, params),
    };
  }

  /**
   * Makes every commit so far durable. A fsync already running may have
   * started before the caller's commit was written, so the caller then
   * waits for the next one, which every such caller shares.
   */
  private syncWal(): Promise<void> {
    if (!this.walPath) return Promise.resolve();
    if (!this.syncing) {
      const run = this.fsyncWal().finally(() => {
        if (this.syncing === run) this.syncing = undefined;
      });
      this.syncing = run;
      return run;
    }
    const again = () => {
      this.nextSync = undefined;
      return this.syncWal();
    };
    this.nextSync ??= this.syncing.then(again, again);
    return this.nextSync;
  }

  private async fsyncWal(): Promise<void> {
    if (this.walFd === undefined) {
      const path = this.walPath!;
      this.walFd = await new Promise<number>((resolve, reject) => openFd(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
    }
    const fd = this.walFd;
    await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
    this.walSyncs++;
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

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const changes = await this.outside(() => this.runNow(sql, params));
    // An autocommit write: durable before it resolves, like a transaction.
    if (!this.prepare(sql).reader) await this.syncWal();
    return changes;
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    let result: T;
    await this.acquire();
    try {
      this.prepare('BEGIN IMMEDIATE').run();
      try {
        result = await fn(this.direct);
        this.prepare('COMMIT').run();
      } catch (err) {
        if (this.db.inTransaction) this.prepare('ROLLBACK').run();
        throw err;
      }
    } finally {
      this.release();
    }
    // Outside the lock: other transactions proceed while the WAL is flushed.
    if (options.durable !== false) await this.syncWal();
    return result;
  }

  async close(): Promise<void> {
    await this.acquire();
    await this.nextSync?.catch(() => {});
    await this.syncing?.catch(() => {});
    if (this.walFd !== undefined) {
      const fd = this.walFd;
      this.walFd = undefined;
      await new Promise<void>((resolve) => closeFd(fd, () => resolve()));
    }
    this.statements.clear();
    this.db.close();
  }

}
