/*
 * The DNS client port every lookup goes through (outbound MX routing now;
 * sender authentication and the doctor later), and its implementation on
 * Node's c-ares resolver with the servers the operator configured
 * (`[dns] resolvers`; empty: the system's /etc/resolv.conf).
 *
 * Answers are normalised into three outcomes the mail logic can act on
 * without knowing resolver error codes: records; `nxdomain` / `nodata` (the
 * name or the type does not exist: a permanent answer); `temporary`
 * (SERVFAIL, REFUSED, timeout, no server reachable: ask again later, never
 * bounce on it).
 *
 * Exports: DnsClient, DnsAnswer, MxRecord, NodeDnsClient, DnsOptions.
 * Security: names come from envelopes (sender-chosen); they are only ever
 * passed to the resolver, and every lookup is bounded by timeout x tries.
 */
import { Resolver } from 'node:dns/promises';

export interface MxRecord {
  exchange: string;
  priority: number;
}

/** A TLSA record (RFC 6698): certificate usage, selector, matching type, association data. */
export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  data: Buffer;
}

/**
 * An answer. `authenticated` is the AD bit of a validating resolver's
 * response (RFC 4035 section 3.2.3; RFC 6840 section 5.8): true only when
 * the resolver validated the answer, or the denial, with DNSSEC. Absent
 * means false (a client that cannot tell, such as Node's resolver).
 *
 * `ttl` (seconds), when the client knows it: for records the smallest TTL
 * of the records and of the CNAMEs that led to them; for a denial the
 * negative-caching TTL of RFC 2308 section 5 (the SOA's TTL or MINIMUM,
 * whichever is smaller). Absent: unknown (Node's resolver), never on
 * temporary failures.
 */
export type DnsAnswer<T> =
  | { ok: true; records: T[]; authenticated?: boolean; ttl?: number }
  | { ok: false; kind: 'nxdomain' | 'nodata' | 'temporary'; detail: string; authenticated?: boolean; ttl?: number };

export interface DnsClient {
  mx(name: string): Promise<DnsAnswer<MxRecord>>;
  /** IPv4 addresses (A). */
  a(name: string): Promise<DnsAnswer<string>>;
  /** IPv6 addresses (AAAA). */
  aaaa(name: string): Promise<DnsAnswer<string>>;
  /** TXT records, each one's character-strings joined into one string (RFC 7208 section 3.3). */
  txt(name: string): Promise<DnsAnswer<string>>;
  /** TLSA records (RFC 6698), such as _25._tcp.mx.example.net. */
  tlsa(name: string): Promise<DnsAnswer<TlsaRecord>>;
}

export interface DnsOptions {
  /** "host:port" or "[v6]:port" or bare addresses; empty: the system's resolvers. */
  servers: readonly string[];
  /** Per try, in milliseconds. */
  timeoutMs: number;
  tries: number;
}

/** c-ares error codes that mean the name or type does not exist. */
const ABSENT: Record<string, 'nxdomain' | 'nodata'> = { ENOTFOUND: 'nxdomain', ENODATA: 'nodata' };

export class NodeDnsClient implements DnsClient {
  private readonly resolver: Resolver;

  constructor(options: DnsOptions) {
    this.resolver = new Resolver({ timeout: options.timeoutMs, tries: options.tries });
    if (options.servers.length > 0) this.resolver.setServers([...options.servers]);
  }

  mx(name: string): Promise<DnsAnswer<MxRecord>> {
    return this.ask(name, 'MX', () => this.resolver.resolveMx(name));
  }

  a(name: string): Promise<DnsAnswer<string>> {
    return this.ask(name, 'A', () => this.resolver.resolve4(name));
  }

  aaaa(name: string): Promise<DnsAnswer<string>> {
    return this.ask(name, 'AAAA', () => this.resolver.resolve6(name));
  }

  txt(name: string): Promise<DnsAnswer<string>> {
    return this.ask(name, 'TXT', async () => (await this.resolver.resolveTxt(name)).map((strings) => strings.join('')));
  }

  /** Node's resolver has no TLSA query: always temporary, so nothing relies on DANE through it. */
  async tlsa(name: string): Promise<DnsAnswer<TlsaRecord>> {
    return { ok: false, kind: 'temporary', detail: `TLSA lookup for ${name}: not supported by this resolver` };
  }

  private async ask<T>(name: string, type: string, query: () => Promise<T[]>): Promise<DnsAnswer<T>> {
    try {
      const records = await query();
      return records.length > 0 ? { ok: true, records } : { ok: false, kind: 'nodata', detail: `no ${type} record for ${name}` };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      const absent = ABSENT[code];
      if (absent) return { ok: false, kind: absent, detail: absent === 'nxdomain' ? `${name} does not exist` : `no ${type} record for ${name}` };
      return { ok: false, kind: 'temporary', detail: `${type} lookup for ${name} failed: ${code || (err instanceof Error ? err.message : String(err))}` };
    }
  }
}
