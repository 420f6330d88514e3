/*
 * Counts open connections per client (IPv4 address or IPv6 /64) so that one
 * client cannot hold every slot of a listener, and sessions per account and
 * client (UserClientLimiter).
 *
 * Exports: ConnectionLimiter, UserClientLimiter.
 *
 * Security: the map only holds keys of currently open connections, so its
 * size is bounded by the listener's connection limit; the same holds for
 * the per-user keys (one per logged-in session at most).
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

/**
 * Counts open sessions per account and client (IPv4 address or IPv6 /64):
 * one user from one address holds at most perUserClient sessions (IMAP's
 * per-user-and-IP limit, as Dovecot's mail_max_userip_connections).
 */
export class UserClientLimiter {
  private readonly open = new Map<string, number>();

  constructor(public perUserClient: number) {}

  acquire(user: number, address: string): boolean {
    const key = `${user} ${clientKey(address)}`;
    const count = this.open.get(key) ?? 0;
    if (count >= this.perUserClient) return false;
    this.open.set(key, count + 1);
    return true;
  }

  release(user: number, address: string): void {
    const key = `${user} ${clientKey(address)}`;
    const count = this.open.get(key) ?? 0;
    if (count <= 1) this.open.delete(key);
    else this.open.set(key, count - 1);
  }
}
