/*
 * Parsed MIME indexes of recently used messages, by blob hash. FETCH of
 * ENVELOPE, BODYSTRUCTURE, header fields or a section needs the index
 * stored at delivery; without a cache every such FETCH re-reads its JSON
 * from the database and parses it again, message by message (under
 * bench/imap-load that was a tenth of the event loop). Blobs are content
 * addressed and their index never changes, so an entry never goes stale.
 *
 * Exports: IndexCache, INDEX_CACHE_MAX_BYTES.
 * Security: bounded by the size of the cached JSON text (a proxy for the
 * parsed objects), least recently used first out; callers must not mutate
 * what they get (it is shared by every session).
 */
import type { MessageIndex } from '../mime/index.js';

/** JSON text held, in bytes: a few thousand typical messages' indexes. */
export const INDEX_CACHE_MAX_BYTES = 32 * 1024 * 1024;

export class IndexCache {
  /** Map order is recency: the first entry is the least recently used. */
  private readonly entries = new Map<string, { index: MessageIndex; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes = INDEX_CACHE_MAX_BYTES) {}

  get(hash: string): MessageIndex | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    this.entries.delete(hash);
    this.entries.set(hash, entry);
    return entry.index;
  }

  set(hash: string, index: MessageIndex, jsonBytes: number): void {
    if (jsonBytes > this.maxBytes) return;
    const old = this.entries.get(hash);
    if (old) {
      this.entries.delete(hash);
      this.bytes -= old.bytes;
    }
    this.entries.set(hash, { index, bytes: jsonBytes });
    this.bytes += jsonBytes;
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= entry.bytes;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The process-wide cache MailboxService uses by default. */
export const SHARED_INDEX_CACHE = new IndexCache();
