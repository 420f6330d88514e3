/*
 * The search index's work that need not hold a 250, run by the commit
 * worker between its commits:
 * - indexPending: text stored at delivery waits in a plain table until it
 *   is moved into the full-text index after the sender has its answer
 *   (store/sql/fulltext.ts says why), when deliveries pause, INDEX_CHUNK
 *   rows per transaction. Like Dovecot's indexer and Stalwart's index
 *   queue, a burst of mail is accepted at full speed and indexed right
 *   after it; past INDEX_BACKLOG pending texts the index keeps up with a
 *   steady stream instead, a chunk between delivery batches. Pending text
 *   is searchable all along (by a scan), so SEARCH never misses mail.
 * - run: search text for blobs stored before the search index existed
 *   (schema 3), a small batch at a time, so a mailbox delivered before an
 *   upgrade becomes searchable without a separate tool and without holding
 *   the worker from new deliveries for long.
 *
 * Exports: SearchBackfill, BACKFILL_BATCH, INDEX_CHUNK, EMPTY_SEARCH_TEXT.
 * Security: the bytes are stored mail (sender-chosen): searchDocument caps
 * its work (src/mime/limits.ts); a blob that cannot be read or indexed gets
 * an empty text, so it is tried once, never in a loop.
 */
import { searchDocument } from '../mime/search-text.js';
import type { MessageIndex } from '../mime/index.js';
import type { BlobSearchText, SearchTextBackfill } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';

/** Blobs indexed per batch; between batches the worker's queued commits run. */
export const BACKFILL_BATCH = 50;

/**
 * Pending texts moved into the index per transaction (about 0.2 ms of CPU
 * each, so a delivery batch that arrives meanwhile waits some 25 ms at
 * most). Few large transactions, not one per delivery batch: each FTS5
 * transaction writes a new segment that later merges cost CPU for.
 */
export const INDEX_CHUNK = 128;

/** Quiet time after the last delivery batch before pending text is indexed. */
export const INDEX_IDLE_MS = 100;

/**
 * Pending texts past which indexing no longer waits for a quiet moment but
 * runs a chunk between delivery batches, so a steady stream cannot leave
 * the index ever further behind (pending text is searched by a scan).
 */
export const INDEX_BACKLOG = 10_000;

export const EMPTY_SEARCH_TEXT: BlobSearchText = Object.freeze({
  header: '', body: '', subject: '', from: '', to: '', cc: '', bcc: '', sentDate: null, sentDay: null,
  messageId: null, inReplyTo: null, references: null, fromMailbox: null, toMailbox: null, ccMailbox: null,
});

export class SearchBackfill {
  private stopping = false;
  private running: Promise<number> | undefined;
  private indexing: Promise<void> | undefined;
  /** indexPending was asked for while a run was finishing: run once more. */
  private indexAgain = false;
  /** Messages committed and not yet indexed, as far as this process knows (a restart finds the rest). */
  private backlog = 0;
  private lastCommit = -Infinity;
  private indexTimer: NodeJS.Timeout | undefined;

  private readonly idleMs: number;
  private readonly backlogMax: number;

  constructor(
    private readonly store: SearchTextBackfill,
    private readonly blobs: { get(hash: string): Promise<Buffer> },
    private readonly logger: Logger,
    /** INDEX_IDLE_MS and INDEX_BACKLOG unless given (tests). */
    options: { idleMs?: number; backlog?: number } = {},
  ) {
    this.idleMs = options.idleMs ?? INDEX_IDLE_MS;
    this.backlogMax = options.backlog ?? INDEX_BACKLOG;
  }

  /** Starts (or joins) a run; resolves to the number of blobs indexed (a failed run logs and is tried again at the next start). */
  run(): Promise<number> {
    this.running ??= this.loop()
      .catch((err: unknown) => {
        this.logger.error('search text backfill stopped', { reason: err instanceof Error ? err.message : String(err) });
        return 0;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /**
   * Told after each delivery transaction: pending text is indexed once
   * deliveries pause for INDEX_IDLE_MS, or at once past INDEX_BACKLOG.
   */
  committed(messages: number): void {
    this.backlog += messages;
    this.lastCommit = performance.now();
    if (this.backlog >= this.backlogMax) this.indexPending();
    else if (this.indexTimer) this.indexTimer.refresh();
    else this.indexTimer = setTimeout(() => this.indexPending(), this.idleMs);
  }

  /** Starts moving pending text into the full-text index, or makes the running mover go on; never throws. */
  indexPending(): void {
    clearTimeout(this.indexTimer);
    this.indexTimer = undefined;
    if (this.stopping) return;
    if (this.indexing) {
      this.indexAgain = true;
      return;
    }
    this.indexing = this.indexLoop()
      .catch((err: unknown) => {
        this.logger.error('search indexing failed', { reason: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => {
        this.indexing = undefined;
        if (this.indexAgain) {
          this.indexAgain = false;
          this.indexPending();
        }
      });
  }

  /** Stops after the current batch and waits for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.indexTimer);
    await Promise.all([this.running, this.indexing]);
  }

  private async indexLoop(): Promise<void> {
    while (!this.stopping) {
      const moved = await this.store.indexPendingText(INDEX_CHUNK);
      this.backlog = moved < INDEX_CHUNK ? 0 : Math.max(0, this.backlog - moved);
      if (moved < INDEX_CHUNK) return;
      // Deliveries came back: wait for the next quiet moment, unless too far behind.
      if (performance.now() - this.lastCommit < this.idleMs && this.backlog < this.backlogMax) {
        this.indexTimer ??= setTimeout(() => this.indexPending(), this.idleMs);
        return;
      }
      // Let a delivery batch that became ready take the lock first.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private async loop(): Promise<number> {
    let done = 0;
    while (!this.stopping) {
      const pending = await this.store.blobsWithoutSearchText(BACKFILL_BATCH);
      if (pending.length === 0) break;
      const entries: { hash: string; text: BlobSearchText }[] = [];
      for (const { hash, index } of pending) {
        let text = EMPTY_SEARCH_TEXT;
        try {
          text = searchDocument(await this.blobs.get(hash), JSON.parse(index) as MessageIndex);
        } catch (err) {
          this.logger.error('search text backfill failed', { blob: hash, reason: err instanceof Error ? err.message : String(err) });
        }
        entries.push({ hash, text });
      }
      // One transaction (one fsync) per batch.
      await this.store.storeSearchTexts(entries);
      this.indexPending();
      done += entries.length;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (done > 0) this.logger.info('search text backfilled', { blobs: done });
    return done;
  }
}
