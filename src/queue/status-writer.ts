/*
 * Group commit for delivery results: results recorded while a write is in
 * flight wait and go together in the next transaction, so a thousand
 * deliveries a second cost a few fsyncs a second, not a thousand. Each
 * caller's promise resolves only once its results are durable: a
 * recipient the remote server accepted is known as delivered before
 * anything else happens to it (a restart never sends it again).
 *
 * Exports: StatusWriter.
 * Security: none beyond the store's.
 */
import type { QueueStore, RecipientResult } from '../store/types.js';

interface Waiting {
  results: readonly RecipientResult[];
  resolve: (removed: string[]) => void;
  reject: (err: unknown) => void;
}

export class StatusWriter {
  private waiting: Waiting[] = [];
  private writing: Promise<void> | undefined;

  constructor(private readonly store: QueueStore) {}

  /** Records results durably; resolves with the queue ids of messages now finished and removed. */
  record(results: readonly RecipientResult[]): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ results, resolve, reject });
      if (!this.writing) this.writing = this.drain();
    });
  }

  /** Resolves when nothing is waiting to be written. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        const removed = new Set(await this.store.record(batch.flatMap((w) => w.results)));
        for (const w of batch) w.resolve([...new Set(w.results.map((r) => r.queueId))].filter((id) => removed.has(id)));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.writing = undefined;
  }
}
