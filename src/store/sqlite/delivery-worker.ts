/*
 * The delivery commit, on its own thread with its own SQLite connection.
 *
 * better-sqlite3 is synchronous: a COMMIT with synchronous=FULL waits for
 * the WAL fsync (and now and then a checkpoint's) on the thread that runs
 * it. Run on the event loop, that wait stalled every SMTP session for each
 * group commit. Here it stalls only this thread, while the main thread
 * keeps reading the next messages and writing their blobs, which then join
 * the next transaction (see delivery/committer.ts).
 *
 * The transaction is the same code (sql/deliveries.ts) on a second
 * connection to the same file; WAL lets the main connection read while
 * this one writes, and the busy timeout serialises the rare writes of both.
 *
 * Protocol (worker_threads messages, structured clone):
 *   in:  { id, requests: DeliveryRequest[] }   out: { id, results } | { id, error }
 *   in:  { close: true }                      closes the database and exits
 *
 * Security: requests come from our own main thread; statements bind them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqlDeliveryStore } from '../sql/deliveries.js';
import type { DeliveryRequest } from '../types.js';
import { SqliteDriver, type SqliteOptions } from './driver.js';

export type WorkerRequest = { id: number; requests: DeliveryRequest[] } | { close: true };

const port = parentPort;
if (port) {
  const driver = new SqliteDriver(workerData as SqliteOptions);
  const store = new SqlDeliveryStore(driver, Date.now);
  // One commit at a time, in arrival order (the driver serialises them anyway).
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (message: WorkerRequest) => {
    if ('close' in message) {
      queue = queue.then(async () => {
        await driver.close();
        port.close();
      });
      return;
    }
    const { id, requests } = message;
    queue = queue.then(() =>
      store.commit(requests).then(
        (results) => port.postMessage({ id, results }),
        (err: unknown) => port.postMessage({ id, error: err instanceof Error ? err.message : String(err) }),
      ),
    );
  });
}
