/*
 * The SPF checks (D01 to D12) against the fake resolver, a table of
 * zones: each mistake gives its id at its severity and no other error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeDns, type FakeZone } from '../../dns/fake-client.js';
import type { DoctorDeps, DomainFacts, Finding, HostFacts } from '../types.js';
import { heloSpfCheck, spfCheck } from './spf.js';

const host: HostFacts = { hostname: 'mx.example.net', heloName: 'mx.example.net', ipv4: ['1.2.3.4'], ipv6: ['2a01:4f8::25'], tlsaKeys: { current: 'aa' } };
const facts = { domain: 'example.com' } as DomainFacts;
const base: FakeZone = {
  'example.com': { mx: [{ exchange: 'mx.example.net', priority: 10 }] },
  'mx.example.net': { a: ['1.2.3.4'], aaaa: ['2a01:4f8::25'], txt: ['v=spf1 a -all'] },
};

function deps(zone: FakeZone): DoctorDeps & { asked: string[] } {
  const merged: FakeZone = { ...base };
  for (const [name, entry] of Object.entries(zone)) merged[name] = { ...merged[name], ...entry };
  const dns = fakeDns(merged);
  return { dns, query: dns.query, now: () => 0, asked: dns.asked };
}

const brief = (findings: Finding[]) => findings.map((f) => `${f.id} ${f.severity}`);
const spf = (...records: string[]): FakeZone => ({ 'example.com': { txt: records } });
const includes = (n: number): FakeZone => Object.fromEntries(Array.from({ length: n }, (_, i) => [`i${i}.example.org`, { txt: ['v=spf1 -all'] }]));

describe('SPF checks (D01-D11)', () => {
  const cases: { name: string; zone: FakeZone; expect: string[] }[] = [
    { name: 'v=spf1 mx -all: nothing to say', zone: spf('v=spf1 mx -all'), expect: [] },
    { name: 'ip4/ip6 and ~all', zone: spf('v=spf1 ip4:1.2.3.4 ip6:2a01:4f8::/32 ~all'), expect: [] },
    { name: 'no TXT at all', zone: {}, expect: ['D01 error'] },
    { name: 'TXT records but no SPF', zone: spf('google-site-verification=x'), expect: ['D01 error'] },
    { name: 'two SPF records: D01 only', zone: spf('v=spf1 mx -all', 'v=spf1 ip4:1.2.3.4 -all'), expect: ['D01 error'] },
    { name: 'version glued: D02 only, the rest judged as meant', zone: spf('v=spf1mx -all'), expect: ['D02 error'] },
    { name: 'pasted quotes: D02', zone: spf('"v=spf1 mx -all"'), expect: ['D02 error'] },
    { name: 'an extra near miss beside a good record: warning', zone: spf('v=spf1 mx -all', 'spf1 a -all'), expect: ['D02 warning'] },
    { name: 'include:...-all glued: D03 only', zone: { ...spf('v=spf1 mx include:spf.example.org-all'), 'spf.example.org': { txt: ['v=spf1 ip4:5.6.7.8 -all'] } }, expect: ['D03 error'] },
    { name: 'ip4:x~all glued: D03 only', zone: spf('v=spf1 ip4:1.2.3.4~all'), expect: ['D03 error'] },
    { name: 'a bad ip4: D04', zone: spf('v=spf1 mx ip4:1.2.3.400 -all'), expect: ['D04 error'] },
    { name: 'unknown mechanism: D04', zone: spf('v=spf1 mx mxs -all'), expect: ['D04 error'] },
    { name: 'two redirects: D04 error', zone: { ...spf('v=spf1 mx redirect=r1.example.org redirect=r2.example.org'), 'r1.example.org': { txt: ['v=spf1 -all'] } }, expect: ['D04 error'] },
    { name: 'terms after all: warning only', zone: spf('v=spf1 mx -all ip4:5.6.7.8'), expect: ['D04 warning'] },
    { name: 'an include of a name without SPF: D04', zone: { ...spf('v=spf1 mx include:nospf.example.org -all'), 'nospf.example.org': { txt: ['hello'] } }, expect: ['D04 error'] },
    { name: 'an include of a name that does not exist: D04 (one void lookup is within the limit)', zone: spf('v=spf1 mx include:gone.example.org -all'), expect: ['D04 error'] },
    { name: '10 lookups: fine', zone: { ...spf(`v=spf1 mx ${Array.from({ length: 9 }, (_, i) => `include:i${i}.example.org`).join(' ')} -all`), ...includes(9) }, expect: [] },
    { name: '11 lookups: D05', zone: { ...includes(9), 'example.com': { a: ['1.2.3.4'], txt: [`v=spf1 mx a ${Array.from({ length: 9 }, (_, i) => `include:i${i}.example.org`).join(' ')} -all`] } }, expect: ['D05 error'] },
    {
      name: '11 lookups counted through nested includes: D05',
      zone: { ...spf('v=spf1 mx include:n1.example.org -all'), 'n1.example.org': { txt: [`v=spf1 ${Array.from({ length: 9 }, (_, i) => `include:i${i}.example.org`).join(' ')} -all`] }, ...includes(9) },
      expect: ['D05 error'],
    },
    { name: 'lookups after all do not count', zone: { ...spf(`v=spf1 mx -all ${Array.from({ length: 12 }, () => 'a').join(' ')}`) }, expect: ['D04 warning', 'D04 warning', 'D04 warning', 'D04 warning', 'D04 warning', 'D04 warning'] },
    { name: 'a redirect loop: D05', zone: { ...spf('v=spf1 mx redirect=r1.example.org'), 'r1.example.org': { txt: ['v=spf1 redirect=r2.example.org'] }, 'r2.example.org': { txt: ['v=spf1 redirect=r1.example.org'] } }, expect: ['D05 error'] },
    { name: 'an include back to the domain: D05', zone: { ...spf('v=spf1 mx include:l1.example.org -all'), 'l1.example.org': { txt: ['v=spf1 include:example.com -all'] } }, expect: ['D05 error'] },
    { name: '3 void lookups: D06', zone: spf('v=spf1 mx a:v1.example.org a:v2.example.org exists:v3.example.org -all'), expect: ['D06 error'] },
    { name: '2 void lookups: fine', zone: spf('v=spf1 mx a:v1.example.org a:v2.example.org -all'), expect: [] },
    { name: 'mx with 11 hosts: D07', zone: { ...spf('v=spf1 mx mx:big.example.org -all'), 'big.example.org': { mx: Array.from({ length: 11 }, (_, i) => ({ exchange: `h${i}.example.org`, priority: i })) } }, expect: ['D07 error'] },
    { name: 'our address is not listed: D08', zone: spf('v=spf1 ip4:5.6.7.8 -all'), expect: ['D08 error', 'D08 error'] },
    { name: '+all: D09 error', zone: spf('v=spf1 mx +all'), expect: ['D09 error'] },
    { name: '?all: D09 warning', zone: spf('v=spf1 mx ?all'), expect: ['D09 warning'] },
    { name: 'no all: D09 warning', zone: spf('v=spf1 mx'), expect: ['D09 warning'] },
    { name: 'a redirect to a record ending in -all: fine', zone: { ...spf('v=spf1 redirect=_spf.example.org'), '_spf.example.org': { txt: ['v=spf1 ip4:1.2.3.4 ip6:2a01:4f8::/32 -all'] } }, expect: [] },
    { name: 'a redirect to a record ending in ?all: D09 warning', zone: { ...spf('v=spf1 redirect=_spf.example.org'), '_spf.example.org': { txt: ['v=spf1 ip4:1.2.3.4 ip6:2a01:4f8::/32 ?all'] } }, expect: ['D09 warning'] },
    { name: 'ptr: D10 warning', zone: { ...spf('v=spf1 mx ptr -all') }, expect: ['D10 warning'] },
    { name: 'a type-99 SPF record: D10 warning', zone: { 'example.com': { txt: ['v=spf1 mx -all'], records: { SPF: [Buffer.from('\x0ev=spf1 mx -all')] } } }, expect: ['D10 warning'] },
    { name: 'strings joined without a space: D11 only', zone: { 'example.com': { txtStrings: [['v=spf1 mx ip4:1.2.3.4', 'ip4:5.6.7.8 -all']] } }, expect: ['D11 error'] },
    { name: 'strings split inside a term are fine', zone: { 'example.com': { txtStrings: [['v=spf1 mx ip4:1.2.', '3.4 -all']] } }, expect: [] },
    { name: 'a string over 255 octets: D11', zone: { 'example.com': { txtStrings: [[`v=spf1 mx ${'ip4:1.2.3.4 '.repeat(25)}-all`]] } }, expect: ['D11 error'] },
    { name: 'the TXT lookup fails: could not check', zone: { 'example.com': { txt: 'temporary' } }, expect: ['D01 warning'] },
    { name: 'an include fails temporarily: could not count, no error', zone: { ...spf('v=spf1 mx include:flaky.example.org -all'), 'flaky.example.org': { txt: 'temporary' } }, expect: ['D05 warning'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const findings = await spfCheck(facts, host, deps(c.zone));
      assert.deepEqual(brief(findings), c.expect, JSON.stringify(findings, null, 1));
    });
  }

  it('D03 points at the position of the glued qualifier', async () => {
    const [f] = await spfCheck(facts, host, deps({ ...spf('v=spf1 mx include:spf.example.org-all'), 'spf.example.org': { txt: ['v=spf1 -all'] } }));
    assert.match(f!.title, /a space is missing before "-all" at character 34 \(term 2\)/);
    assert.match(f!.fix, /It is currently set to "include:spf\.example\.org-all" but should be "include:spf\.example\.org -all"\. DNS changes can take hours/);
  });

  it('D05 says where the lookups come from', async () => {
    const findings = await spfCheck(facts, host, deps({ ...spf('v=spf1 mx include:n1.example.org -all'), 'n1.example.org': { txt: [`v=spf1 ${Array.from({ length: 10 }, (_, i) => `include:i${i}.example.org`).join(' ')} -all`] }, ...includes(10) }));
    assert.equal(findings[0]!.title, 'SPF needs 12 DNS lookups; the limit is 10');
    assert.match(findings[0]!.seen, /^example\.com: 2, n1\.example\.org: 10$/);
  });

  it('a hostile include chain is bounded', async () => {
    const chain: FakeZone = {};
    for (let i = 0; i < 100; i++) chain[`c${i}.example.org`] = { txt: [`v=spf1 include:c${i + 1}.example.org a:x${i}.example.org -all`] };
    const d = deps({ ...spf('v=spf1 mx include:c0.example.org -all'), ...chain });
    const findings = await spfCheck(facts, host, d);
    assert.ok(findings.some((f) => f.id === 'D05' && f.severity === 'error' && /at least/.test(f.title)));
    assert.ok(d.asked.length < 400, `${d.asked.length} questions`);
  });
});

describe('HELO SPF (D12)', () => {
  const cases: { name: string; zone: FakeZone; expect: string[] }[] = [
    { name: 'v=spf1 a -all on the HELO name: fine', zone: {}, expect: [] },
    { name: 'no SPF on the HELO name: warning', zone: { 'mx.example.net': { txt: [] } }, expect: ['D12 warning'] },
    { name: 'an SPF that our addresses fail: error', zone: { 'mx.example.net': { txt: ['v=spf1 ip4:5.6.7.8 -all'] } }, expect: ['D12 error', 'D12 error'] },
    { name: 'two SPF records: error', zone: { 'mx.example.net': { txt: ['v=spf1 a -all', 'v=spf1 -all'] } }, expect: ['D12 error'] },
    { name: 'glued: error', zone: { 'mx.example.net': { txt: ['v=spf1 a-all'] } }, expect: ['D12 error'] },
    { name: 'lookup fails: could not check', zone: { 'mx.example.net': { txt: 'temporary' } }, expect: ['D12 warning'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const findings = await heloSpfCheck(host, deps(c.zone));
      assert.deepEqual(brief(findings), c.expect, JSON.stringify(findings, null, 1));
    });
  }
});
