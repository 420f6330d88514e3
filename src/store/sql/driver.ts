/*
 * The SQL driver port: the few primitives a relational backend provides.
 * The repositories in this folder are written once against it, in SQL that
 * SQLite and PostgreSQL both accept (`?` placeholders, RETURNING, integer
 * booleans, millisecond timestamps), so mail logic is not duplicated per
 * backend. Drivers live in ../sqlite and (later) ../postgres.
 *
 * Everything is asynchronous, even though better-sqlite3 is not, so that a
 * PostgreSQL driver can implement the same port unchanged.
 *
 * Security: parameters are always bound, never interpolated.
 */

export type SqlValue = string | number | bigint | null | Buffer;
export type Row = Record<string, unknown>;

export interface SqlExecutor {
  /** Rows of a SELECT (or of a statement with RETURNING). */
  all<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** First row, or undefined. */
  get<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement without rows; returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export type Dialect = 'sqlite' | 'postgres';

export interface TransactionOptions {
  /** Wait for the commit to be on disk before resolving (default true). */
  durable?: boolean;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: Dialect;
  /**
   * Runs fn inside one transaction: committed (durably, per the driver's
   * sync setting) when fn resolves, rolled back when it throws. With
   * durable false the promise may resolve before the commit reaches the
   * disk (work that is safe to redo after a crash; a later durable commit
   * makes it durable too).
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}
