/*
 * Opens the SQLite metadata store: the file `<data>/petrel.db`.
 */
import type { MetadataStore } from '../types.js';
import { openSqlStore } from '../sql/store.js';
import { SqliteDriver } from './driver.js';

export { SqliteDriver, type SqliteOptions } from './driver.js';

export async function openSqliteStore(options: { path: string; fsync: boolean; now?: () => number }): Promise<MetadataStore> {
  const driver = new SqliteDriver({ path: options.path, fsync: options.fsync });
  try {
    return await openSqlStore(driver, options.now);
  } catch (err) {
    await driver.close();
    throw err;
  }
}
