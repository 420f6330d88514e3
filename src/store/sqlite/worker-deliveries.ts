/*
 * A DeliveryStore whose transactions run in delivery-worker.ts, so the
 * fsync of each group commit blocks a worker thread instead of the event
 * loop. The worker starts at the first commit: `petrel` CLI commands that
 * never deliver never pay for it.
 *
 * A commit resolves when the worker's COMMIT has returned, that is after
 * the WAL fsync when fsync is on: the same guarantee as the in-thread
 * store. If the worker dies, every commit in flight fails (a temporary
 * error for the senders) and the next commit starts a new worker.
 *
 * Security: the worker opens the same database file with the same options.
 */
import { Worker } from 'node:worker_threads';
import type { DeliveryRequest, DeliveryResult, DeliveryStore } from '../types.js';
import type { WorkerRequest } from './delivery-worker.js';
import type { SqliteOptions } from './driver.js';

type WorkerReply = { id: number; results: DeliveryResult[] } | { id: number; error: string };

interface Waiting {
  resolve: (results: DeliveryResult[]) => void;
  reject: (err: Error) => void;
}

/**
 * The worker's entry. Compiled, it is a .js file next to this one. Run from
 * source under tsx (npm start, the tests), Node 20 does not pass tsx's
 * loader hooks to worker threads, so a two-line bootstrap registers them in
 * the worker first.
 */
function spawnWorker(options: SqliteOptions): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./delivery-worker.js', import.meta.url), { workerData: options });
  const entry = new URL('./delivery-worker.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: options });
}

export class WorkerDeliveryStore implements DeliveryStore {
  private worker: Worker | undefined;
  private exited: Promise<void> | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: SqliteOptions) {}

  private start(): Worker {
    const worker = spawnWorker(this.options);
    worker.on('message', (reply: WorkerReply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if ('error' in reply) w.reject(new Error(reply.error));
      else w.resolve(reply.results);
    });
    const fail = (err: Error) => {
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', fail);
    this.exited = new Promise<void>((resolve) =>
      worker.once('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        fail(new Error(`delivery worker exited with code ${code}`));
        resolve();
      }),
    );
    // The server's listeners keep the process alive; an idle worker must not.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  commit(requests: readonly DeliveryRequest[]): Promise<DeliveryResult[]> {
    if (this.closed) return Promise.reject(new Error('delivery store closed'));
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<DeliveryResult[]>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, requests: [...requests] } satisfies WorkerRequest);
    }).finally(() => {
      if (this.waiting.size === 0) this.worker?.unref();
    });
  }

  /** Lets commits in flight finish, then closes the worker's connection. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    worker.ref();
    worker.postMessage({ close: true } satisfies WorkerRequest);
    await this.exited;
  }
}
