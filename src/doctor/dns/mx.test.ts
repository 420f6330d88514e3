/*
 * The MX checks (C01 to C06) against the fake resolver, one zone per
 * mistake: what each finds, with which severity, and nothing else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeDns, type FakeZone } from '../../dns/fake-client.js';
import type { DoctorDeps, DomainFacts, Finding, HostFacts } from '../types.js';
import { mxCheck } from './mx.js';

const host: HostFacts = { hostname: 'mx.example.net', heloName: 'mx.example.net', ipv4: ['1.2.3.4'], ipv6: [], tlsaKeys: { current: 'aa' } };
const facts = { domain: 'example.com' } as DomainFacts;
const ourHost: FakeZone = { 'mx.example.net': { a: ['1.2.3.4'], aaaa: ['2a01:4f8::25'] } };

function deps(zone: FakeZone): DoctorDeps {
  const dns = fakeDns({ ...ourHost, ...zone });
  return { dns, query: dns.query, now: () => 0 };
}

const brief = (findings: Finding[]) => findings.map((f) => `${f.id} ${f.severity}`);

describe('MX checks (C01-C06)', () => {
  const cases: { name: string; zone: FakeZone; expect: string[]; allowPrivate?: boolean }[] = [
    { name: 'the MX points at this host: nothing to say', zone: { 'example.com': { mx: [{ exchange: 'mx.example.net', priority: 10 }] } }, expect: [] },
    { name: 'no MX record', zone: { 'example.com': { a: ['1.2.3.4'] } }, expect: ['C01 error'] },
    { name: 'the domain does not exist', zone: {}, expect: ['C01 error'] },
    { name: 'the MX points at another server', zone: { 'example.com': { mx: [{ exchange: 'mail.other.net', priority: 10 }] }, 'mail.other.net': { a: ['5.6.7.8'] } }, expect: ['C01 error'] },
    { name: 'a second MX besides ours is a note', zone: { 'example.com': { mx: [{ exchange: 'mx.example.net', priority: 10 }, { exchange: 'backup.other.net', priority: 20 }] }, 'backup.other.net': { a: ['5.6.7.8'] } }, expect: ['C01 info'] },
    { name: 'the MX is a CNAME for our host: C02 only (not also "points elsewhere")', zone: { 'example.com': { mx: [{ exchange: 'mail.example.com', priority: 10 }] }, 'mail.example.com': { cname: 'mx.example.net' } }, expect: ['C02 error'] },
    { name: 'the MX is our IP address: C03 only', zone: { 'example.com': { mx: [{ exchange: '1.2.3.4', priority: 10 }] } }, expect: ['C03 error'] },
    { name: 'the MX is another IP address: points elsewhere too', zone: { 'example.com': { mx: [{ exchange: '5.6.7.8', priority: 10 }] } }, expect: ['C01 error', 'C03 error'] },
    { name: 'the MX host has no address', zone: { 'example.com': { mx: [{ exchange: 'mx.example.net', priority: 10 }] }, 'mx.example.net': { txt: ['x'] } }, expect: ['C03 error'] },
    { name: 'the MX host resolves to a private address', zone: { 'example.com': { mx: [{ exchange: 'mx.example.net', priority: 10 }] }, 'mx.example.net': { a: ['10.0.0.5'] } }, expect: ['C04 error'] },
    { name: 'a Docker address', zone: { 'example.com': { mx: [{ exchange: 'mx.example.net', priority: 10 }] }, 'mx.example.net': { a: ['172.17.0.2'] } }, expect: ['C04 error'] },
    { name: 'a ULA IPv6 address', zone: { 'example.com': { mx: [{ exchange: 'mx.example.net', priority: 10 }] }, 'mx.example.net': { a: ['1.2.3.4'], aaaa: ['fd00::25'] } }, expect: ['C04 error'] },
    { name: 'CGNAT', zone: { 'example.com': { mx: [{ exchange: 'mx.example.net', priority: 10 }] }, 'mx.example.net': { a: ['100.64.1.1'] } }, expect: ['C04 error'] },
    { name: 'loopback allowed for development: a note', allowPrivate: true, zone: { 'example.com': { mx: [{ exchange: 'mx.example.net', priority: 10 }] }, 'mx.example.net': { a: ['127.0.0.1'] } }, expect: ['C04 info'] },
    { name: 'the same host twice', zone: { 'example.com': { mx: [{ exchange: 'mx.example.net', priority: 10 }, { exchange: 'MX.example.net.', priority: 20 }] } }, expect: ['C05 warning'] },
    { name: 'a null MX on a hosted domain', zone: { 'example.com': { mx: [{ exchange: '', priority: 0 }] } }, expect: ['C06 error'] },
    { name: 'a null MX beside ours', zone: { 'example.com': { mx: [{ exchange: '', priority: 0 }, { exchange: 'mx.example.net', priority: 10 }] } }, expect: ['C06 error'] },
    { name: 'the MX lookup fails: could not check, never an error', zone: { 'example.com': { mx: 'temporary' } }, expect: ['C01 warning'] },
    { name: 'the host lookups fail: could not check', zone: { 'example.com': { mx: [{ exchange: 'mx.example.net', priority: 10 }] }, 'mx.example.net': { a: 'temporary', aaaa: 'temporary' } }, expect: ['C03 warning'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const findings = await mxCheck({ allowPrivate: c.allowPrivate })(facts, host, deps(c.zone));
      assert.deepEqual(brief(findings), c.expect, JSON.stringify(findings, null, 1));
    });
  }

  it('says what it is and what it should be, and that DNS takes time', async () => {
    const [f] = await mxCheck()(facts, host, deps({ 'example.com': { mx: [{ exchange: 'mail.other.net', priority: 10 }] }, 'mail.other.net': { a: ['5.6.7.8'] } }));
    assert.match(f!.fix, /It is currently set to "MX 10 mail\.other\.net" but should be "MX 10 mx\.example\.net\."\. DNS changes can take hours to reach everyone\./);
  });
});
