/*
 * H09 against the fake resolver: the RFC 8659 climb to the first name
 * with CAA, our CA allowed or not, no CAA at all, a critical unknown
 * tag, names sharing one RRset reported once, and no ACME (nothing to
 * check).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CaaData } from 'dns-packet';
import { fakeDns, type FakeZone } from '../../dns/fake-client.js';
import type { DoctorDeps, DomainFacts, Finding, HostFacts } from '../types.js';
import { caaDomainCheck, caaHostCheck } from './caa.js';

const host: HostFacts = { hostname: 'mx.example.net', heloName: 'mx.example.net', ipv4: ['1.2.3.4'], ipv6: [], tlsaKeys: { current: 'aa' }, acmeCa: 'letsencrypt.org' };
const facts = { domain: 'example.com', clientHost: 'mail.example.com' } as DomainFacts;
const caa = (...records: CaaData[]): FakeZone[string] => ({ records: { CAA: records } });
const issue = (value: string, flags = 0): CaaData => ({ flags, tag: 'issue', value });

function deps(zone: FakeZone): DoctorDeps {
  const dns = fakeDns(zone);
  return { dns, query: dns.query, now: () => 0 };
}
const brief = (findings: Finding[]) => findings.map((f) => `${f.id} ${f.severity} ${f.subject}`);

describe('CAA (H09)', () => {
  const cases: { name: string; zone: FakeZone; expect: string[] }[] = [
    { name: 'our CA at the apex covers every name: nothing to say', zone: { 'example.com': caa(issue('letsencrypt.org')) }, expect: [] },
    { name: 'no CAA anywhere: one note', zone: {}, expect: ['H09 info example.com'] },
    { name: 'another CA only at the apex: one error for all four names', zone: { 'example.com': caa(issue('sectigo.com')) }, expect: ['H09 error example.com'] },
    { name: '";" forbids every CA', zone: { 'example.com': caa(issue(';')) }, expect: ['H09 error example.com'] },
    { name: 'a closer name overrides the apex', zone: { 'example.com': caa(issue('letsencrypt.org')), 'mail.example.com': caa(issue('sectigo.com')) }, expect: ['H09 error mail.example.com'] },
    { name: 'issuewild only: non-wildcard names are unrestricted', zone: { 'example.com': caa({ flags: 0, tag: 'issuewild', value: 'sectigo.com' }) }, expect: [] },
    { name: 'a critical unknown tag forbids issuance', zone: { 'example.com': caa(issue('letsencrypt.org'), { flags: 128, tag: 'tbs' as 'iodef', value: 'x' }) }, expect: ['H09 error example.com'] },
    { name: 'parameters are noted', zone: { 'example.com': caa(issue('letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1')) }, expect: ['H09 info example.com'] },
    { name: 'the CA name is compared without case and trailing dot', zone: { 'example.com': caa(issue('LetsEncrypt.org.')) }, expect: [] },
    { name: 'a failed lookup: could not check', zone: { 'mail.example.com': { records: { CAA: 'temporary' } }, 'example.com': caa(issue('letsencrypt.org')) }, expect: ['H09 warning mail.example.com'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const findings = await caaDomainCheck(facts, host, deps(c.zone));
      assert.deepEqual(brief(findings), c.expect, JSON.stringify(findings, null, 1));
    });
  }

  it('the host name, climbing to its zone', async () => {
    assert.deepEqual(brief(await caaHostCheck(host, deps({ 'example.net': caa(issue('sectigo.com')) }))), ['H09 error example.net']);
    assert.deepEqual(brief(await caaHostCheck(host, deps({ 'example.net': caa(issue('letsencrypt.org')) }))), []);
  });

  it('without ACME there is nothing to check', async () => {
    const noAcme = { ...host, acmeCa: undefined };
    assert.deepEqual(await caaHostCheck(noAcme, deps({ 'example.net': caa(issue('sectigo.com')) })), []);
    assert.deepEqual(await caaDomainCheck(facts, noAcme, deps({ 'example.com': caa(issue('sectigo.com')) })), []);
  });
});
