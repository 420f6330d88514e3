/*
 * The MTA-STS and TLS-RPT checks (G01 to G07) against the fake resolver
 * and a fake policy fetcher (the real HTTPS fetch is in the end-to-end
 * test): each mistake gives its id at its severity and no other error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeDns, type FakeZone } from '../../dns/fake-client.js';
import type { MtaStsPolicyFetcher, PolicyFetchResult } from '../../sender-auth/mta-sts.js';
import type { DoctorDeps, DomainFacts, Finding, HostFacts } from '../types.js';
import { mtaStsCheck, tlsRptCheck } from './mta-sts.js';

const POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: mx.example.net\r\nmax_age: 604800\r\n';
const host = {} as HostFacts;
const facts = (over: Partial<DomainFacts['mtaSts']> = {}): DomainFacts => ({
  domain: 'example.com', clientHost: 'mail.example.com', dkim: [], dmarcRua: 'dmarc@example.com', tlsRptRua: 'tls@example.com',
  mtaSts: { mode: 'enforce', text: POLICY, id: 'abc123', ...over },
});
const base: FakeZone = {
  'example.com': { mx: [{ exchange: 'mx.example.net', priority: 10 }] },
  '_mta-sts.example.com': { txt: ['v=STSv1; id=abc123'] },
  '_smtp._tls.example.com': { txt: ['v=TLSRPTv1; rua=mailto:tls@example.com'] },
};
const brief = (findings: Finding[]) => findings.map((f) => `${f.id} ${f.severity}`);
const serving = (result: PolicyFetchResult): MtaStsPolicyFetcher => ({ fetch: async () => result });

function deps(zone: FakeZone, fetcher: MtaStsPolicyFetcher | null = serving({ ok: true, text: POLICY })): DoctorDeps {
  const dns = fakeDns({ ...base, ...zone });
  return { dns, query: dns.query, now: () => 0, ...(fetcher ? { mtaStsFetcher: fetcher } : {}) };
}

describe('MTA-STS checks (G01-G06)', () => {
  const cases: { name: string; zone?: FakeZone; fetcher?: MtaStsPolicyFetcher | null; facts?: DomainFacts; expect: string[] }[] = [
    { name: 'record, id and policy as Petrel serves them: nothing to say', expect: [] },
    { name: 'no record while Petrel serves a policy: G01 warning', zone: { '_mta-sts.example.com': { txt: [] } }, expect: ['G01 warning'] },
    { name: 'no record and MTA-STS off: nothing', zone: { '_mta-sts.example.com': { txt: [] } }, facts: facts({ mode: 'none' }), expect: [] },
    { name: 'two records: G01 error', zone: { '_mta-sts.example.com': { txt: ['v=STSv1; id=abc123', 'v=STSv1; id=def456'] } }, expect: ['G01 error'] },
    { name: 'an id with a dash: G01 error', zone: { '_mta-sts.example.com': { txt: ['v=STSv1; id=abc-123'] } }, expect: ['G01 error'] },
    { name: 'the id unchanged after a policy change: G05 only', zone: { '_mta-sts.example.com': { txt: ['v=STSv1; id=old2025'] } }, expect: ['G05 error'] },
    { name: 'the policy cannot be fetched: G02 error', fetcher: serving({ ok: false, reason: 'https://mta-sts.example.com/.well-known/mta-sts.txt: HTTP 301 (redirects are not followed)' }), expect: ['G02 error'] },
    { name: 'no fetcher: G02 note, the rest judged on Petrel\'s own policy', fetcher: null, expect: ['G02 info'] },
    { name: 'an invalid policy: G03 error', fetcher: serving({ ok: true, text: 'version: STSv1\r\nmode: sometimes\r\nmax_age: 600\r\n' }), expect: ['G03 error'] },
    { name: 'a policy that is not Petrel\'s: G02 warning', fetcher: serving({ ok: true, text: POLICY.replace('604800', '1209600') }), expect: ['G02 warning'] },
    { name: 'an MX not in the enforce policy: G04 error', zone: { 'example.com': { mx: [{ exchange: 'mx.example.net', priority: 10 }, { exchange: 'backup.example.org', priority: 20 }] } }, expect: ['G04 error'] },
    { name: 'an MX matched by a wildcard: fine', zone: { 'example.com': { mx: [{ exchange: 'a.example.net', priority: 10 }] } }, facts: facts({ text: POLICY.replace('mx: mx.example.net', 'mx: *.example.net') }), fetcher: serving({ ok: true, text: POLICY.replace('mx: mx.example.net', 'mx: *.example.net') }), expect: [] },
    {
      name: 'an MX not in a testing policy: G04 warning, G06 note',
      zone: { 'example.com': { mx: [{ exchange: 'other.example.org', priority: 10 }] } },
      facts: facts({ mode: 'testing', text: POLICY.replace('enforce', 'testing') }), fetcher: serving({ ok: true, text: POLICY.replace('enforce', 'testing') }),
      expect: ['G04 warning', 'G06 info'],
    },
    { name: 'a max_age under a day: G06 warning', facts: facts({ text: POLICY.replace('604800', '3600') }), fetcher: serving({ ok: true, text: POLICY.replace('604800', '3600') }), expect: ['G06 warning'] },
    { name: 'the TXT lookup fails: could not check', zone: { '_mta-sts.example.com': { txt: 'temporary' } }, expect: ['G01 warning'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const findings = await mtaStsCheck(c.facts ?? facts(), host, deps(c.zone ?? {}, c.fetcher));
      assert.deepEqual(brief(findings), c.expect, JSON.stringify(findings, null, 1));
    });
  }

  it('G05 says why an unchanged id matters', async () => {
    const [f] = await mtaStsCheck(facts(), host, deps({ '_mta-sts.example.com': { txt: ['v=STSv1; id=old2025'] } }));
    assert.match(f!.fix, /keep it for its whole max_age.*It is currently set to "v=STSv1; id=old2025" but should be "v=STSv1; id=abc123"\. DNS changes/);
  });
});

describe('TLS-RPT check (G07)', () => {
  const cases: { name: string; txt: string[] | 'temporary'; expect: string[] }[] = [
    { name: 'one record with our rua: fine', txt: ['v=TLSRPTv1; rua=mailto:tls@example.com'], expect: [] },
    { name: 'an https rua beside ours: fine', txt: ['v=TLSRPTv1; rua=mailto:tls@example.com,https://reports.example.org/tlsrpt'], expect: [] },
    { name: 'missing: warning', txt: [], expect: ['G07 warning'] },
    { name: 'two records: warning', txt: ['v=TLSRPTv1; rua=mailto:tls@example.com', 'v=TLSRPTv1; rua=mailto:x@example.com'], expect: ['G07 warning'] },
    { name: 'no rua: warning', txt: ['v=TLSRPTv1;'], expect: ['G07 warning'] },
    { name: 'a bad destination: warning', txt: ['v=TLSRPTv1; rua=tls@example.com'], expect: ['G07 warning'] },
    { name: 'v=TLSRPTv1 without ";": warning', txt: ['v=TLSRPTv1 rua=mailto:tls@example.com'], expect: ['G07 warning'] },
    { name: 'reports elsewhere: warning', txt: ['v=TLSRPTv1; rua=mailto:other@example.com'], expect: ['G07 warning'] },
    { name: 'lookup fails: could not check', txt: 'temporary', expect: ['G07 warning'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const findings = await tlsRptCheck(facts(), host, deps({ '_smtp._tls.example.com': { txt: c.txt } }));
      assert.deepEqual(brief(findings), c.expect, JSON.stringify(findings, null, 1));
    });
  }
});
