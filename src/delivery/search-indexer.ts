/*
 * The search indexer: the commit worker's background job that empties the
 * search queue. Delivery stores only a message's sort keys and queues its
 * blob (store/sql/fulltext.ts says why); the indexer reads the blob,
 * computes its search text and stores it in the full-text index, after the
 * sender has had its answer: at once while deliveries are few (under
 * INDEX_EAGER_RATE a second, a server's usual state; the commits of the
 * next INDEX_GATHER_MS share a transaction), and during a burst
 * only when deliveries pause. Like Dovecot's indexer and Stalwart's index
 * queue, a burst of mail is accepted at full speed and indexed right after
 * it; past INDEX_BACKLOG queued blobs the index keeps up with a steady
 * stream instead, a chunk between delivery batches. Queued messages are searchable all along: SEARCH reads them
 * (mailbox/search.ts), so it never misses mail. At start the indexer takes
 * whatever the queue holds: blobs left by a crash or a stop, and those
 * stored before the search index existed (migration 6 queues them).
 *
 * Exports: SearchIndexer, INDEX_CHUNK, INDEX_IDLE_MS, INDEX_EAGER_RATE,
 * INDEX_GATHER_MS, INDEX_BACKLOG.
 * Security: the bytes are stored mail (sender-chosen): searchDocument caps
 * its work (src/mime/limits.ts); a blob that cannot be read or indexed gets
 * an empty text, so it is tried once, never in a loop.
 */
import { EMPTY_SEARCH_DOCUMENT, searchDocument } from '../mime/search-text.js';
import type { MessageIndex } from '../mime/index.js';
import type { BlobSearchText, SearchIndexQueue } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';

/**
 * Blobs indexed per transaction (about 0.3 ms of CPU each for 4 KiB, so a
 * delivery batch that arrives meanwhile waits some 40 ms at most). Few
 * large transactions rather than one per delivery batch: each FTS5
 * transaction writes a new segment that later merges cost CPU for.
 */
export const INDEX_CHUNK = 128;

/** During a burst: quiet time after the last delivery batch before queued blobs are indexed. */
export const INDEX_IDLE_MS = 100;

/**
 * Deliveries a second under which each is indexed right after its commit
 * (IMAP APPENDs and ordinary mail flow); at or above it the indexer waits
 * for a pause, so a burst gets the CPU. bench/imap-load appends about 80 a
 * second and searches them; bench/smtp-ingest delivers 850 and more.
 */
export const INDEX_EAGER_RATE = 200;

/**
 * While deliveries are few: how long after a commit the indexer waits for
 * others to join it. FTS5 pays for every transaction that writes to it
 * (a new segment, merged with the others later): indexing a steady
 * trickle one message per transaction (a single SMTP session with every
 * check on gives about 100 a second) cost bench/smtp-ingest about 3 ms of
 * CPU per message, four times what the same messages cost indexed after
 * the burst. Gathered for half a second they share transactions, and a
 * message waits at most that long for the index (searches read it
 * meanwhile, mailbox/search.ts).
 */
export const INDEX_GATHER_MS = 500;

/**
 * Queued blobs past which indexing no longer waits for a quiet moment but
 * runs a chunk between delivery batches, so a steady stream cannot leave
 * the index ever further behind (queued messages are searched by reading them).
 */
export const INDEX_BACKLOG = 10_000;

export class SearchIndexer {
  private stopping = false;
  private running: Promise<void> | undefined;
  /** run was asked for while a run was finishing: run once more. */
  private again = false;
  /** Messages committed and not yet indexed, as far as this process knows (a restart finds the rest). */
  private backlog = 0;
  private lastCommit = -Infinity;
  /** Deliveries counted in the current one-second window, and the rate of the last full one. */
  private windowStart = -Infinity;
  private windowCount = 0;
  private lastRate = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly idleMs: number;
  private readonly gatherMs: number;
  private readonly eagerRate: number;
  private readonly backlogMax: number;
  /** Blobs indexed so far (a metric). */
  indexed = 0;

  constructor(
    private readonly queue: SearchIndexQueue,
    private readonly blobs: { get(hash: string): Promise<Buffer> },
    private readonly logger: Logger,
    /** INDEX_IDLE_MS, INDEX_EAGER_RATE and INDEX_BACKLOG unless given (tests). */
    options: { idleMs?: number; eagerRate?: number; backlog?: number } = {},
  ) {
    this.idleMs = options.idleMs ?? INDEX_IDLE_MS;
    this.gatherMs = Math.min(INDEX_GATHER_MS, this.idleMs);
    this.eagerRate = options.eagerRate ?? INDEX_EAGER_RATE;
    this.backlogMax = options.backlog ?? INDEX_BACKLOG;
  }

  /**
   * Told after each delivery transaction: queued blobs are indexed at once
   * while deliveries are few or the backlog is long, else once deliveries
   * pause for the idle time.
   */
  committed(messages: number): void {
    const now = performance.now();
    if (now - this.windowStart >= 1000) {
      this.lastRate = Number.isFinite(this.windowStart) ? (this.windowCount * 1000) / (now - this.windowStart) : 0;
      this.windowStart = now;
      this.windowCount = 0;
    }
    this.windowCount += messages;
    this.backlog += messages;
    this.lastCommit = now;
    if (this.backlog >= this.backlogMax) this.run();
    else if (!this.bursting()) this.timer ??= setTimeout(() => this.run(), this.gatherMs);
    else {
      // The quiet time starts again with each commit (a gathering timer becomes a pause timer).
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.run(), this.idleMs);
    }
  }

  /** Whether deliveries are coming at INDEX_EAGER_RATE or more and have not paused. */
  private bursting(): boolean {
    const recent = performance.now() - this.lastCommit < this.idleMs;
    return recent && (this.lastRate >= this.eagerRate || this.windowCount >= this.eagerRate);
  }

  /** Starts indexing the queue now, or makes the running indexer go on; never throws. */
  run(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop()
      .catch((err: unknown) => {
        this.logger.error('search indexing failed', { reason: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.run();
        }
      });
  }

  /** Indexes the whole queue now, deliveries or not; resolves once it is empty (tests). */
  async drain(): Promise<void> {
    while (!this.stopping && (await this.indexChunk()) === INDEX_CHUNK);
  }

  /** Stops after the current chunk and waits for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const moved = await this.indexChunk();
      this.backlog = moved < INDEX_CHUNK ? 0 : Math.max(0, this.backlog - moved);
      if (moved < INDEX_CHUNK) return;
      // A burst came back: wait for the next quiet moment, unless too far behind.
      if (this.bursting() && this.backlog < this.backlogMax) {
        this.timer ??= setTimeout(() => this.run(), this.idleMs);
        return;
      }
      // Let a delivery batch that became ready take the lock first.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Indexes up to INDEX_CHUNK queued blobs in one transaction; returns how many were queued. */
  private async indexChunk(): Promise<number> {
    const queued = await this.queue.queued(INDEX_CHUNK);
    if (queued.length === 0) return 0;
    const entries: { id: number; text: BlobSearchText }[] = [];
    for (const { id, hash, index } of queued) {
      let text = EMPTY_SEARCH_DOCUMENT;
      try {
        text = searchDocument(await this.blobs.get(hash), JSON.parse(index) as MessageIndex);
      } catch (err) {
        this.logger.error('search text failed', { blob: hash, reason: err instanceof Error ? err.message : String(err) });
      }
      entries.push({ id, text });
    }
    await this.queue.index(entries);
    this.indexed += entries.length;
    return queued.length;
  }
}
