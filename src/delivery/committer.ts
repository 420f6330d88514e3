/*
 * Group commit: the point after which Petrel may say 250.
 *
 * Messages that finish DATA while a commit is running wait for the next
 * one; each commit writes all their blobs (files fsynced, renamed, their
 * directories fsynced once) and then their metadata in one transaction
 * (one WAL fsync). Each caller's promise resolves only after both, so every
 * acknowledgement still follows its own message's durability, while many
 * concurrent messages share the cost of the fsyncs.
 *
 * Security: a failure fails every message of the batch with a temporary
 * error; none is acknowledged and the sender retries.
 */
import type { Logger } from '../telemetry/logger.js';
import type { BlobStore } from '../store/blob/files.js';
import type { DeliveryRequest, DeliveryResult, DeliveryStore } from '../store/types.js';

/** Most messages one transaction carries; bounds commit latency. */
export const MAX_BATCH = 256;

export interface CommitItem {
  bytes: Buffer;
  index: string;
  request: Omit<DeliveryRequest, 'blob'>;
}

interface Pending {
  item: CommitItem;
  resolve: (result: DeliveryResult) => void;
  reject: (err: unknown) => void;
}

export class Committer {
  private pending: Pending[] = [];
  private running: Promise<void> | undefined;
  batches = 0;

  constructor(
    private readonly blobs: BlobStore,
    private readonly deliveries: DeliveryStore,
    private readonly logger: Logger,
  ) {}

  commit(item: CommitItem): Promise<DeliveryResult> {
    return new Promise<DeliveryResult>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.running) this.running = this.drain();
    });
  }

  /** Resolves once everything submitted so far is committed or failed. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        await this.flush(batch);
      }
    } finally {
      this.running = undefined;
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      const hashes = await this.blobs.putMany(batch.map((p) => p.item.bytes));
      const requests: DeliveryRequest[] = batch.map((p, i) => ({ ...p.item.request, blob: { hash: hashes[i]!, size: p.item.bytes.length, index: p.item.index } }));
      const results = await this.deliveries.commit(requests);
      this.batches++;
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (err) {
      this.logger.error('commit failed', { messages: batch.length, reason: err instanceof Error ? err.message : String(err) });
      for (const p of batch) p.reject(err);
    }
  }
}
