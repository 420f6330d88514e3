/*
 * The DNS client port every lookup goes through (outbound MX routing,
 * MTA-STS and DANE now; sender authentication and the doctor later). Its
 * implementation is wire-client.ts (Petrel's own, on the resolvers the
 * operator configured, `[dns] resolvers`), behind cache.ts; Node's
 * resolver cannot tell the AD bit nor ask for TLSA, so it is not used.
 *
 * Answers are normalised into three outcomes the mail logic can act on
 * without knowing resolver error codes: records; `nxdomain` / `nodata` (the
 * name or the type does not exist: a permanent answer); `temporary`
 * (SERVFAIL, REFUSED, timeout, no server reachable: ask again later, never
 * bounce on it).
 *
 * Exports: DnsClient, DnsAnswer, MxRecord, TlsaRecord, DnsOptions.
 * Security: names come from envelopes (sender-chosen); implementations only
 * ever pass them to the resolver, and bound every lookup by timeout x tries.
 */

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
