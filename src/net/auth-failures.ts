/*
 * Failed logins counted per client (IPv4 address or IPv6 /64) and per
 * account, shared by every protocol that authenticates (SMTP AUTH, IMAP
 * LOGIN/AUTHENTICATE, later POP3, ManageSieve and the web): a guesser
 * cannot reset its count by switching protocol or reconnecting.
 *
 * Policy: the first FREE_FAILURES failures of a client cost nothing more
 * than the answer; after that each failure is answered after a delay that
 * doubles (up to MAX_DELAY_MS); at BAN_FAILURES the client is banned for
 * BAN_MS: every login it tries fails without the password being checked,
 * and listeners may refuse it outright. Counts fade after WINDOW_MS
 * without a failure. Failures against one account from any address add a
 * delay too (slowing a distributed guesser), but never a ban, so the real
 * user, from their own address, still gets in. Bans are listed and can
 * be lifted (bans(), lift()). Exempt clients (the server exempts loopback
 * and [smtp] trusted_networks: a webmail or proxy there speaks for many
 * users, one of whom could otherwise lock out all) are never counted.
 *
 * Exports: AuthFailures, AuthFailurePolicy, AuthExempt, BanListener, DEFAULT_AUTH_FAILURE_POLICY.
 * Security: keys are client addresses and lower-cased user names, both
 * peer-chosen; each map is capped at MAX_ENTRIES (oldest forgotten first),
 * so a flood of names cannot grow memory.
 * Standards: none; follows shared/specs/security.md (Brute force).
 */
import { systemClock, type Clock } from '../core/clock.js';
import { clientKey } from './ip.js';

export interface AuthFailurePolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  banFailures: number;
  banMs: number;
  windowMs: number;
  /** Failures against one account (from anywhere) before its logins are delayed. */
  accountFreeFailures: number;
}

/** Clients never counted nor banned: a webmail or proxy on loopback speaks for every user. */
export type AuthExempt = (address: string) => boolean;

/** Told when a ban starts (the server logs it, so the administrator sees it). */
export type BanListener = (ban: { client: string; failures: number; until: number }) => void;

/**
 * Five free tries (a user fixing a typo), then 0.5 s doubling to 8 s, a
 * 15-minute ban at 20, counts forgotten after 15 quiet minutes.
 */
export const DEFAULT_AUTH_FAILURE_POLICY: AuthFailurePolicy = {
  freeFailures: 5,
  baseDelayMs: 500,
  maxDelayMs: 8000,
  banFailures: 20,
  banMs: 15 * 60_000,
  windowMs: 15 * 60_000,
  accountFreeFailures: 10,
};

/** Entries per map; bounds memory under a flood of addresses or names. */
const MAX_ENTRIES = 100_000;

interface Count {
  failures: number;
  last: number;
  bannedUntil: number;
}

export class AuthFailures {
  private readonly byClient = new Map<string, Count>();
  private readonly byAccount = new Map<string, Count>();

  constructor(
    readonly policy: AuthFailurePolicy = DEFAULT_AUTH_FAILURE_POLICY,
    private readonly clock: Clock = systemClock,
    private readonly exempt: AuthExempt = () => false,
    private readonly onBan: BanListener = () => {},
  ) {}

  /** True while this client's address is banned. */
  banned(address: string): boolean {
    if (this.exempt(address)) return false;
    const c = this.current(this.byClient, clientKey(address));
    return c !== undefined && c.bannedUntil > this.clock.now();
  }

  /**
   * Counts a failed login and returns how long to wait before answering
   * it (the tarpit), from the client's and the account's counts.
   */
  fail(address: string, user: string): number {
    if (this.exempt(address)) return 0;
    const now = this.clock.now();
    const key = clientKey(address);
    const client = this.bump(this.byClient, key, now);
    if (client.failures >= this.policy.banFailures && client.bannedUntil <= now) {
      client.bannedUntil = now + this.policy.banMs;
      this.onBan({ client: key, failures: client.failures, until: client.bannedUntil });
    }
    const account = user ? this.bump(this.byAccount, user.toLowerCase().slice(0, 320), now) : undefined;
    const over = Math.max(client.failures - this.policy.freeFailures, account ? account.failures - this.policy.accountFreeFailures : 0);
    if (over <= 0) return 0;
    return Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** Math.min(over - 1, 20));
  }

  /** Failures counted for a client now (0 once faded). */
  failures(address: string): number {
    return this.current(this.byClient, clientKey(address))?.failures ?? 0;
  }

  /** Clients banned now, with the time each ban ends (for the administrator). */
  bans(): { client: string; failures: number; until: number }[] {
    const now = this.clock.now();
    return [...this.byClient].filter(([, c]) => c.bannedUntil > now).map(([client, c]) => ({ client, failures: c.failures, until: c.bannedUntil }));
  }

  /** Lifts a ban and forgets the client's failures; true when there was something to forget. */
  lift(address: string): boolean {
    return this.byClient.delete(clientKey(address));
  }

  private current(map: Map<string, Count>, key: string): Count | undefined {
    const c = map.get(key);
    if (!c) return undefined;
    const now = this.clock.now();
    if (c.bannedUntil <= now && now - c.last > this.policy.windowMs) {
      map.delete(key);
      return undefined;
    }
    return c;
  }

  private bump(map: Map<string, Count>, key: string, now: number): Count {
    const c = this.current(map, key) ?? { failures: 0, last: now, bannedUntil: 0 };
    c.failures++;
    c.last = now;
    // Re-insert so that Map order is least recently failed first, then trim the oldest.
    map.delete(key);
    map.set(key, c);
    if (map.size > MAX_ENTRIES) map.delete(map.keys().next().value!);
    return c;
  }
}
