/*
 * K01 against the fake resolver: the planned SRV records, "0 0 0 ." for
 * what is off, a record for a service that is off, another target (the
 * certificate may not match), a wrong port, a missing record, and the
 * rules when the services are not known.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SrvData } from 'dns-packet';
import { fakeDns, type FakeZone } from '../../dns/fake-client.js';
import type { DoctorDeps, DomainFacts, Finding, HostFacts } from '../types.js';
import { srvCheck } from './srv.js';

const host: HostFacts = { hostname: 'mx.example.net', heloName: 'mx.example.net', ipv4: ['1.2.3.4'], ipv6: [], tlsaKeys: { current: 'aa' } };
const services = { submissions: 465, submission: 587, imaps: 993 };
const facts = { domain: 'example.com', clientHost: 'mail.example.com', services } as DomainFacts;
const srv = (port: number, target: string): SrvData => ({ priority: 0, weight: port ? 1 : 0, port, target });
const planned: FakeZone = {
  '_submissions._tcp.example.com': { records: { SRV: [srv(465, 'mail.example.com')] } },
  '_submission._tcp.example.com': { records: { SRV: [srv(587, 'mail.example.com')] } },
  '_imaps._tcp.example.com': { records: { SRV: [srv(993, 'mail.example.com')] } },
  '_imap._tcp.example.com': { records: { SRV: [srv(0, '.')] } },
  '_pop3s._tcp.example.com': { records: { SRV: [srv(0, '.')] } },
  '_pop3._tcp.example.com': { records: { SRV: [srv(0, '.')] } },
  '_sieve._tcp.example.com': { records: { SRV: [srv(0, '.')] } },
};
const one = (name: string, records: SrvData[] | 'temporary'): FakeZone => ({ [`_${name}._tcp.example.com`]: { records: { SRV: records } } });

function deps(zone: FakeZone): DoctorDeps {
  const dns = fakeDns({ ...planned, ...zone });
  return { dns, query: dns.query, now: () => 0 };
}
const brief = (findings: Finding[]) => findings.map((f) => `${f.id} ${f.severity} ${f.subject.split('.')[0]}`);

describe('SRV records (K01)', () => {
  const cases: { name: string; zone: FakeZone; facts?: DomainFacts; expect: string[] }[] = [
    { name: 'as planned: nothing to say', zone: {}, expect: [] },
    { name: 'an offered service missing', zone: { '_imaps._tcp.example.com': {} }, expect: ['K01 warning _imaps'] },
    { name: 'a service that is off missing: fine', zone: { '_pop3._tcp.example.com': {} }, expect: [] },
    { name: '"0 0 0 ." for an offered service', zone: one('submissions', [srv(0, '.')]), expect: ['K01 warning _submissions'] },
    { name: 'a record for a service that is off', zone: one('imap', [srv(143, 'mail.example.com')]), expect: ['K01 warning _imap'] },
    { name: 'another target: the certificate may not match', zone: one('imaps', [srv(993, 'dovecot')]), expect: ['K01 warning _imaps'] },
    { name: 'the server\'s host name: a note', zone: one('imaps', [srv(993, 'mx.example.net')]), expect: ['K01 info _imaps'] },
    { name: 'a wrong port', zone: one('submission', [srv(25, 'mail.example.com')]), expect: ['K01 error _submission'] },
    { name: '"." beside a real record', zone: one('imaps', [srv(993, 'mail.example.com'), srv(0, '.')]), expect: ['K01 warning _imaps'] },
    { name: 'a failed lookup: could not check', zone: one('imaps', 'temporary'), expect: ['K01 warning _imaps'] },
    { name: 'services unknown: any port to the client host is right', facts: { ...facts, services: undefined }, zone: one('imap', [srv(143, 'mail.example.com')]), expect: [] },
    { name: 'services unknown: another target is still named', facts: { ...facts, services: undefined }, zone: one('imap', [srv(143, 'dovecot')]), expect: ['K01 warning _imap'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const findings = await srvCheck(c.facts ?? facts, host, deps(c.zone));
      assert.deepEqual(brief(findings), c.expect, JSON.stringify(findings, null, 1));
    });
  }

  it('names the record to publish', async () => {
    const [f] = await srvCheck(facts, host, deps(one('submission', [srv(25, 'mail.example.com')])));
    assert.match(f!.fix, /It is currently set to "0 1 25 mail\.example\.com" but should be "0 1 587 mail\.example\.com\."\./);
  });
});
