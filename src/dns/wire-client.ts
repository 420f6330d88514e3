/*
 * A DnsClient that speaks the DNS protocol itself (with dns-packet) so it
 * can see what Node's resolver hides: the AD bit, which says a validating
 * resolver checked the answer with DNSSEC (DANE needs it), TTLs (for the
 * cache), and any record type (TLSA now; DS, DNSKEY, CAA, PTR for the
 * doctor through `query`).
 *
 * Each lookup tries up to `tries` times, rotating through the servers
 * (try i asks server i mod n), each try bounded by `timeoutMs`: UDP first,
 * then TCP with a fresh ID when the UDP answer is truncated (TC). A try
 * that times out, fails on the socket or gets SERVFAIL, REFUSED, FORMERR
 * or another error RCODE moves on to the next; an answer (records,
 * NXDOMAIN, NODATA) ends the lookup. Message IDs are random (crypto).
 *
 * Exports: WireDnsClient, WireDnsOptions.
 * Security: names come from envelopes; they are checked (nameProblem) and
 * only ever sent to the configured servers. The AD bit is only as good as
 * the path to the resolver: point `servers` at a validating resolver on
 * this host or on a trusted network (RFC 4035 section 4.9.3, RFC 6698
 * section 8.3), never at one across the Internet.
 * Standards: RFC 1035, RFC 6891 and RFC 3225 (EDNS0, DO), RFC 6840
 * section 5.7 (AD in queries), RFC 7766 (TCP), RFC 5452 (answer matching).
 */
import { randomInt } from 'node:crypto';
import { getServers } from 'node:dns';
import type { TxtData } from 'dns-packet';
import type { DnsAnswer, DnsClient, DnsOptions, MxRecord, TlsaRecord } from './client.js';
import { interpretResponse } from './wire-answer.js';
import { encodeQuery, nameProblem, type QueryType, type RecordData } from './wire-codec.js';
import { parseServer, tcpExchange, udpExchange, type Exchange, type ServerAddress } from './wire-transport.js';

export interface WireDnsOptions extends DnsOptions {
  /** The system's servers, used when `servers` is empty (default: Node's dns.getServers(), i.e. /etc/resolv.conf). */
  systemServers?: () => string[];
}

/** Maps the answer's records, keeping everything else (AD bit, TTL, denial kind). */
function mapAnswer<A, B>(answer: DnsAnswer<A>, map: (record: A) => B): DnsAnswer<B> {
  return answer.ok ? { ...answer, records: answer.records.map(map) } : answer;
}

/** A TXT record's character-strings joined, then read as UTF-8 (a string of one record may split a character). */
function txtString(data: TxtData): string {
  const parts = Array.isArray(data) ? data : [data];
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))).toString('utf8');
}

export class WireDnsClient implements DnsClient {
  readonly servers: readonly ServerAddress[];
  private readonly timeoutMs: number;
  private readonly tries: number;

  constructor(options: WireDnsOptions) {
    if (!(options.timeoutMs > 0) || !Number.isInteger(options.tries) || options.tries < 1) {
      throw new RangeError('DNS timeoutMs must be positive and tries a positive integer');
    }
    const specs = options.servers.length > 0 ? options.servers : (options.systemServers ?? getServers)();
    this.servers = specs.map(parseServer);
    this.timeoutMs = options.timeoutMs;
    this.tries = options.tries;
  }

  mx(name: string): Promise<DnsAnswer<MxRecord>> {
    return this.query(name, 'MX').then((a) => mapAnswer(a, (r) => ({ exchange: r.exchange.replace(/\.$/, ''), priority: r.preference ?? 0 })));
  }

  a(name: string): Promise<DnsAnswer<string>> {
    return this.query(name, 'A');
  }

  aaaa(name: string): Promise<DnsAnswer<string>> {
    return this.query(name, 'AAAA');
  }

  txt(name: string): Promise<DnsAnswer<string>> {
    return this.query(name, 'TXT').then((a) => mapAnswer(a, txtString));
  }

  tlsa(name: string): Promise<DnsAnswer<TlsaRecord>> {
    return this.query(name, 'TLSA').then((a) =>
      mapAnswer(a, (r) => ({ usage: r.usage, selector: r.selector, matchingType: r.matchingType, data: Buffer.from(r.certificate) })),
    );
  }

  /** Any record type, each record's data as dns-packet decodes it (DsData for 'DS', CaaData for 'CAA', a name for 'PTR'...). */
  async query<T extends QueryType>(name: string, type: T): Promise<DnsAnswer<RecordData<T>>> {
    const problem = nameProblem(name);
    if (problem) return { ok: false, kind: 'nxdomain', detail: `${name} cannot exist in the DNS: ${problem}`, authenticated: false };
    const failed = (detail: string): DnsAnswer<RecordData<T>> => ({ ok: false, kind: 'temporary', detail: `${type} lookup for ${name} failed: ${detail}`, authenticated: false });
    let last = failed('no DNS server configured');
    for (let attempt = 0; attempt < this.tries && this.servers.length > 0; attempt++) {
      const server = this.servers[attempt % this.servers.length]!;
      const exchange = await this.exchange(server, name, type);
      last = exchange.kind === 'failed' ? failed(exchange.detail) : (interpretResponse(exchange.response, name, type, server.label) as DnsAnswer<RecordData<T>>);
      if (last.ok || last.kind !== 'temporary') return last;
    }
    return last;
  }

  /** UDP, then TCP with a fresh ID when the answer is truncated. */
  private async exchange(server: ServerAddress, name: string, type: QueryType): Promise<Exchange> {
    const udp = await udpExchange(server, encodeQuery(randomInt(0x10000), name, type), this.timeoutMs);
    if (udp.kind === 'failed' || !udp.response.truncated) return udp;
    const tcp = await tcpExchange(server, encodeQuery(randomInt(0x10000), name, type), this.timeoutMs);
    if (tcp.kind === 'response' && tcp.response.truncated) return { kind: 'failed', detail: `a truncated answer over TCP from ${server.label}` };
    return tcp;
  }
}
