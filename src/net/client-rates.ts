/*
 * Per-client rate limits, as Postfix's anvil keeps them: connections,
 * messages (MAIL) and recipients (RCPT) per minute from one client (an
 * IPv4 address or an IPv6 /64), shared by every MX listener of the
 * process ([smtp] client_connection_rate, client_message_rate,
 * client_recipient_rate; 0 is no limit). Past a limit the client is told
 * to come back later (421 at connect, 450 4.7.1 at MAIL and RCPT), so
 * nothing is lost. The per-user limits of submission are SendingLimits.
 *
 * Each count is a sliding minute estimated from two fixed windows (the
 * previous minute weighted by how much of it still overlaps), so a
 * client costs one small entry whatever its rate.
 *
 * Exports: ClientRates, RateKind.
 * Security: the table holds at most MAX_CLIENTS entries; past it the
 * entries idle longest are dropped (a dropped client starts from zero,
 * which errs on the side of the sender, never of refusing mail).
 */
import { clientKey } from './ip.js';

export type RateKind = 'connections' | 'messages' | 'recipients';

const WINDOW_MS = 60_000;
const MAX_CLIENTS = 100_000;

interface Counts {
  window: number;
  current: Record<RateKind, number>;
  previous: Record<RateKind, number>;
}

const zero = (): Record<RateKind, number> => ({ connections: 0, messages: 0, recipients: 0 });

export class ClientRates {
  private readonly clients = new Map<string, Counts>();

  constructor(
    /** Read at every check, so a reload (SIGHUP) applies at once; per minute, 0 is no limit. */
    private readonly limits: () => Record<RateKind, number>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one more `kind` (n of them) for the client when it stays within its limit; false, counting nothing, when
   * it would go over.
   */
  take(address: string, kind: RateKind, n = 1): boolean {
    const max = this.limits()[kind];
    if (max === 0) return true;
    const c = this.entry(clientKey(address));
    if (this.estimate(c, kind) + n > max) return false;
    c.current[kind] += n;
    return true;
  }

  /** The client's estimated count over the last minute. */
  rate(address: string, kind: RateKind): number {
    const c = this.clients.get(clientKey(address));
    return c ? this.estimate(this.roll(c), kind) : 0;
  }

  private estimate(c: Counts, kind: RateKind): number {
    const into = (this.now() % WINDOW_MS) / WINDOW_MS;
    return c.current[kind] + c.previous[kind] * (1 - into);
  }

  /** Moves the windows on to now. */
  private roll(c: Counts): Counts {
    const window = Math.floor(this.now() / WINDOW_MS);
    if (window !== c.window) {
      c.previous = window === c.window + 1 ? c.current : zero();
      c.current = zero();
      c.window = window;
    }
    return c;
  }

  private entry(key: string): Counts {
    let c = this.clients.get(key);
    if (c) {
      // Most recently used last, so the oldest are first to go.
      this.clients.delete(key);
    } else {
      if (this.clients.size >= MAX_CLIENTS) {
        for (const k of [...this.clients.keys()].slice(0, MAX_CLIENTS / 10)) this.clients.delete(k);
      }
      c = { window: Math.floor(this.now() / WINDOW_MS), current: zero(), previous: zero() };
    }
    this.clients.set(key, c);
    return this.roll(c);
  }
}
