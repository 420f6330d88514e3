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
 * Exports: fakeDns, FakeZone, FakeDnsClient.
 * Security: test only.
 */
import type { DnsAnswer, DnsClient, MxRecord, TlsaRecord } from './client.js';

type Value<T> = T[] | 'nxdomain' | 'temporary';

export interface FakeName {
  mx?: Value<MxRecord>;
  a?: Value<string>;
  aaaa?: Value<string>;
  txt?: Value<string>;
  tlsa?: Value<TlsaRecord>;
  /** The resolver validated this name's answers (AD bit). */
  secure?: boolean;
}

export type FakeZone = Record<string, FakeName>;

export interface FakeDnsClient extends DnsClient {
  /** Every question asked, as "TYPE name", in order. */
  readonly asked: string[];
}

export function fakeDns(zone: FakeZone): FakeDnsClient {
  const asked: string[] = [];
  const answer = <T>(name: string, type: string, pick: (n: FakeName) => Value<T> | undefined): DnsAnswer<T> => {
    asked.push(`${type} ${name}`);
    const key = name.toLowerCase().replace(/\.$/, '');
    const entry = Object.hasOwn(zone, key) ? zone[key] : undefined;
    const authenticated = entry?.secure === true;
    const value = entry ? pick(entry) : 'nxdomain';
    if (value === 'nxdomain') return { ok: false, kind: 'nxdomain', detail: `${name} does not exist`, authenticated };
    if (value === 'temporary') return { ok: false, kind: 'temporary', detail: `${type} lookup for ${name} failed: ESERVFAIL`, authenticated: false };
    if (!value || value.length === 0) return { ok: false, kind: 'nodata', detail: `no ${type} record for ${name}`, authenticated };
    return { ok: true, records: value, authenticated };
  };
  return {
    asked,
    mx: async (n) => answer(n, 'MX', (e) => e.mx),
    a: async (n) => answer(n, 'A', (e) => e.a),
    aaaa: async (n) => answer(n, 'AAAA', (e) => e.aaaa),
    txt: async (n) => answer(n, 'TXT', (e) => e.txt),
    tlsa: async (n) => answer(n, 'TLSA', (e) => e.tlsa),
  };
}
