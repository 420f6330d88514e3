/*
 * Opens the SQLite metadata store: the file `<data>/petrel.db`.
 *
 * Delivery commits run on a worker thread with their own connection
 * (worker-deliveries.ts) so that their fsyncs never block the event loop;
 * an in-memory database, or a caller that injects a clock, keeps them on
 * the calling thread.
 */
import type { MetadataStore } from '../types.js';
import { openSqlStore } from '../sql/store.js';
import { SqliteDriver } from './driver.js';
import { WorkerDeliveryStore } from './worker-deliveries.js';

export { SqliteDriver, type SqliteOptions } from './driver.js';

export interface OpenSqliteOptions {
  path: string;
  fsync: boolean;
  now?: () => number;
  /** Run delivery commits on a worker thread (default: true for a file database without an injected clock). */
  deliveryWorker?: boolean;
}

export async function openSqliteStore(options: OpenSqliteOptions): Promise<MetadataStore> {
  const driver = new SqliteDriver({ path: options.path, fsync: options.fsync });
  let store: MetadataStore;
  try {
    store = await openSqlStore(driver, options.now);
  } catch (err) {
    await driver.close();
    throw err;
  }
  const useWorker = options.deliveryWorker ?? (options.path !== ':memory:' && options.now === undefined);
  if (!useWorker) return store;
  const deliveries = new WorkerDeliveryStore({ path: options.path, fsync: options.fsync });
  return {
    ...store,
    deliveries,
    async close() {
      await deliveries.close();
      await store.close();
    },
  };
}
