/*
 * The DANE checks of the mail host (H03, H05 to H07) against the fake
 * resolver: a signed zone with the right TLSA, none, a stale key, the
 * kinds the doctor cannot compare, a staged key without its record, and
 * TLSA in an unsigned zone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TlsaRecord } from '../../dns/client.js';
import { fakeDns, type FakeZone } from '../../dns/fake-client.js';
import type { DoctorDeps, Finding, HostFacts } from '../types.js';
import { daneCheck } from './dane.js';

const current = 'aa'.repeat(32);
const next = 'bb'.repeat(32);
const old = 'cc'.repeat(32);
const host: HostFacts = { hostname: 'mx.example.net', heloName: 'mx.example.net', ipv4: ['1.2.3.4'], ipv6: [], tlsaKeys: { current } };
const staged: HostFacts = { ...host, tlsaKeys: { current, next } };
const tlsa = (usage: number, selector: number, matchingType: number, h: string): TlsaRecord => ({ usage, selector, matchingType, data: Buffer.from(h, 'hex') });

function deps(records: TlsaRecord[] | 'temporary' | undefined, secure = true, a: string[] | 'temporary' = ['1.2.3.4']): DoctorDeps {
  const zone: FakeZone = { 'mx.example.net': { a, secure }, '_25._tcp.mx.example.net': { tlsa: records, secure }, 'example.net': { records: { DS: [{ keyTag: 1, algorithm: 13, digestType: 2, digest: Buffer.alloc(32) }] } } };
  const dns = fakeDns(zone);
  return { dns, query: dns.query, now: () => 0 };
}
const brief = (findings: Finding[]) => findings.map((f) => `${f.id} ${f.severity}`);

describe('DANE of the mail host (H03, H05-H07)', () => {
  const cases: { name: string; host?: HostFacts; deps: DoctorDeps; expect: string[] }[] = [
    { name: 'signed, 3 1 1 of the served key: nothing to say', deps: deps([tlsa(3, 1, 1, current)]), expect: [] },
    { name: 'the rollover pair published: nothing to say', host: staged, deps: deps([tlsa(3, 1, 1, current), tlsa(3, 1, 1, next)]), expect: [] },
    { name: 'signed, no TLSA: H05', deps: deps(undefined), expect: ['H05 warning'] },
    { name: 'TLSA for a key not served: an error with the hash to publish', deps: deps([tlsa(3, 1, 1, old)]), expect: ['H06 error'] },
    { name: 'a stale key beside the served one: a warning to remove it', deps: deps([tlsa(3, 1, 1, current), tlsa(3, 1, 1, old)]), expect: ['H06 warning'] },
    { name: '3 1 2 cannot be compared: a note, not an error', deps: deps([tlsa(3, 1, 2, 'dd'.repeat(64))]), expect: ['H06 info'] },
    { name: '2 x x (a CA key) cannot be compared', deps: deps([tlsa(2, 0, 1, 'dd'.repeat(32))]), expect: ['H06 info'] },
    { name: 'PKIX usages only: no match, and they are ignored', deps: deps([tlsa(1, 1, 1, current)]), expect: ['H06 error', 'H06 warning'] },
    { name: 'next key staged, not published: the rollover cannot happen', host: staged, deps: deps([tlsa(3, 1, 1, current)]), expect: ['H07 warning'] },
    { name: 'unsigned zone, no TLSA: a note', deps: deps(undefined, false), expect: ['H03 info'] },
    { name: 'unsigned zone with TLSA: ignored by senders, a mismatch only a warning', deps: deps([tlsa(3, 1, 1, old)], false), expect: ['H03 warning', 'H06 warning'] },
    { name: 'bogus (SERVFAIL under a DS): an error', deps: deps(undefined, true, 'temporary'), expect: ['H03 error'] },
    { name: 'the TLSA lookup fails: could not check', deps: deps('temporary'), expect: ['H05 warning'] },
    { name: 'the served key is not known: not compared, a note', host: { ...host, tlsaKeys: { current: '' } }, deps: deps([tlsa(3, 1, 1, old)]), expect: ['H06 info'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const findings = await daneCheck(c.host ?? host, c.deps);
      assert.deepEqual(brief(findings), c.expect, JSON.stringify(findings, null, 1));
    });
  }

  it('names the record to publish', async () => {
    const [f] = await daneCheck(host, deps([tlsa(3, 1, 1, old)]));
    assert.ok(f!.fix.includes(`_25._tcp.mx.example.net. TLSA 3 1 1 ${current}`));
    assert.ok(f!.fix.includes(old));
  });
});
