/*
 * The DKIM checks (E01 to E06, E08) against the fake resolver with real
 * keys from generateDkimKey: a table of published records, each mistake
 * giving its id at its severity and no other error.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { fakeDns, type FakeZone } from '../../dns/fake-client.js';
import { dkimRecordStrings, dkimRecordValue, generateDkimKey } from '../../sender-auth/dkim-keys.js';
import type { DoctorDeps, DomainFacts, Finding, HostFacts } from '../types.js';
import { dkimCheck } from './dkim.js';

const rsa = generateDkimKey('rsa-sha256', 's2026');
const ed = generateDkimKey('ed25519-sha256', 's2026');
const other = generateDkimKey('rsa-sha256', 's2026');
const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const host = {} as HostFacts;
const key = { selector: rsa.selector, algorithm: rsa.algorithm, publicKey: rsa.publicKey };
const facts = (dkim: DomainFacts['dkim'] = [key]) => ({ domain: 'example.com', dkim }) as DomainFacts;
const ours = dkimRecordValue(rsa);
const SEL = 's2026._domainkey.example.com';

function deps(zone: FakeZone): DoctorDeps {
  const dns = fakeDns({ '_domainkey.example.com': {}, ...zone });
  return { dns, query: dns.query, now: () => 0 };
}

const brief = (findings: Finding[]) => findings.map((f) => `${f.id} ${f.severity}`);
const at = (...records: string[][]): FakeZone => ({ [SEL]: { txtStrings: records } });

describe('DKIM checks (E01-E08)', () => {
  const cases: { name: string; zone: FakeZone; expect: string[]; dkim?: DomainFacts['dkim'] }[] = [
    { name: 'ONE record of several strings, as planned: nothing to say', zone: at(dkimRecordStrings(rsa)), expect: [] },
    { name: 'the same value in one long string (the fake allows it): fine', zone: at([ours]), expect: [] },
    { name: 'Ed25519', zone: { 's2026-ed._domainkey.example.com': { txt: [dkimRecordValue(ed)] } }, dkim: [{ selector: ed.selector, algorithm: ed.algorithm, publicKey: ed.publicKey }], expect: [] },
    { name: 'no record at the selector (a typo elsewhere): E01 only', zone: { 's2025._domainkey.example.com': { txt: [ours] } }, expect: ['E01 error'] },
    { name: 'no DKIM at all: E01, and _domainkey does not exist (a note)', zone: { '_domainkey.example.com': undefined as never }, expect: ['E01 error', 'E08 info'] },
    { name: 'the key split into two TXT records: E04 only', zone: at([ours.slice(0, 200)], [ours.slice(200)]), expect: ['E04 error'] },
    { name: 'a key that is not ours: E02 only', zone: at([dkimRecordValue(other)]), expect: ['E02 error'] },
    { name: 'a revoked key (p=): E02', zone: at(['v=DKIM1; k=rsa; p=']), expect: ['E02 error'] },
    { name: 'pasted quotes between the strings: E03 only', zone: at([dkimRecordStrings(rsa).map((s) => `"${s}"`).join(' ')]), expect: ['E03 error'] },
    { name: 'backslash-escaped semicolons: E03 only', zone: at([ours.replace(/;/g, '\\;')]), expect: ['E03 error'] },
    { name: 'k=ed25519 on an RSA key: E03', zone: at([ours.replace('k=rsa', 'k=ed25519')]), expect: ['E03 error'] },
    { name: 'no k= (rsa is the default): fine', zone: at([ours.replace('k=rsa; ', '')]), expect: [] },
    { name: 'v=DKIM2: E03 error', zone: at([ours.replace('DKIM1', 'DKIM2')]), expect: ['E03 error'] },
    { name: 'v= not first: E03 warning', zone: at([`k=rsa; v=DKIM1; p=${rsa.publicKey}`]), expect: ['E03 warning'] },
    { name: 'no v= at all (optional): fine', zone: at([`k=rsa; p=${rsa.publicKey}`]), expect: [] },
    { name: 'a trailing ";": a note only', zone: at([`${ours};`]), expect: ['E03 info'] },
    { name: 'p= cut while pasting: E03', zone: at([ours.slice(0, -3)]), expect: ['E03 error'] },
    { name: 'white space inside p= is allowed', zone: at([ours.replace(/(.{60})/, '$1 ')]), expect: [] },
    { name: 'a repeated tag: E03', zone: at([`${ours}; k=rsa`]), expect: ['E03 error'] },
    { name: 'h=sha1 only: E03', zone: at([ours.replace('k=rsa;', 'k=rsa; h=sha1;')]), expect: ['E03 error'] },
    { name: 's=email is fine', zone: at([ours.replace('k=rsa;', 'k=rsa; s=email;')]), expect: [] },
    { name: 't=y: E06 warning', zone: at([ours.replace('k=rsa;', 'k=rsa; t=y;')]), expect: ['E06 warning'] },
    { name: 'a 1024-bit key of ours: E05 warning', zone: at([`v=DKIM1; k=rsa; p=${small}`]), dkim: [{ selector: 's2026', algorithm: 'rsa-sha256', publicKey: small }], expect: ['E05 warning'] },
    { name: '_domainkey NXDOMAIN although the selector exists: E08 warning', zone: { '_domainkey.example.com': undefined as never, [SEL]: { txt: [ours] } }, expect: ['E08 warning'] },
    { name: 'the lookup fails: could not check', zone: { [SEL]: { txt: 'temporary' } }, expect: ['E01 warning'] },
    { name: 'no key configured: warning', zone: {}, dkim: [], expect: ['E01 warning'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const zone = Object.fromEntries(Object.entries({ '_domainkey.example.com': {}, ...c.zone }).filter(([, v]) => v !== undefined));
      const dns = fakeDns(zone);
      const findings = await dkimCheck(facts(c.dkim), host, { dns, query: dns.query, now: () => 0 });
      assert.deepEqual(brief(findings), c.expect, JSON.stringify(findings, null, 1));
    });
  }

  it('E01 names the selector Petrel signs with', async () => {
    const [f] = await dkimCheck(facts(), host, deps({}));
    assert.equal(f!.subject, SEL);
    assert.match(f!.fix, /selector "s2026".*move it to exactly s2026\._domainkey\.example\.com\. DNS changes can take hours/);
  });
});
