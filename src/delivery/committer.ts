/*
 * Group commit: the point after which Petrel may say 250.
 *
 * Each message's blob is written as soon as the message arrives (file
 * fsynced, renamed, its directory fsynced; see store/blob/files.ts), while
 * other sessions are still talking. A message whose blob is durable joins
 * the next metadata transaction; every message that became ready while a
 * transaction ran shares the one after it (one WAL fsync for all of them).
 * Each caller's promise resolves only after its own blob and the
 * transaction holding its rows are both durable, so every acknowledgement
 * still follows its own message's durability, while concurrent messages
 * share the cost of the fsyncs.
 *
 * The sort and thread keys of each message are computed here from its
 * header and stored with its blob row, which queues it for the search
 * indexer; afterCommit (after each transaction, once its callers are
 * answered) tells the commit worker's indexer (delivery/search-indexer.ts).
 *
 * Security: a failed transaction fails every message of its batch with a
 * temporary error; none is acknowledged and the senders retry. A failed
 * blob write fails only its own message. A blob without rows (after a
 * failure or a crash) is garbage, never a partial message.
 */
import { EMPTY_SEARCH_DOCUMENT, searchKeys } from '../mime/search-text.js';
import type { MessageIndex } from '../mime/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { BlobStore } from '../store/blob/files.js';
import type { AtomicDeliveryResult, BlobSearchKeys, DeliveryRequest, DeliveryResult, DeliveryStore } from '../store/types.js';

/**
 * The SORT and THREAD keys of a message (src/mime/search-text.ts),
 * computed here so that it runs where the committer runs (the commit
 * worker thread, off the sessions' event loop). A message whose index
 * cannot be read is stored with empty keys rather than refused.
 */
function searchKeysOf(item: CommitItem, logger: Logger): BlobSearchKeys {
  try {
    return searchKeys(item.bytes, JSON.parse(item.index) as MessageIndex);
  } catch (err) {
    logger.error('search keys failed', { queue: item.request.queueId, reason: err instanceof Error ? err.message : String(err) });
    return EMPTY_SEARCH_DOCUMENT;
  }
}

/** Most messages one transaction carries; bounds commit latency. */
export const MAX_BATCH = 256;

export interface CommitItem {
  bytes: Buffer;
  index: string;
  request: Omit<DeliveryRequest, 'blob' | 'also'>;
  /** Messages made from this one (Sieve), each with its own bytes, committed in the same transaction. */
  also?: CommitItem[];
}

/** What the pipeline needs of a committer: the in-thread Committer, or the commit worker's proxy (app/). */
export interface MessageCommitter {
  /** Resolves after the message's blob and rows are durable. */
  commit(item: CommitItem): Promise<DeliveryResult>;
  /**
   * Several messages all or nothing (IMAP MULTIAPPEND): every blob is made
   * durable, then one transaction of their own holds all their rows, or none
   * when a target fails. Resolves after that transaction is durable.
   */
  commitAll(items: readonly CommitItem[]): Promise<AtomicDeliveryResult>;
  /** Resolves once everything submitted so far is committed or failed. */
  idle(): Promise<void>;
}

interface Ready {
  request: DeliveryRequest;
  resolve: (result: DeliveryResult) => void;
  reject: (err: unknown) => void;
}

/** An all-or-nothing group whose blobs are durable: committed in its own transaction after a batch. */
interface ReadyGroup {
  requests: DeliveryRequest[];
  resolve: (result: AtomicDeliveryResult) => void;
  reject: (err: unknown) => void;
}

export class Committer implements MessageCommitter {
  /** Messages whose blob is durable, waiting for a transaction. */
  private ready: Ready[] = [];
  private groups: ReadyGroup[] = [];
  private running: Promise<void> | undefined;
  private scheduled = false;
  /** Messages accepted by commit() and not yet answered. */
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** Blobs written for messages whose transaction has not ended: the garbage collector leaves them alone. */
  private readonly pinned = new Map<string, number>();
  batches = 0;

  constructor(
    private readonly blobs: BlobStore,
    private readonly deliveries: DeliveryStore,
    private readonly logger: Logger,
    /** Called after each committed transaction, its callers answered, with the number of messages it held. */
    private readonly afterCommit: (messages: number) => void = () => {},
  ) {}

  /** A message being committed uses this blob (from its write until its transaction ends). */
  isPinned(hash: string): boolean {
    return this.pinned.has(hash);
  }

  private pin(hash: string): void {
    this.pinned.set(hash, (this.pinned.get(hash) ?? 0) + 1);
  }

  private unpin(hash: string): void {
    const n = (this.pinned.get(hash) ?? 1) - 1;
    if (n <= 0) this.pinned.delete(hash);
    else this.pinned.set(hash, n);
  }

  commit(item: CommitItem): Promise<DeliveryResult> {
    this.inFlight++;
    const pinned: string[] = [];
    // The message and the ones a Sieve run made of it: every blob durable before their one transaction.
    const put = (it: CommitItem): Promise<DeliveryRequest> =>
      Promise.all([this.blobs.put(it.bytes).then((hash) => (this.pin(hash), pinned.push(hash), hash)), Promise.all((it.also ?? []).map(put))]).then(([hash, also]) => ({
        ...it.request,
        blob: { hash, size: it.bytes.length, index: it.index, search: searchKeysOf(it, this.logger) },
        ...(also.length > 0 ? { also } : {}),
      }));
    const answered = new Promise<DeliveryResult>((resolve, reject) => {
      put(item).then(
        (request) => {
          this.ready.push({ request, resolve, reject });
          this.schedule();
        },
        (err: unknown) => {
          this.logger.error('blob write failed', { queue: item.request.queueId, reason: err instanceof Error ? err.message : String(err) });
          reject(err);
        },
      );
    });
    const settle = () => {
      for (const hash of pinned) this.unpin(hash);
      if (--this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
    answered.then(settle, settle);
    return answered;
  }

  commitAll(items: readonly CommitItem[]): Promise<AtomicDeliveryResult> {
    this.inFlight++;
    const pinned: string[] = [];
    // Each blob is pinned as soon as it is written, not when the last of the group is.
    const put = (bytes: Buffer) => this.blobs.put(bytes).then((hash) => (this.pin(hash), pinned.push(hash), hash));
    const answered = Promise.all(items.map((item) => put(item.bytes))).then(
      (hashes) =>
        new Promise<AtomicDeliveryResult>((resolve, reject) => {
          const requests = items.map((item, i) => ({ ...item.request, blob: { hash: hashes[i]!, size: item.bytes.length, index: item.index, search: searchKeysOf(item, this.logger) } }));
          this.groups.push({ requests, resolve, reject });
          this.schedule();
        }),
      (err: unknown) => {
        this.logger.error('blob write failed', { queue: items[0]?.request.queueId, reason: err instanceof Error ? err.message : String(err) });
        throw err;
      },
    );
    const settle = () => {
      for (const hash of pinned) this.unpin(hash);
      if (--this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
    answered.then(settle, settle);
    return answered;
  }

  /** Resolves once everything submitted so far is committed or failed. */
  async idle(): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Starts a drain after the current turn of the event loop, so that every
   * blob finishing in this turn joins the same transaction.
   */
  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.running = this.drain();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.ready.length > 0 || this.groups.length > 0) {
        const batch = this.ready.splice(0, MAX_BATCH);
        if (batch.length > 0) await this.flush(batch);
        for (const group of this.groups.splice(0)) await this.flushGroup(group);
        // Let I/O callbacks run: blobs finishing meanwhile join the next batch.
        if (this.ready.length < MAX_BATCH) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.running = undefined;
    }
  }

  private async flush(batch: Ready[]): Promise<void> {
    try {
      const results = await this.deliveries.commit(batch.map((r) => r.request));
      this.batches++;
      batch.forEach((r, i) => r.resolve(results[i]!));
      this.afterCommit(batch.length);
    } catch (err) {
      this.logger.error('commit failed', { messages: batch.length, reason: err instanceof Error ? err.message : String(err) });
      for (const r of batch) r.reject(err);
    }
  }

  private async flushGroup(group: ReadyGroup): Promise<void> {
    try {
      group.resolve(await this.deliveries.commitAtomic(group.requests));
      this.batches++;
      this.afterCommit(group.requests.length);
    } catch (err) {
      this.logger.error('commit failed', { messages: group.requests.length, reason: err instanceof Error ? err.message : String(err) });
      group.reject(err);
    }
  }
}
