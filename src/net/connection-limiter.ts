/*
 * Counts open connections per client (IPv4 address or IPv6 /64) so that one
 * client cannot hold every slot of a listener.
 *
 * Security: the map only holds keys of currently open connections, so its
 * size is bounded by the listener's connection limit.
 */
import { clientKey } from './ip.js';

export class ConnectionLimiter {
  private readonly open = new Map<string, number>();

  /** Slots per client; may change at a reload. */
  constructor(public perClient: number) {}

  /** Takes a slot for this client; false when it already has perClient. */
  acquire(address: string): boolean {
    const key = clientKey(address);
    const count = this.open.get(key) ?? 0;
    if (count >= this.perClient) return false;
    this.open.set(key, count + 1);
    return true;
  }

  release(address: string): void {
    const key = clientKey(address);
    const count = this.open.get(key) ?? 0;
    if (count <= 1) this.open.delete(key);
    else this.open.set(key, count - 1);
  }

  count(address: string): number {
    return this.open.get(clientKey(address)) ?? 0;
  }
}
