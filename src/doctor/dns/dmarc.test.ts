/*
 * The DMARC checks (F01 to F08) against the fake resolver: a table of
 * records, each mistake giving its id at its severity and no other error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeDns, type FakeZone } from '../../dns/fake-client.js';
import type { DomainFacts, Finding, HostFacts } from '../types.js';
import { dmarcCheck } from './dmarc.js';

const host = {} as HostFacts;
const facts = { domain: 'example.com', dmarcRua: 'dmarc@example.com' } as DomainFacts;
const base: FakeZone = { 'example.com': { mx: [{ exchange: 'mx.example.com', priority: 10 }], txt: ['v=spf1 mx -all'] } };
const brief = (findings: Finding[]) => findings.map((f) => `${f.id} ${f.severity}`);
const good = 'v=DMARC1; p=reject; rua=mailto:dmarc@example.com';
const at = (...txt: string[]): FakeZone => ({ '_dmarc.example.com': { txt } });

describe('DMARC checks (F01-F08)', () => {
  const cases: { name: string; zone: FakeZone; expect: string[]; domain?: string }[] = [
    { name: 'p=reject with our rua: nothing to say', zone: at(good), expect: [] },
    { name: 'missing: F01 error', zone: {}, expect: ['F01 error'] },
    { name: 'a subdomain covered by its parent\'s record: a note', domain: 'lists.example.com', zone: at(good), expect: ['F01 info'] },
    { name: 'two records: F02 error', zone: at(good, 'v=DMARC1; p=none'), expect: ['F02 error'] },
    { name: 'an SPF record answering at _dmarc (a wildcard): F02 warning', zone: at(good, 'v=spf1 mx -all'), expect: ['F02 warning'] },
    { name: 'published at the apex instead: F03 only', zone: { 'example.com': { txt: ['v=spf1 mx -all', good] } }, expect: ['F03 error'] },
    { name: 'a stray copy at the apex: F03 warning', zone: { ...at(good), 'example.com': { ...base['example.com'], txt: ['v=spf1 mx -all', good] } }, expect: ['F03 warning'] },
    { name: 'v=dmarc1 (case matters): F04 error', zone: at('v=dmarc1; p=reject; rua=mailto:dmarc@example.com'), expect: ['F04 error'] },
    { name: 'no p=: F04 error', zone: at('v=DMARC1; rua=mailto:dmarc@example.com'), expect: ['F04 error'] },
    { name: 'p=block: F04 error', zone: at('v=DMARC1; p=block; rua=mailto:dmarc@example.com'), expect: ['F04 error'] },
    { name: 'a repeated tag: F04 error', zone: at(`${good}; p=none`), expect: ['F04 error'] },
    { name: 'p= not second: F04 warning', zone: at('v=DMARC1; rua=mailto:dmarc@example.com; p=reject'), expect: ['F04 warning'] },
    { name: 'adkim=x: F04 warning', zone: at(`${good}; adkim=x`), expect: ['F04 warning'] },
    { name: 'an unknown tag: F04 warning', zone: at(`${good}; ruaa=mailto:x@example.com`), expect: ['F04 warning'] },
    { name: 'a trailing ";" and spaces are fine', zone: at('v=DMARC1 ; p = reject ; rua = mailto:dmarc@example.com ;'), expect: [] },
    { name: 'p=none: F05 warning with the plan', zone: at('v=DMARC1; p=none; rua=mailto:dmarc@example.com'), expect: ['F05 warning'] },
    { name: 'p=quarantine: F05 note', zone: at('v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com'), expect: ['F05 info'] },
    { name: 'pct=50: F05 note', zone: at(`${good}; pct=50`), expect: ['F05 info'] },
    { name: 'no rua: F06 warning', zone: at('v=DMARC1; p=reject'), expect: ['F06 warning'] },
    { name: 'rua elsewhere than configured: F06 warning', zone: at('v=DMARC1; p=reject; rua=mailto:postmaster@example.com'), expect: ['F06 warning'] },
    {
      name: 'an external rua without authorisation: F07 warning',
      zone: { ...at('v=DMARC1; p=reject; rua=mailto:dmarc@example.com,mailto:r@reports.example.net'), 'reports.example.net': { mx: [{ exchange: 'mx.example.net', priority: 10 }] } },
      expect: ['F07 warning'],
    },
    {
      name: 'an external rua with authorisation: fine',
      zone: { ...at('v=DMARC1; p=reject; rua=mailto:dmarc@example.com,mailto:r@reports.example.net'), 'reports.example.net': { mx: [{ exchange: 'mx.example.net', priority: 10 }] }, 'example.com._report._dmarc.reports.example.net': { txt: ['v=DMARC1'] } },
      expect: [],
    },
    {
      name: 'a sibling subdomain without authorisation: a note (maybe one organisation)',
      domain: 'a.example.com',
      zone: { '_dmarc.a.example.com': { txt: ['v=DMARC1; p=reject; rua=mailto:dmarc@a.example.com,mailto:r@b.example.com'] }, 'a.example.com': { mx: [{ exchange: 'mx.example.com', priority: 10 }] }, 'b.example.com': { mx: [{ exchange: 'mx.example.com', priority: 10 }] } },
      expect: ['F07 info'],
    },
    { name: 'an external ruf without authorisation: F07', zone: { ...at(`${good}; ruf=mailto:f@reports.example.net`) }, expect: ['F07 warning'] },
    { name: 'a parent domain as destination needs no authorisation', domain: 'sub.example.com', zone: { '_dmarc.sub.example.com': { txt: ['v=DMARC1; p=reject; rua=mailto:dmarc@sub.example.com,mailto:dmarc@example.com'] }, 'sub.example.com': { mx: [{ exchange: 'mx.example.com', priority: 10 }] } }, expect: [] },
    { name: 'the rua domain has no MX and no address: F08 warning', zone: at('v=DMARC1; p=reject; rua=mailto:dmarc@example.com,mailto:d@sub.example.com'), expect: ['F08 warning'] },
    { name: 'the rua domain has only an A record: F08 note', zone: { ...at('v=DMARC1; p=reject; rua=mailto:dmarc@example.com,mailto:d@sub.example.com'), 'sub.example.com': { a: ['1.2.3.4'] } }, expect: ['F08 info'] },
    { name: 'the rua domain has a null MX: F08 warning', zone: { ...at('v=DMARC1; p=reject; rua=mailto:dmarc@example.com,mailto:d@sub.example.com'), 'sub.example.com': { mx: [{ exchange: '', priority: 0 }] } }, expect: ['F08 warning'] },
    { name: 'the lookup fails: could not check', zone: { '_dmarc.example.com': { txt: 'temporary' } }, expect: ['F01 warning'] },
    { name: 'the authorisation lookup fails: could not check F07', zone: { ...at('v=DMARC1; p=reject; rua=mailto:dmarc@example.com,mailto:r@reports.example.net'), 'reports.example.net': { mx: [{ exchange: 'mx.example.net', priority: 10 }] }, 'example.com._report._dmarc.reports.example.net': { txt: 'temporary' } }, expect: ['F07 warning'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const dns = fakeDns({ ...base, ...c.zone });
      const f = { ...facts, domain: c.domain ?? facts.domain, dmarcRua: c.domain ? `dmarc@${c.domain}` : facts.dmarcRua };
      const findings = await dmarcCheck(f, host, { dns, query: dns.query, now: () => 0 });
      assert.deepEqual(brief(findings), c.expect, JSON.stringify(findings, null, 1));
    });
  }

  it('p=none gives the rollout plan', async () => {
    const dns = fakeDns({ ...base, ...at('v=DMARC1; p=none; rua=mailto:dmarc@example.com') });
    const [f] = await dmarcCheck(facts, host, { dns, query: dns.query, now: () => 0 });
    assert.match(f!.fix, /p=none.*p=quarantine, then to p=reject/);
  });

  it('F07 names the record the destination must publish', async () => {
    const dns = fakeDns({ ...base, ...at(`${good},mailto:r@reports.example.net`), 'reports.example.net': { mx: [{ exchange: 'mx.example.net', priority: 10 }] } });
    const [f] = await dmarcCheck(facts, host, { dns, query: dns.query, now: () => 0 });
    assert.equal(f!.expected, 'example.com._report._dmarc.reports.example.net. TXT "v=DMARC1"');
  });
});
