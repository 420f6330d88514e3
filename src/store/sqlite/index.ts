/*
 * Opens the SQLite metadata store: the file `<data>/petrel.db`.
 */
import type { MetadataStore } from '../types.js';
import { openSqlStore } from '../sql/store.js';
import { SqliteDriver } from './driver.js';

export { SqliteDriver, type SqliteOptions } from './driver.js';

export interface OpenSqliteOptions {
  path: string;
  fsync: boolean;
  now?: () => number;
}

export async function openSqliteStore(options: OpenSqliteOptions): Promise<MetadataStore> {
  const driver = new SqliteDriver({ path: options.path, fsync: options.fsync });
  try {
    return await openSqlStore(driver, options.now);
  } catch (err) {
    await driver.close();
    throw err;
  }
}
