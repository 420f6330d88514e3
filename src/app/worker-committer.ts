/*
 * The main thread's side of the commit worker (commit-worker.ts): a
 * MessageCommitter whose commit() posts the message to the worker and
 * resolves with its answer. If the worker dies, every message in flight
 * fails with a temporary error (the senders retry) and the next commit
 * starts a new worker.
 *
 * Run from source under tsx (npm start, the tests), Node 20 does not pass
 * tsx's loader to worker threads, so a short bootstrap registers it first;
 * compiled, the worker is the .js file next to this one.
 *
 * Security: see commit-worker.ts.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker, workerReady } from '../core/worker.js';
import type { CommitItem, MessageCommitter } from '../delivery/committer.js';
import type { AtomicDeliveryResult, DeliveryResult } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { CommitWorkerOptions, CommitWorkerRequest } from './commit-worker.js';

type Reply =
  | { id: number; result: DeliveryResult }
  | { id: number; atomic: AtomicDeliveryResult }
  | { id: number; error: string }
  | { ready: true }
  | { fatal: string }
  /** An error line of the worker's background work (the search indexer), logged here. */
  | { log: { level?: 'info'; event: string; fields: Record<string, string> } };

interface Waiting {
  /** The reply's payload: a DeliveryResult for commit(), an AtomicDeliveryResult for commitAll(). */
  resolve: (result: DeliveryResult | AtomicDeliveryResult) => void;
  reject: (err: Error) => void;
}

function spawn(options: CommitWorkerOptions): Worker {
  return spawnWorker(import.meta.url, 'commit-worker', options);
}

export class WorkerCommitter implements MessageCommitter {
  private worker: Worker | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly options: CommitWorkerOptions,
    private readonly logger: Logger,
  ) {}

  /** Starts the worker now and waits until it has opened its stores. */
  async start(): Promise<void> {
    const worker = this.worker ?? this.spawnWorker();
    await workerReady(worker, 'commit worker');
  }

  private spawnWorker(): Worker {
    const worker = spawn(this.options);
    worker.on('message', (reply: Reply) => {
      if ('fatal' in reply) this.logger.error('commit worker failed', { reason: reply.fatal });
      if ('log' in reply) (reply.log.level === 'info' ? this.logger.info : this.logger.error)(reply.log.event, reply.log.fields);
      if (!('id' in reply)) return;
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if ('error' in reply) w.reject(new Error(reply.error));
      else w.resolve('atomic' in reply ? reply.atomic : reply.result);
      this.settled();
    });
    worker.on('error', (err) => this.logger.error('commit worker error', { reason: err.message }));
    this.exited = new Promise<void>((resolve) =>
      worker.once('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        const err = new Error(`commit worker exited with code ${code}`);
        for (const w of this.waiting.values()) w.reject(err);
        this.waiting.clear();
        this.settled();
        resolve();
      }),
    );
    this.worker = worker;
    return worker;
  }

  private settled(): void {
    if (this.waiting.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  commit(item: CommitItem): Promise<DeliveryResult> {
    const worker = this.worker ?? this.spawnWorker();
    const id = this.nextId++;
    return new Promise<DeliveryResult>((resolve, reject) => {
      this.waiting.set(id, { resolve: (r) => resolve(r as DeliveryResult), reject });
      worker.postMessage({ id, item } satisfies CommitWorkerRequest);
    });
  }

  commitAll(items: readonly CommitItem[]): Promise<AtomicDeliveryResult> {
    const worker = this.worker ?? this.spawnWorker();
    const id = this.nextId++;
    return new Promise<AtomicDeliveryResult>((resolve, reject) => {
      this.waiting.set(id, { resolve: (r) => resolve(r as AtomicDeliveryResult), reject });
      worker.postMessage({ id, items: [...items] } satisfies CommitWorkerRequest);
    });
  }

  async idle(): Promise<void> {
    if (this.waiting.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Waits for commits in flight, then closes the worker's stores. */
  async close(): Promise<void> {
    await this.idle();
    const worker = this.worker;
    if (!worker) return;
    worker.postMessage({ close: true } satisfies CommitWorkerRequest);
    await this.exited;
  }
}
