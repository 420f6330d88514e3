/*
 * A DnsClient decorator that remembers answers, so a queue run delivering
 * to the same domains asks the resolver once per TTL, and concurrent
 * identical lookups share one query.
 *
 * - Key: (type, name), the name lowercased without its trailing dot.
 * - Records: kept for min(TTL, MAX_CACHE_TTL_SECONDS); an answer without a
 *   TTL (a client that cannot tell) is not kept.
 * - Denials (NXDOMAIN, NODATA): kept for their negative TTL (RFC 2308:
 *   the SOA's) capped the same way, or DEFAULT_NEGATIVE_TTL_SECONDS when
 *   the answer carried none.
 * - Temporary failures are never kept: the next lookup asks again (a burst
 *   of identical lookups during an outage already shares the one query in
 *   flight, and a queue run retries much later than any few seconds).
 * - At most `maxEntries` answers; the least recently used goes first.
 * - A cached answer is returned with its TTL counted down; its AD bit is
 *   the one the resolver gave.
 *
 * Exports: CachingDnsClient, DnsCacheOptions.
 * Security: bounded in entries and in time, so a hostile zone cannot grow
 * it or pin an answer past the cap; callers get copies of the record
 * arrays, so one caller cannot change another's answer.
 * Standards: RFC 1035 section 7.4 and RFC 2181 section 5.2 (TTL), RFC
 * 2308 section 5 (negative caching).
 */
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { DnsAnswer, DnsClient, MxRecord, TlsaRecord } from './client.js';
import { DEFAULT_CACHE_ENTRIES, DEFAULT_NEGATIVE_TTL_SECONDS, MAX_CACHE_TTL_SECONDS } from './limits.js';

export interface DnsCacheOptions {
  clock?: Clock;
  maxEntries?: number;
  maxTtlSeconds?: number;
  negativeTtlSeconds?: number;
}

interface Entry {
  answer: DnsAnswer<unknown>;
  expires: number;
}

const canonical = (name: string) => name.toLowerCase().replace(/\.$/, '');

export class CachingDnsClient implements DnsClient {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<DnsAnswer<unknown>>>();
  private readonly clock: Clock;
  private readonly maxEntries: number;
  private readonly maxTtl: number;
  private readonly negativeTtl: number;

  constructor(
    private readonly inner: DnsClient,
    options: DnsCacheOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.maxEntries = options.maxEntries ?? DEFAULT_CACHE_ENTRIES;
    this.maxTtl = options.maxTtlSeconds ?? MAX_CACHE_TTL_SECONDS;
    this.negativeTtl = options.negativeTtlSeconds ?? DEFAULT_NEGATIVE_TTL_SECONDS;
  }

  mx(name: string): Promise<DnsAnswer<MxRecord>> {
    return this.lookup('MX', name, () => this.inner.mx(name));
  }

  a(name: string): Promise<DnsAnswer<string>> {
    return this.lookup('A', name, () => this.inner.a(name));
  }

  aaaa(name: string): Promise<DnsAnswer<string>> {
    return this.lookup('AAAA', name, () => this.inner.aaaa(name));
  }

  txt(name: string): Promise<DnsAnswer<string>> {
    return this.lookup('TXT', name, () => this.inner.txt(name));
  }

  tlsa(name: string): Promise<DnsAnswer<TlsaRecord>> {
    return this.lookup('TLSA', name, () => this.inner.tlsa(name));
  }

  /** Answers cached now (expired ones included until they are next touched). */
  get size(): number {
    return this.entries.size;
  }

  /** Forgets every answer (for a configuration reload). */
  clear(): void {
    this.entries.clear();
  }

  private async lookup<T>(type: string, name: string, ask: () => Promise<DnsAnswer<T>>): Promise<DnsAnswer<T>> {
    const key = `${type} ${canonical(name)}`;
    const cached = this.fresh(key);
    if (cached) return cached as DnsAnswer<T>;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = ask()
        .then((answer) => {
          this.store(key, answer);
          return answer as DnsAnswer<unknown>;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return copy(await pending, undefined) as DnsAnswer<T>;
  }

  /** The cached answer for key with its TTL counted down, or undefined (an expired one is dropped). */
  private fresh(key: string): DnsAnswer<unknown> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const now = this.clock.now();
    if (now >= entry.expires) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return copy(entry.answer, Math.ceil((entry.expires - now) / 1000));
  }

  private store(key: string, answer: DnsAnswer<unknown>): void {
    const seconds = this.lifetime(answer);
    if (seconds <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { answer, expires: this.clock.now() + seconds * 1000 });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** How long answer may be kept, in seconds (0: not at all). */
  private lifetime(answer: DnsAnswer<unknown>): number {
    if (answer.ok) return Math.min(answer.ttl ?? 0, this.maxTtl);
    if (answer.kind === 'temporary') return 0;
    return Math.min(answer.ttl ?? this.negativeTtl, this.maxTtl);
  }
}

/** A copy the caller may change, with ttl replaced when given. */
function copy(answer: DnsAnswer<unknown>, ttl: number | undefined): DnsAnswer<unknown> {
  const base = answer.ok ? { ...answer, records: [...answer.records] } : { ...answer };
  return ttl === undefined ? base : { ...base, ttl };
}
