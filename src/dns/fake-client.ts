/*
 * A declarative DNS client for unit tests: answers from a table written
 * like a zone, and records every question it was asked. DNS is outside
 * the code under test in unit tests; end-to-end tests use a real BIND.
 *
 *   fakeDns({ 'example.net': { mx: [{ exchange: 'mx.example.net', priority: 10 }] },
 *             'mx.example.net': { a: ['192.0.2.1'], secure: true } })
 *
 * A name missing from the table is NXDOMAIN; a type missing under a name
 * is NODATA; 'temporary' gives a SERVFAIL-like answer. `secure` sets the
 * AD bit on every answer for that name (records and denials alike).
 *
 * For the record types DnsClient has no method for, `query(name, type)`
 * answers as WireDnsClient.query does (each record's data in dns-packet's
 * shape): from `records` (SRV, CAA, DS, DNSKEY, SOA, PTR, and 'SPF' for
 * type 99 as raw Buffers), and for MX, A, AAAA, TXT and TLSA from the
 * fields above. `txtStrings` gives TXT records as their separate
 * character-strings (query shows them apart, txt() joins them); `cname`
 * makes a name an alias that every lookup but CNAME follows, as a
 * resolver does (at most MAX_CNAME_CHAIN links; a loop is temporary).
 *
 *   fakeDns({ 'example.net': { txtStrings: [['v=DKIM1; p=MIIB', 'IjAN']], records: { CAA: [{ flags: 0, tag: 'issue', value: 'letsencrypt.org' }] } },
 *             'mx.example.net': { cname: 'host.example.net' } })
 *
 * Exports: fakeDns, FakeZone, FakeName, FakeRecords, FakeDnsClient.
 * Security: test only.
 */
import type { DnsAnswer, DnsClient, MxRecord, TlsaRecord } from './client.js';
import { MAX_CNAME_CHAIN } from './limits.js';
import type { QueryType, RecordData } from './wire-codec.js';

type Value<T> = T[] | 'nxdomain' | 'temporary';

/** Records of any type for query(), in dns-packet's shapes; 'SPF' (type 99, which dns-packet's type declarations omit) as raw RDATA. */
export type FakeRecords = { [T in QueryType]?: Value<RecordData<T>> } & { SPF?: Value<Buffer> };

export interface FakeName {
  mx?: Value<MxRecord>;
  a?: Value<string>;
  aaaa?: Value<string>;
  txt?: Value<string>;
  tlsa?: Value<TlsaRecord>;
  /** TXT records as their character-strings; takes the place of `txt` (txt() answers them joined). */
  txtStrings?: Value<string[]>;
  /** The name is an alias (CNAME) of this one: lookups of other types answer as the target does. */
  cname?: string;
  /** Other record types, for query(). */
  records?: FakeRecords;
  /** The resolver validated this name's answers (AD bit). */
  secure?: boolean;
}

export type FakeZone = Record<string, FakeName>;

export interface FakeDnsClient extends DnsClient {
  /** Every question asked, as "TYPE name", in order. */
  readonly asked: string[];
  /** Any record type, as WireDnsClient.query answers it. */
  query<T extends QueryType>(name: string, type: T): Promise<DnsAnswer<RecordData<T>>>;
}

const key = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** What query() answers for a type from the typed fields (dns-packet's shapes), else from `records`. */
function pickForQuery(entry: FakeName, type: string): Value<unknown> | undefined {
  const mapped = <T, U>(value: Value<T> | undefined, map: (v: T) => U): Value<U> | undefined =>
    value === undefined || typeof value === 'string' ? value : value.map(map);
  switch (type) {
    case 'MX': return mapped(entry.mx, (r) => ({ preference: r.priority, exchange: r.exchange === '' ? '.' : r.exchange }));
    case 'A': return entry.a;
    case 'AAAA': return entry.aaaa;
    case 'TXT': return entry.txtStrings !== undefined ? mapped(entry.txtStrings, (r) => r.map((s) => Buffer.from(s))) : mapped(entry.txt, (r) => [Buffer.from(r)]);
    case 'TLSA': return mapped(entry.tlsa, (r) => ({ usage: r.usage, selector: r.selector, matchingType: r.matchingType, certificate: r.data }));
    case 'CNAME': return entry.cname !== undefined ? [entry.cname] : undefined;
    default: return (entry.records as Record<string, Value<unknown>> | undefined)?.[type];
  }
}

export function fakeDns(zone: FakeZone): FakeDnsClient {
  const asked: string[] = [];
  const lookup = (name: string): FakeName | undefined => (Object.hasOwn(zone, key(name)) ? zone[key(name)] : undefined);
  const answer = <T>(name: string, type: string, pick: (n: FakeName) => Value<T> | undefined): DnsAnswer<T> => {
    asked.push(`${type} ${name}`);
    let current = name;
    let entry = lookup(current);
    let authenticated = entry?.secure === true;
    const seen = new Set([key(current)]);
    // Follow aliases for every type but CNAME itself, as a resolver does.
    while (type !== 'CNAME' && entry?.cname !== undefined) {
      if (seen.size > MAX_CNAME_CHAIN || seen.has(key(entry.cname))) {
        return { ok: false, kind: 'temporary', detail: `${type} lookup for ${name} failed: CNAME chain too long or looping`, authenticated: false };
      }
      current = entry.cname;
      seen.add(key(current));
      entry = lookup(current);
      authenticated &&= entry?.secure === true;
    }
    const value = entry ? pick(entry) : 'nxdomain';
    if (value === 'nxdomain') return { ok: false, kind: 'nxdomain', detail: `${current} does not exist`, authenticated };
    if (value === 'temporary') return { ok: false, kind: 'temporary', detail: `${type} lookup for ${name} failed: ESERVFAIL`, authenticated: false };
    if (!value || value.length === 0) return { ok: false, kind: 'nodata', detail: `no ${type} record for ${current}`, authenticated };
    return { ok: true, records: value, authenticated };
  };
  const joinedTxt = (e: FakeName): Value<string> | undefined =>
    e.txtStrings === undefined ? e.txt : typeof e.txtStrings === 'string' ? e.txtStrings : e.txtStrings.map((r) => r.join(''));
  return {
    asked,
    mx: async (n) => answer(n, 'MX', (e) => e.mx),
    a: async (n) => answer(n, 'A', (e) => e.a),
    aaaa: async (n) => answer(n, 'AAAA', (e) => e.aaaa),
    txt: async (n) => answer(n, 'TXT', joinedTxt),
    tlsa: async (n) => answer(n, 'TLSA', (e) => e.tlsa),
    query: async <T extends QueryType>(n: string, type: T) => answer(n, type, (e) => pickForQuery(e, type)) as DnsAnswer<RecordData<T>>,
  };
}
