/*
 * Search text for blobs stored before the search index existed (schema 3):
 * run by the commit worker after it starts, a small batch at a time, so a
 * mailbox delivered before an upgrade becomes searchable without a separate
 * tool and without holding the worker from new deliveries for long.
 *
 * Exports: SearchBackfill, BACKFILL_BATCH, EMPTY_SEARCH_TEXT.
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

export const EMPTY_SEARCH_TEXT: BlobSearchText = Object.freeze({
  header: '', body: '', subject: '', from: '', to: '', cc: '', bcc: '', sentDate: null, sentDay: null,
  messageId: null, inReplyTo: null, references: null, fromMailbox: null, toMailbox: null, ccMailbox: null,
});

export class SearchBackfill {
  private stopping = false;
  private running: Promise<number> | undefined;

  constructor(
    private readonly store: SearchTextBackfill,
    private readonly blobs: { get(hash: string): Promise<Buffer> },
    private readonly logger: Logger,
  ) {}

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

  /** Stops after the current batch and waits for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
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
      done += entries.length;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (done > 0) this.logger.info('search text backfilled', { blobs: done });
    return done;
  }
}
