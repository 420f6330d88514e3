/*
 * MX routing rules over a fake resolver (the DNS is outside the thing under
 * test here; test/e2e/dns-route.test.ts asks a real BIND): preference
 * order, implicit MX, null MX, MX to this host, NXDOMAIN, SERVFAIL and
 * timeouts, address order and bounds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DnsClient, MxRecord } from './client.js';
import { fakeDns } from './fake-client.js';
import { MAX_ADDRESSES_PER_HOST, MAX_MX_HOSTS, resolveRoute, type Route, type SelfIdentity } from './mx.js';

type Zone = Record<string, { mx?: MxRecord[] | 'nxdomain' | 'temporary'; a?: string[] | 'temporary'; aaaa?: string[] | 'temporary' }>;

/** The declarative fake resolver, with this file's question log. */
function fake(zone: Zone, log: string[] = []): DnsClient {
  const dns = fakeDns(zone);
  const record = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
    const r = f(...a);
    log.push(...dns.asked.splice(0));
    return r;
  };
  return { mx: record(dns.mx), a: record(dns.a), aaaa: record(dns.aaaa), txt: record(dns.txt), tlsa: record(dns.tlsa) };
}

const nobody: SelfIdentity = { names: new Set(['mx.petrel.test']), addresses: new Set(['192.0.2.99']) };
const hostsOf = (r: Route) => (r.kind === 'hosts' ? r.hosts.map((h) => `${h.preference} ${h.name} ${h.addresses.join(',')}`) : `${r.temporary ? 'temp' : 'perm'} ${r.status}`);

describe('resolveRoute', () => {
  const cases: { name: string; zone: Zone; domain?: string; self?: SelfIdentity; want: string[] | string }[] = [
    {
      name: 'MX records in preference order, IPv6 before IPv4',
      zone: {
        'example.net': { mx: [{ exchange: 'mx2.example.net', priority: 20 }, { exchange: 'mx1.example.net', priority: 10 }] },
        'mx1.example.net': { a: ['192.0.2.1'], aaaa: ['2001:db8::1'] },
        'mx2.example.net': { a: ['192.0.2.2'] },
      },
      want: ['10 mx1.example.net 2001:db8::1,192.0.2.1', '20 mx2.example.net 192.0.2.2'],
    },
    {
      name: 'no MX record: the domain itself is the implicit MX',
      zone: { 'example.net': { a: ['192.0.2.5'] } },
      want: ['0 example.net 192.0.2.5'],
    },
    {
      name: 'null MX bounces with 5.1.10 without looking up addresses',
      zone: { 'example.net': { mx: [{ exchange: '', priority: 0 }], a: ['192.0.2.5'] } },
      want: 'perm 5.1.10',
    },
    {
      name: 'a "." among real MX records is ignored',
      zone: { 'example.net': { mx: [{ exchange: '.', priority: 0 }, { exchange: 'mx.example.net', priority: 10 }] }, 'mx.example.net': { a: ['192.0.2.1'] } },
      want: ['10 mx.example.net 192.0.2.1'],
    },
    {
      name: 'the domain does not exist: 5.4.4',
      zone: {},
      want: 'perm 5.4.4',
    },
    {
      name: 'no MX and no address: 5.4.4',
      zone: { 'example.net': {} },
      want: 'perm 5.4.4',
    },
    {
      name: 'MX lookup SERVFAIL or timeout defers with 4.4.3, never bounces',
      zone: { 'example.net': { mx: 'temporary', a: ['192.0.2.5'] } },
      want: 'temp 4.4.3',
    },
    {
      name: 'an MX host whose lookup fails is skipped when another answers',
      zone: {
        'example.net': { mx: [{ exchange: 'mx1.example.net', priority: 10 }, { exchange: 'mx2.example.net', priority: 20 }] },
        'mx1.example.net': { a: 'temporary', aaaa: 'temporary' },
        'mx2.example.net': { a: ['192.0.2.2'] },
      },
      want: ['20 mx2.example.net 192.0.2.2'],
    },
    {
      name: 'every MX host failing temporarily defers',
      zone: { 'example.net': { mx: [{ exchange: 'mx1.example.net', priority: 10 }] }, 'mx1.example.net': { a: 'temporary' } },
      want: 'temp 4.4.3',
    },
    {
      name: 'MX hosts without any address: 5.4.4',
      zone: { 'example.net': { mx: [{ exchange: 'mx1.example.net', priority: 10 }] }, 'mx1.example.net': {} },
      want: 'perm 5.4.4',
    },
    {
      name: 'an MX pointing back at this host by name, as the best preference: 5.4.6',
      zone: { 'example.net': { mx: [{ exchange: 'MX.Petrel.Test.', priority: 10 }, { exchange: 'backup.example.net', priority: 20 }] }, 'backup.example.net': { a: ['192.0.2.3'] } },
      want: 'perm 5.4.6',
    },
    {
      name: 'this host as a backup MX: only the better ones are tried',
      zone: {
        'example.net': { mx: [{ exchange: 'mx.example.net', priority: 10 }, { exchange: 'mx.petrel.test', priority: 20 }, { exchange: 'worse.example.net', priority: 30 }] },
        'mx.example.net': { a: ['192.0.2.1'] },
        'worse.example.net': { a: ['192.0.2.3'] },
      },
      want: ['10 mx.example.net 192.0.2.1'],
    },
    {
      name: 'an MX whose address is ours is this host: 5.4.6',
      zone: { 'example.net': { mx: [{ exchange: 'alias.example.net', priority: 10 }] }, 'alias.example.net': { a: ['192.0.2.99'] } },
      want: 'perm 5.4.6',
    },
    {
      name: 'a better MX failing temporarily before this host defers rather than loops',
      zone: { 'example.net': { mx: [{ exchange: 'mx.example.net', priority: 10 }, { exchange: 'mx.petrel.test', priority: 20 }] }, 'mx.example.net': { a: 'temporary' } },
      want: 'temp 4.4.3',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.deepEqual(hostsOf(await resolveRoute(c.domain ?? 'example.net', fake(c.zone), c.self ?? nobody, () => 0)), c.want);
    });
  }

  it('does not look up addresses for a null MX, and looks up nothing past this host', async () => {
    const log: string[] = [];
    await resolveRoute('example.net', fake({ 'example.net': { mx: [{ exchange: '', priority: 0 }] } }, log), nobody);
    assert.deepEqual(log, ['MX example.net']);
    log.length = 0;
    await resolveRoute('example.net', fake({ 'example.net': { mx: [{ exchange: 'mx.petrel.test', priority: 5 }, { exchange: 'other.example.net', priority: 9 }] } }, log), nobody);
    assert.deepEqual(log, ['MX example.net']);
  });

  it('spreads equal preferences at random and keeps preference order', async () => {
    const zone: Zone = { 'example.net': { mx: ['a', 'b', 'c'].map((h) => ({ exchange: `${h}.example.net`, priority: 10 })).concat([{ exchange: 'z.example.net', priority: 5 }]) } };
    for (const h of ['a', 'b', 'c', 'z']) zone[`${h}.example.net`] = { a: ['192.0.2.1'] };
    const firsts = new Set<string>();
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 50; i++) {
      const r = await resolveRoute('example.net', fake(zone), nobody, random);
      assert.equal(r.kind, 'hosts');
      if (r.kind !== 'hosts') return;
      assert.equal(r.hosts[0]!.name, 'z.example.net');
      assert.deepEqual(r.hosts.slice(1).map((h) => h.name).sort(), ['a.example.net', 'b.example.net', 'c.example.net']);
      firsts.add(r.hosts[1]!.name);
    }
    assert.equal(firsts.size, 3, 'each equal-preference host comes first sometimes');
  });

  it('bounds the hosts and addresses a hostile zone can make it use', async () => {
    const zone: Zone = { 'example.net': { mx: Array.from({ length: 50 }, (_, i) => ({ exchange: `mx${i}.example.net`, priority: i })) } };
    for (let i = 0; i < 50; i++) zone[`mx${i}.example.net`] = { a: Array.from({ length: 40 }, (_, j) => `10.0.${i}.${j}`) };
    const log: string[] = [];
    const r = await resolveRoute('example.net', fake(zone, log), nobody);
    assert.equal(r.kind, 'hosts');
    if (r.kind !== 'hosts') return;
    assert.equal(r.hosts.length, MAX_MX_HOSTS);
    assert.ok(r.hosts.every((h) => h.addresses.length === MAX_ADDRESSES_PER_HOST));
    assert.equal(log.length, 1 + 2 * MAX_MX_HOSTS);
  });

  it('says whether the MX answer and each host\'s addresses were DNSSEC-validated, which DANE needs', async () => {
    const zone = {
      'secure.test': { mx: [{ exchange: 'mx.secure.test', priority: 10 }, { exchange: 'mx.plain.test', priority: 20 }], secure: true },
      'mx.secure.test': { a: ['192.0.2.1'], aaaa: [], secure: true },
      'mx.plain.test': { a: ['192.0.2.2'] },
    };
    const r = await resolveRoute('secure.test', fakeDns(zone), nobody);
    assert.ok(r.kind === 'hosts');
    assert.equal(r.authenticated, true);
    assert.deepEqual(r.hosts.map((h) => [h.name, h.authenticated]), [['mx.secure.test', true], ['mx.plain.test', false]]);
    const plain = await resolveRoute('mx.plain.test', fakeDns(zone), nobody);
    assert.ok(plain.kind === 'hosts' && plain.authenticated === false);
  });
});
