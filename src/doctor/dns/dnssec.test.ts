/*
 * H03 for the domain against the fake resolver: signed and validated,
 * unsigned, bogus (SERVFAIL below a DS), and an outage that is not bogus.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeDns, type FakeZone } from '../../dns/fake-client.js';
import type { DoctorDeps, DomainFacts, Finding, HostFacts } from '../types.js';
import { dnssecCheck } from './dnssec.js';

const host: HostFacts = { hostname: 'mx.example.net', heloName: 'mx.example.net', ipv4: ['1.2.3.4'], ipv6: [], tlsaKeys: { current: 'aa' } };
const facts = { domain: 'example.com' } as DomainFacts;
const mx = [{ exchange: 'mx.example.net', priority: 10 }];
const ds = { DS: [{ keyTag: 1, algorithm: 13, digestType: 2, digest: Buffer.alloc(32) }] };

function deps(zone: FakeZone): DoctorDeps {
  const dns = fakeDns(zone);
  return { dns, query: dns.query, now: () => 0 };
}
const brief = (findings: Finding[]) => findings.map((f) => `${f.id} ${f.severity}`);

describe('DNSSEC of the domain (H03)', () => {
  const cases: { name: string; zone: FakeZone; expect: string[] }[] = [
    { name: 'signed and validated: nothing to say', zone: { 'example.com': { mx, secure: true } }, expect: [] },
    { name: 'a validated denial is secure too', zone: { 'example.com': { a: ['1.2.3.4'], secure: true } }, expect: [] },
    { name: 'unsigned: a note, DNSSEC is optional', zone: { 'example.com': { mx } }, expect: ['H03 info'] },
    { name: 'SERVFAIL with a DS at the parent: bogus, an error', zone: { 'example.com': { mx: 'temporary', records: ds } }, expect: ['H03 error'] },
    { name: 'SERVFAIL with no DS anywhere: an outage, could not check', zone: { 'example.com': { mx: 'temporary' } }, expect: ['H03 warning'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const findings = await dnssecCheck(facts, host, deps(c.zone));
      assert.deepEqual(brief(findings), c.expect, JSON.stringify(findings, null, 1));
    });
  }

  it('the climb for a DS stops below the TLD', async () => {
    const d = deps({ 'a.b.example.com': { mx: 'temporary' } });
    await dnssecCheck({ domain: 'a.b.example.com' } as DomainFacts, host, d);
    assert.deepEqual((d.dns as ReturnType<typeof fakeDns>).asked.filter((q) => q.startsWith('DS')), ['DS a.b.example.com', 'DS b.example.com', 'DS example.com']);
  });
});
