/*
 * The commit worker: a thread that owns the message files and the delivery
 * transaction, so that their system calls and fsyncs never run on the
 * event loop that serves the SMTP sessions.
 *
 * It runs the same group committer (delivery/committer.ts) over the file
 * blob store and the SQL delivery repository, on its own SQLite connection
 * to the same database (WAL lets the main thread's connection read and
 * write the directory meanwhile; the busy timeout serialises rare
 * concurrent writes). Each reply is sent only after that message's file,
 * its directory and its transaction are durable. Its search indexer
 * (delivery/search-indexer.ts) computes and indexes the messages' search
 * text when deliveries pause, starting with whatever the search queue
 * holds at start.
 *
 * Protocol (worker_threads, structured clone):
 *   in:  { id, item: CommitItem }   out: { id, result } | { id, error }
 *   in:  { id, items: CommitItem[] } (all or nothing)   out: { id, atomic } | { id, error }
 *   in:  { close: true }            finishes what is in flight, closes, exits
 *   out: { log: { level?, event, fields } }  a line of the search indexer or the blob collector
 *                                    (an error unless level says info), for the main thread's log
 *
 * Security: messages come from our own main thread only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Committer, type CommitItem } from '../delivery/committer.js';
import { SearchIndexer } from '../delivery/search-indexer.js';
import { FileBlobStore } from '../store/blob/files.js';
import { SqlDeliveryStore } from '../store/sql/deliveries.js';
import { SqlSearchQueue } from '../store/sql/search.js';
import { SqlBlobGarbage } from '../store/sql/blob-garbage.js';
import { BlobCollector } from '../delivery/blob-collector.js';
import { SqliteDriver } from '../store/sqlite/driver.js';
import { createLogger, type Logger } from '../telemetry/logger.js';

export interface CommitWorkerOptions {
  database: string;
  blobs: string;
  fsync: boolean;
  /** Blob garbage collection ([storage] gc_interval, gc_grace); off when absent. */
  gc?: { intervalMs: number; graceMs: number };
}

export type CommitWorkerRequest = { id: number; item: CommitItem } | { id: number; items: CommitItem[] } | { close: true };

/** Structured clone turns a Buffer into a plain Uint8Array. */
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

async function main(): Promise<void> {
  const port = parentPort!;
  const options = workerData as CommitWorkerOptions;
  const driver = new SqliteDriver({ path: options.database, fsync: options.fsync });
  const blobs = await FileBlobStore.open(options.blobs, { fsync: options.fsync, blocking: true });
  // Every delivery's search text is computed and indexed here, after its reply, between commits.
  // Its errors go to the main thread's log (the committer's are reported with each reply instead).
  const indexerLog: Logger = {
    ...createLogger({ write: () => {} }),
    error: (event, fields) => port.postMessage({ log: { event, fields: Object.fromEntries(Object.entries(fields ?? {}).map(([k, v]) => [k, String(v)])) } }),
  };
  const indexer = new SearchIndexer(new SqlSearchQueue(driver), blobs, indexerLog);
  // Errors are reported to the main thread, which logs them with the queue id.
  const committer = new Committer(blobs, new SqlDeliveryStore(driver, Date.now), createLogger({ write: () => {} }), (messages) => indexer.committed(messages));
  // Message files nothing uses any more, removed here, on the thread that writes them (see delivery/blob-collector.ts).
  const gcLog: Logger = {
    ...createLogger({ write: () => {} }),
    info: (event, fields) => port.postMessage({ log: { level: 'info', event, fields: Object.fromEntries(Object.entries(fields ?? {}).map(([k, v]) => [k, String(v)])) } }),
    error: indexerLog.error,
  };
  const collector = options.gc
    ? new BlobCollector(new SqlBlobGarbage(driver), (hash) => committer.isPinned(hash) || blobs.isWriting(hash), (hash) => blobs.removeSync(hash), { ...options.gc, slice: 500 }, gcLog)
    : undefined;
  port.on('message', (message: CommitWorkerRequest) => {
    if ('close' in message) {
      void Promise.all([committer.idle(), indexer.stop(), collector?.stop()]).then(async () => {
        blobs.close();
        await driver.close();
        port.close();
      });
      return;
    }
    if ('items' in message) {
      const { id, items } = message;
      committer.commitAll(items.map((item) => ({ ...item, bytes: asBuffer(item.bytes) }))).then(
        (atomic) => port.postMessage({ id, atomic }),
        (err: unknown) => port.postMessage({ id, error: err instanceof Error ? err.message : String(err) }),
      );
      return;
    }
    const { id, item } = message;
    const revive = (it: CommitItem): CommitItem => ({ ...it, bytes: asBuffer(it.bytes), ...(it.also ? { also: it.also.map(revive) } : {}) });
    committer.commit(revive(item)).then(
      (result) => port.postMessage({ id, result }),
      (err: unknown) => port.postMessage({ id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  port.postMessage({ ready: true });
  // Blobs left queued by a previous run, or stored before the search index existed.
  indexer.run();
  collector?.start();
}

if (parentPort) void main().catch((err: unknown) => {
  parentPort!.postMessage({ fatal: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
