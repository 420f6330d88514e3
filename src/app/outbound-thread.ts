/*
 * The main thread's side of the outbound worker (outbound-worker.ts):
 * starts it, tells it when new mail is queued or the operator asked for a
 * flush, delivers the notices (DSNs) it writes through the main thread's
 * committer, writes its log lines, and stops it on shutdown.
 *
 * If the worker dies it is started again after a pause: the queue is
 * durable, so nothing is lost, and a result in flight when it died is
 * simply attempted again (a remote server may then see a duplicate, never
 * a loss).
 *
 * Exports: OutboundThread, kickingCommitter.
 * Security: see outbound-worker.ts.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker, workerReady } from '../core/worker.js';
import type { CommitItem, MessageCommitter } from '../delivery/committer.js';
import { deliverNotice, type Notice, type NoticeDeps } from '../pipeline/notice.js';
import type { Logger } from '../telemetry/logger.js';
import type { OutboundWorkerOptions, OutboundWorkerRequest } from './outbound-worker.js';

type Reply = { ready: true } | { fatal: string } | { log: string } | { notice: Notice & { id: number } };

/** How long to wait before starting a worker that died. */
const RESTART_DELAY_MS = 5000;

export class OutboundThread {
  private worker: Worker | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly options: OutboundWorkerOptions,
    private readonly notices: NoticeDeps,
    private readonly logger: Logger,
    /** Where the worker's formatted log lines go (the main logger's output). */
    private readonly writeLine: (line: string) => void,
  ) {}

  /** Starts the worker and waits until it has opened its store and begun. */
  async start(): Promise<void> {
    const worker = this.spawn();
    await workerReady(worker, 'outbound worker');
  }

  private spawn(): Worker {
    const worker = spawnWorker(import.meta.url, 'outbound-worker', this.options);
    worker.on('message', (reply: Reply) => {
      if ('log' in reply) this.writeLine(reply.log);
      else if ('fatal' in reply) this.logger.error('outbound worker failed', { reason: reply.fatal });
      else if ('notice' in reply) void this.deliver(worker, reply.notice);
    });
    worker.on('error', (err) => this.logger.error('outbound worker error', { reason: err.message }));
    this.exited = new Promise<void>((resolve) =>
      worker.once('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        resolve();
        if (!this.stopping) {
          this.logger.error('outbound worker exited, restarting', { code, delay_ms: RESTART_DELAY_MS });
          setTimeout(() => {
            if (!this.stopping && !this.worker) this.spawn();
          }, RESTART_DELAY_MS).unref();
        }
      }),
    );
    this.worker = worker;
    return worker;
  }

  private async deliver(worker: Worker, notice: Notice & { id: number }): Promise<void> {
    const { id, ...rest } = notice;
    let answer: OutboundWorkerRequest;
    try {
      await deliverNotice({ ...rest, bytes: Buffer.from(rest.bytes.buffer, rest.bytes.byteOffset, rest.bytes.byteLength) }, this.notices);
      answer = { noticeDone: id };
    } catch (err) {
      answer = { noticeDone: id, error: err instanceof Error ? err.message : String(err) };
    }
    worker.postMessage(answer);
  }

  /** New outbound mail, or a flush: the worker looks at the queue now. */
  kick(): void {
    this.worker?.postMessage({ kick: true } satisfies OutboundWorkerRequest);
  }

  /** Lets running deliveries finish (at most graceMs), then ends the worker. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const worker = this.worker;
    if (!worker) return;
    worker.postMessage({ stop: graceMs } satisfies OutboundWorkerRequest);
    const deadline = setTimeout(() => void worker.terminate(), graceMs + 5000);
    await this.exited;
    clearTimeout(deadline);
  }
}

/** A committer that tells the outbound worker when a commit queued remote recipients. */
export function kickingCommitter(committer: MessageCommitter, kick: () => void): MessageCommitter {
  // Sieve redirects, vacation replies and notifications ride in item.also.
  const queued = (item: CommitItem): boolean => (item.request.outbound?.recipients.length ?? 0) > 0 || (item.also ?? []).some(queued);
  return {
    async commit(item) {
      const result = await committer.commit(item);
      if (queued(item)) kick();
      return result;
    },
    async commitAll(items) {
      const result = await committer.commitAll(items);
      if (items.some(queued)) kick();
      return result;
    },
    idle: () => committer.idle(),
  };
}
