/*
 * The DNS plan as a table of literal zone lines: the host's records
 * (A/AAAA, HELO SPF, PTR guidance, TLSA for now and next, CAA), the
 * domain's (MX, SPF, DKIM as one record of 255-octet strings, DMARC with
 * its stage, the external report authorisation, MTA-STS and TLS-RPT, the
 * client and policy names with null MX and SPF -all, SRV with 0 0 0 . for
 * what is not offered), and what happens without a known public address.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateDkimKey } from '../sender-auth/dkim-keys.js';
import { mtaStsPolicy } from '../sender-auth/mta-sts-policy.js';
import { planDomain, planZoneText, type PlanInput } from './plan.js';

const rsa = generateDkimKey('rsa-sha256', 's2026');
const policy = mtaStsPolicy(['mx.example.net'], 'testing', 604_800_000);
const INPUT: PlanInput = {
  domain: 'example.com',
  hostname: 'mx.example.net',
  heloName: 'mx.example.net',
  ipv4: ['192.0.2.10'],
  ipv6: ['2001:db8::10'],
  clientHost: 'mail.example.com',
  dkim: [{ selector: rsa.selector, algorithm: rsa.algorithm, publicKey: rsa.publicKey }],
  dmarc: { policy: 'none', rua: 'reports@dmarc.example.org' },
  tlsRptRua: 'postmaster@example.com',
  mtaSts: policy,
  services: { submissions: 465, submission: 587, imaps: 993, imap: 143 },
  tlsa: { current: 'aa'.repeat(32), next: 'bb'.repeat(32) },
  caa: 'letsencrypt.org',
};

describe('dns plan', () => {
  const text = planZoneText(planDomain(INPUT));
  const lines = text.split('\n');
  const expected: string[] = [
    'mx.example.net. 3600 IN A 192.0.2.10',
    'mx.example.net. 3600 IN AAAA 2001:db8::10',
    'mx.example.net. 3600 IN TXT "v=spf1 a -all" ; SPF for the HELO name (bounces and DSNs are checked against it)',
    '10.2.0.192.in-addr.arpa. 3600 IN PTR mx.example.net. ; published by the owner of 192.0.2.10 (your hosting provider); ask them to set the reverse DNS of 192.0.2.10 to mx.example.net',
    '0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 3600 IN PTR mx.example.net. ; published by the owner of 2001:db8::10 (your hosting provider); ask them to set the reverse DNS of 2001:db8::10 to mx.example.net',
    `_25._tcp.mx.example.net. 3600 IN TLSA 3 1 1 ${'aa'.repeat(32)} ; DANE (RFC 7672): only meaningful in a DNSSEC-signed zone; the key served on port 25 now`,
    `_25._tcp.mx.example.net. 3600 IN TLSA 3 1 1 ${'bb'.repeat(32)} ; the next key: published ahead so the rollover breaks nothing`,
    'mx.example.net. 3600 IN CAA 0 issue "letsencrypt.org" ; only this CA may issue certificates for the host',
    'example.com. 3600 IN MX 10 mx.example.net.',
    'example.com. 3600 IN TXT "v=spf1 mx -all" ; only the MX host sends mail for the domain',
    '_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=none; rua=mailto:reports@dmarc.example.org; adkim=r; aspf=r" ; start here and read the reports; then p=quarantine, then p=reject',
    'example.com._report._dmarc.dmarc.example.org. 3600 IN TXT "v=DMARC1" ; published by the zone of dmarc.example.org; lets dmarc.example.org receive example.com\'s DMARC reports (RFC 7489 section 7.1)',
    `_mta-sts.example.com. 3600 IN TXT "v=STSv1; id=${policy.id}" ; the id changes whenever the policy does`,
    '_smtp._tls.example.com. 3600 IN TXT "v=TLSRPTv1; rua=mailto:postmaster@example.com" ; TLS reports (RFC 8460)',
    'mail.example.com. 3600 IN A 192.0.2.10 ; the name users configure in their mail clients',
    'mail.example.com. 3600 IN MX 0 . ; receives no mail (null MX, RFC 7505)',
    'mail.example.com. 3600 IN TXT "v=spf1 -all" ; sends no mail',
    'mta-sts.example.com. 3600 IN AAAA 2001:db8::10',
    '_submissions._tcp.example.com. 3600 IN SRV 0 1 465 mail.example.com.',
    '_imap._tcp.example.com. 3600 IN SRV 0 1 143 mail.example.com.',
    '_pop3s._tcp.example.com. 3600 IN SRV 0 0 0 . ; not offered (RFC 6186 section 3.4)',
    '_sieve._tcp.example.com. 3600 IN SRV 0 0 0 . ; not offered (RFC 6186 section 3.4)',
    'example.com. 3600 IN CAA 0 issue "letsencrypt.org" ; the certificates for the mail names come from this CA',
    ';   mode: testing',
  ];
  for (const want of expected) it(want.slice(0, 90), () => assert.ok(lines.includes(want), `missing:\n${want}\nin:\n${text}`));

  it('publishes each DKIM key as ONE TXT record of strings of at most 255 octets', () => {
    const plan = planDomain(INPUT);
    const dkim = plan.records.filter((r) => r.name === 's2026._domainkey.example.com.');
    assert.equal(dkim.length, 1);
    assert.ok(dkim[0]!.strings!.length >= 2 && dkim[0]!.strings!.every((s) => s.length <= 255));
    assert.equal(dkim[0]!.strings!.join(''), `v=DKIM1; k=rsa; p=${rsa.publicKey}`);
    assert.match(dkim[0]!.value, /^\( "v=DKIM1; k=rsa; p=[^"]{237}" "[^"]+" \)$/);
  });

  it('without a known public address: a warning, CNAMEs for the client and policy names, no A or PTR lines', () => {
    const plan = planDomain({ ...INPUT, ipv4: [], ipv6: [] });
    assert.match(plan.warnings[0]!, /no public address is known for mx\.example\.net: set \[network\] public_ipv4/);
    assert.ok(plan.records.some((r) => r.name === 'mail.example.com.' && r.type === 'CNAME' && r.value === 'mx.example.net.'));
    assert.ok(!plan.host.some((r) => r.type === 'A' || r.type === 'PTR'));
    assert.match(planZoneText(plan), /^; WARNING: no public address/);
  });

  it('no MTA-STS or TLS-RPT records in mode none; no authorisation record for a report address in the domain itself', () => {
    const plan = planDomain({ ...INPUT, mtaSts: { ...policy, mode: 'none' }, dmarc: { policy: 'reject', rua: 'dmarc@example.com' } });
    assert.ok(!plan.records.some((r) => r.name.startsWith('_mta-sts.') || r.name.startsWith('_smtp._tls.') || r.name.includes('._report._dmarc.')));
    assert.equal(plan.mtaStsPolicy, '');
  });
});
