/*
 * When to try again and when to give up: exponential backoff from
 * min_backoff doubling up to max_backoff (Postfix's minimal_backoff_time
 * and maximal_backoff_time: 5 minutes growing to about 70), with a
 * little jitter so messages deferred together do not come back together;
 * and the queue lifetime, shorter for mail from the null sender (a
 * bounce nobody is told about).
 *
 * Exports: retryAt, expired, Backoff.
 * Security: none (arithmetic on configuration and stored counters).
 */

export interface Backoff {
  min: number;
  max: number;
  /** Lifetime of ordinary mail and of null-sender mail, in milliseconds. */
  lifetime: number;
  bounceLifetime: number;
}

/** Up to 10% either way. */
const JITTER = 0.1;

/**
 * The next attempt after the attempt number `attempts` (1 for the first
 * one) failed at `now`; random in [0, 1).
 */
export function retryAt(now: number, attempts: number, b: Backoff, random: () => number): number {
  const doublings = Math.max(0, Math.min(attempts - 1, 30));
  const base = Math.min(b.max, b.min * 2 ** doublings);
  return now + Math.round(base * (1 + JITTER * (2 * random() - 1)));
}

/** Whether a message queued at createdAt has outlived its lifetime at now. */
export function expired(createdAt: number, sender: string, now: number, b: Backoff): boolean {
  return now - createdAt >= (sender === '' ? b.bounceLifetime : b.lifetime);
}
