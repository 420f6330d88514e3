/*
 * The probe message (E07, F10): a probe signed by Petrel's outbound
 * signer verifies against a zone that publishes its key, fails against
 * one that publishes another key, is a warning when DNS fails, and a
 * domain whose mail leaves unsigned is an error; it passes DMARC with an
 * aligned DKIM pass or an SPF pass for our address, and fails it with
 * neither.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FakeZone } from '../../dns/fake-client.js';
import { dkimRecordValue, generateDkimKey } from '../../sender-auth/dkim-keys.js';
import { OutboundSigner } from '../../sender-auth/outbound-signer.js';
import type { DomainFacts, Finding, HostFacts } from '../types.js';
import { dkimProbeChecks } from './dkim-probe.js';
import { facts, fakeNetwork } from './fake-network.js';

const host: HostFacts = { hostname: 'mx.example.net', heloName: 'mx.example.net', ipv4: ['192.0.2.25'], ipv6: [], tlsaKeys: { current: '' } };
const key = generateDkimKey('rsa-sha256', 's2026');
const other = generateDkimKey('rsa-sha256', 's2026');
const signer = new OutboundSigner(async (domain) => (domain === 'example.com' ? [{ domain, selector: key.selector, algorithm: key.algorithm, privateKey: key.privateKey }] : []));
const brief = (fs: Finding[]) => fs.map((f) => `${f.id} ${f.severity} ${f.subject}`);

async function run(zone: FakeZone, domain = 'example.com') {
  const deps = fakeNetwork({}, zone);
  deps.signProbe = async (d) => {
    const signed = await signer.sign(Buffer.from(`From: postmaster@${d}\r\nTo: postmaster@${d}\r\nSubject: probe\r\nDate: Thu, 3 Dec 2026 10:00:00 +0000\r\n\r\nprobe\r\n`));
    return signed.selectors.length > 0 ? signed.bytes : undefined;
  };
  return dkimProbeChecks(host, [{ domain } as DomainFacts], facts([]), deps);
}

describe('DKIM round trip (E07)', () => {
  it('the published key verifies the probe: nothing to say', async () => {
    assert.deepEqual(await run({ 's2026._domainkey.example.com': { txtStrings: [dkimRecordValue(key).match(/.{1,255}/g)!] } }), []);
  });

  it('another key at the selector: the signature fails', async () => {
    const found = await run({ 's2026._domainkey.example.com': { txtStrings: [dkimRecordValue(other).match(/.{1,255}/g)!] } });
    assert.deepEqual(brief(found), ['E07 error s2026._domainkey.example.com']);
    assert.match(found[0]!.seen, /^dkim=fail/);
  });

  it('no record: the signature fails too; DNS trouble is a warning', async () => {
    assert.deepEqual(brief(await run({})), ['E07 error s2026._domainkey.example.com']);
    assert.deepEqual(brief(await run({ 's2026._domainkey.example.com': { txt: 'temporary' } })), ['E07 warning s2026._domainkey.example.com']);
  });

  it('a domain without an active key: its mail leaves unsigned', async () => {
    assert.deepEqual(brief(await run({}, 'example.org')), ['E07 error example.org']);
  });

  const dmarcRecord = { txt: ['v=DMARC1; p=reject; rua=mailto:d@example.com'] };
  const published = { txtStrings: [dkimRecordValue(key).match(/.{1,255}/g)!] };

  it('F10: DMARC passes on DKIM alone, or on SPF alone for our address', async () => {
    assert.deepEqual(await run({ '_dmarc.example.com': dmarcRecord, 's2026._domainkey.example.com': published }), []);
    assert.deepEqual(brief(await run({ '_dmarc.example.org': { txt: ['v=DMARC1; p=reject'] }, 'example.org': { txt: ['v=spf1 ip4:192.0.2.25 -all'] } }, 'example.org')), ['E07 error example.org']);
  });

  it('F10: neither an aligned DKIM pass nor an SPF pass fails DMARC; no DMARC record is left to F01', async () => {
    const found = await run({ '_dmarc.example.com': dmarcRecord, 'example.com': { txt: ['v=spf1 ip4:198.51.100.1 -all'] }, 's2026._domainkey.example.com': { txtStrings: [dkimRecordValue(other).match(/.{1,255}/g)!] } });
    assert.deepEqual(brief(found), ['F10 error example.com', 'E07 error s2026._domainkey.example.com']);
    assert.match(found[0]!.seen, /^dmarc=fail \(spf=fail for 192\.0\.2\.25, dkim=fail\)/);
    assert.deepEqual(brief(await run({ 'example.com': { txt: ['v=spf1 -all'] } })), ['E07 error s2026._domainkey.example.com']);
  });
});
