/*
 * The host name and address checks (B01 to B03) and the blocklists (A07,
 * A08) against the fake resolver: what each mistake is reported as, and
 * that a blocklist's refusal (127.255.255.x) is "could not tell", never
 * "listed".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeDns, type FakeZone } from '../../dns/fake-client.js';
import type { DoctorDeps, DomainFacts, Finding, HostFacts } from '../types.js';
import { domainBlocklistCheck, hostAddressCheck, ipBlocklistCheck } from './host.js';

const host: HostFacts = { hostname: 'mx.example.net', heloName: 'mx.example.net', ipv4: ['1.2.3.4'], ipv6: ['2a01:4f8::25'], tlsaKeys: { current: 'aa' } };
const v6ptr = '5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.f.4.0.1.0.a.2.ip6.arpa';
const good: FakeZone = {
  'mx.example.net': { a: ['1.2.3.4'], aaaa: ['2a01:4f8::25'] },
  '4.3.2.1.in-addr.arpa': { records: { PTR: ['mx.example.net'] } },
  [v6ptr]: { records: { PTR: ['mx.example.net'] } },
};

function deps(zone: FakeZone): DoctorDeps {
  const dns = fakeDns({ ...good, ...zone });
  return { dns, query: dns.query, now: () => 0 };
}
const brief = (findings: Finding[]) => findings.map((f) => `${f.id} ${f.severity}`);

describe('host names and addresses (B01-B03)', () => {
  const cases: { name: string; zone: FakeZone; host?: HostFacts; allowPrivate?: boolean; expect: string[] }[] = [
    { name: 'A, AAAA and PTRs agree: nothing to say', zone: {}, expect: [] },
    { name: 'the A record is another address', zone: { 'mx.example.net': { a: ['5.6.7.8'], aaaa: ['2a01:4f8::25'] } }, expect: ['B01 error'] },
    { name: 'no AAAA although the server has IPv6: a warning', zone: { 'mx.example.net': { a: ['1.2.3.4'] } }, expect: ['B01 warning'] },
    { name: 'an extra A record', zone: { 'mx.example.net': { a: ['1.2.3.4', '5.6.7.8'], aaaa: ['2a01:4f8::25'] } }, expect: ['B01 warning'] },
    { name: 'no PTR', zone: { '4.3.2.1.in-addr.arpa': {} }, expect: ['B02 error'] },
    { name: 'a PTR that does not resolve back', zone: { '4.3.2.1.in-addr.arpa': { records: { PTR: ['static.4.3.2.1.provider.example'] } }, 'static.4.3.2.1.provider.example': { a: ['9.9.9.9'] } }, expect: ['B03 error'] },
    { name: 'a forward-confirmed generic PTR: names another host', zone: { '4.3.2.1.in-addr.arpa': { records: { PTR: ['static.provider.example'] } }, 'static.provider.example': { a: ['1.2.3.4'] } }, expect: ['B03 warning'] },
    { name: 'a PTR naming the HELO name is fine', host: { ...host, heloName: 'out.example.net' }, zone: { '4.3.2.1.in-addr.arpa': { records: { PTR: ['out.example.net'] } }, 'out.example.net': { a: ['1.2.3.4'] } }, expect: [] },
    { name: 'the PTR lookup fails: could not check', zone: { '4.3.2.1.in-addr.arpa': { records: { PTR: 'temporary' } } }, expect: ['B02 warning'] },
    { name: 'the A lookup fails: could not check', zone: { 'mx.example.net': { a: 'temporary', aaaa: ['2a01:4f8::25'] } }, expect: ['B01 warning', 'B03 warning'] },
    { name: 'a private address configured: warned, and its PTR not looked at', host: { ...host, ipv4: ['10.0.0.5'], ipv6: [] }, zone: { 'mx.example.net': { a: ['10.0.0.5'] } }, expect: ['B01 warning', 'B02 info'] },
    { name: 'loopback allowed: a note, and its PTR is checked', allowPrivate: true, host: { ...host, ipv4: ['127.0.0.5'], ipv6: [] }, zone: { 'mx.example.net': { a: ['127.0.0.5'] } }, expect: ['B01 info', 'B02 error'] },
    { name: 'no address known', host: { ...host, ipv4: [], ipv6: [] }, zone: { 'mx.example.net': {} }, expect: ['B02 info'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const findings = await hostAddressCheck({ allowPrivate: c.allowPrivate })(c.host ?? host, deps(c.zone));
      assert.deepEqual(brief(findings), c.expect, JSON.stringify(findings, null, 1));
    });
  }
});

describe('Spamhaus ZEN and DBL (A07, A08)', () => {
  const zen = (a: string[] | 'temporary'): FakeZone => ({ '4.3.2.1.zen.example': { a } });
  const cases: { name: string; zone: FakeZone; expect: string[] }[] = [
    { name: 'not listed: nothing to say', zone: {}, expect: [] },
    { name: 'listed on the SBL', zone: zen(['127.0.0.2']), expect: ['A07 error'] },
    { name: 'listed on the PBL', zone: zen(['127.0.0.10']), expect: ['A07 error'] },
    { name: 'a public resolver refused (127.255.255.254): could not tell, not listed', zone: zen(['127.255.255.254']), expect: ['A07 warning'] },
    { name: 'too many queries (127.255.255.255): could not tell', zone: zen(['127.255.255.255']), expect: ['A07 warning'] },
    { name: 'a rewritten NXDOMAIN (not 127/8): could not tell', zone: zen(['198.51.100.1']), expect: ['A07 warning'] },
    { name: 'the lookup fails: could not check', zone: zen('temporary'), expect: ['A07 warning'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const findings = await ipBlocklistCheck({ zone: 'zen.example' })({ ...host, ipv6: [] }, deps(c.zone));
      assert.deepEqual(brief(findings), c.expect, JSON.stringify(findings, null, 1));
    });
  }

  it('asks for IPv6 addresses by nibbles, and never for non-public ones', async () => {
    const d = deps({});
    await ipBlocklistCheck({ zone: 'zen.example' })({ ...host, ipv4: ['10.0.0.1', '1.2.3.4'] }, d);
    assert.deepEqual((d.dns as ReturnType<typeof fakeDns>).asked, ['A 4.3.2.1.zen.example', `A ${v6ptr.replace('ip6.arpa', 'zen.example')}`]);
  });

  it('the domain on the DBL, and its refusal code', async () => {
    const facts = { domain: 'example.com' } as DomainFacts;
    const check = domainBlocklistCheck({ zone: 'dbl.example' });
    assert.deepEqual(brief(await check(facts, host, deps({ 'example.com.dbl.example': { a: ['127.0.1.2'] } }))), ['A08 error']);
    assert.deepEqual(brief(await check(facts, host, deps({ 'example.com.dbl.example': { a: ['127.255.255.254'] } }))), ['A08 warning']);
    assert.deepEqual(brief(await check(facts, host, deps({}))), []);
  });

  it('a special-use domain (.test, .example) is not asked of the real DBL', async () => {
    const d = deps({});
    assert.deepEqual(await domainBlocklistCheck()({ domain: 'alpha.test' } as DomainFacts, host, d), []);
    assert.deepEqual((d.dns as ReturnType<typeof fakeDns>).asked, []);
  });
});
