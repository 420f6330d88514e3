/*
 * The blob garbage collector: message files nothing references any more
 * (every copy expunged, an outbound message delivered and removed, a
 * learning event consumed) are removed, with their rows, a slice at a
 * time, so that the data directory does not grow for ever.
 *
 * It runs on the commit worker, the one thread that writes message files,
 * and removes a file only inside the transaction that forgets its rows,
 * and only if no message being committed uses those bytes (a message with
 * the same content is being written or waits for its transaction: the
 * committer pins it, the blob store says it is writing). Whatever a
 * delivery of the same bytes does before or after, it writes the file
 * again (puts always rename a new copy into place) and its transaction
 * inserts the row again: nothing acknowledged can lose its file.
 *
 * Blobs stored less than `grace` ago are not looked at (belt and braces:
 * a message is committed within seconds of its file).
 *
 * Exports: BlobCollector, BlobCollectorOptions.
 * Security: works on our own store; no peer input.
 */
import type { BlobGarbage } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';

export interface BlobCollectorOptions {
  /** Time between two slices. */
  intervalMs: number;
  /** Blobs stored more recently than this are left for a later pass. */
  graceMs: number;
  /** Blobs looked at per slice. */
  slice: number;
}

export class BlobCollector {
  private cursor = '';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  /** Blobs removed since start, for the log. */
  removed = 0;

  constructor(
    private readonly garbage: BlobGarbage,
    /** The message bytes are in use by a commit in progress. */
    private readonly inUse: (hash: string) => boolean,
    private readonly removeFile: (hash: string) => void,
    private readonly options: BlobCollectorOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.step().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** One slice: the next blobs in hash order, the unreferenced ones forgotten; returns how many were removed. */
  async step(): Promise<number> {
    try {
      const { hashes, last } = await this.garbage.unreferenced(this.cursor, this.options.slice, this.now() - this.options.graceMs);
      this.cursor = last ?? '';
      if (hashes.length === 0) return 0;
      const forgotten = await this.garbage.forget(hashes, this.inUse, this.removeFile);
      this.removed += forgotten.length;
      if (forgotten.length > 0) this.log.info('unreferenced message files removed', { files: forgotten.length, total: this.removed });
      return forgotten.length;
    } catch (err) {
      this.log.error('blob collection failed', { reason: err instanceof Error ? err.message : String(err) });
      return 0;
    }
  }

  /** Stops after the slice in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
