/*
 * Idle outbound connections kept for the next message to the same place
 * (the same next hop, host, address, port and TLS policy), so that a
 * burst to one destination rides a few connections instead of one per
 * message. A connection stays idle at most IDLE_MS and carries at most
 * `perConnection` messages (Postfix's smtp_connection_cache_time_limit
 * and smtp_connection_reuse_count_limit); a broken one is never kept.
 *
 * Exports: IdleConnectionPool, IDLE_MS.
 * Security: bounded: at most MAX_IDLE_PER_KEY idle connections per place.
 */
import type { ConnectionPool } from './attempt.js';
import type { OutboundConnection } from './connection.js';

/** How long a connection may wait idle for the next message (Postfix's smtp_connection_cache_time_limit is 2 s). */
export const IDLE_MS = 2000;
/** Idle connections kept per place. */
const MAX_IDLE_PER_KEY = 20;

interface Idle {
  connection: OutboundConnection;
  timer: NodeJS.Timeout;
}

export class IdleConnectionPool implements ConnectionPool {
  private readonly idle = new Map<string, Idle[]>();

  constructor(private readonly perConnection: number) {}

  take(key: string): OutboundConnection | undefined {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const { connection, timer } = list.pop()!;
      clearTimeout(timer);
      if (list.length === 0) this.idle.delete(key);
      if (connection.usable) return connection;
      connection.close();
    }
    return undefined;
  }

  give(key: string, connection: OutboundConnection): void {
    const list = this.idle.get(key) ?? [];
    if (!connection.usable || connection.transactions >= this.perConnection || list.length >= MAX_IDLE_PER_KEY) {
      connection.close();
      return;
    }
    const entry: Idle = {
      connection,
      timer: setTimeout(() => {
        const current = this.idle.get(key);
        const i = current?.indexOf(entry) ?? -1;
        if (i >= 0) current!.splice(i, 1);
        if (current?.length === 0) this.idle.delete(key);
        connection.close();
      }, IDLE_MS),
    };
    entry.timer.unref();
    list.push(entry);
    this.idle.set(key, list);
  }

  /** Idle connections now held. */
  get size(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  closeAll(): void {
    for (const list of this.idle.values()) {
      for (const { connection, timer } of list) {
        clearTimeout(timer);
        connection.close();
      }
    }
    this.idle.clear();
  }
}
