/*
 * The TLS checks (I01-I07, I10) against scripted sessions carrying real
 * certificates from a throw-away CA: which names are asked on which port,
 * and what each certificate problem is reported as.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createTestCa, issueCertificate, type TestCa } from '../../../test/support/certs.js';
import type { DomainFacts, Finding, HostFacts } from '../types.js';
import { facts, fakeNetwork, tlsViewOf } from './fake-network.js';
import { namesFor, tlsChecks } from './tls.js';
import type { ServiceEndpoint } from './types.js';

const host: HostFacts = { hostname: 'mx.example.net', heloName: 'mx.example.net', ipv4: [], ipv6: [], tlsaKeys: { current: '' } };
const domains = [{ domain: 'example.com', clientHost: 'mail.example.com' }, { domain: 'example.org', clientHost: 'mail.example.org' }] as DomainFacts[];
const mx: ServiceEndpoint = { role: 'mx', host: '127.0.0.1', port: 25, security: 'starttls', protocol: 'smtp' };
const sub: ServiceEndpoint = { role: 'submission', host: '127.0.0.1', port: 587, security: 'starttls', protocol: 'smtp' };
const https: ServiceEndpoint = { role: 'https', host: '127.0.0.1', port: 443, security: 'implicit', protocol: 'http' };
const brief = (fs: Finding[]) => fs.map((f) => `${f.id} ${f.severity} ${f.subject}`).sort();
const DAY = 86_400_000;
const NOW = Date.now();

let ca: TestCa;
before(async () => {
  ca = await createTestCa();
});

describe('TLS checks (I01-I07, I10)', () => {
  it('asks the MX host on 25, every client name on submission, the web names on 443', () => {
    const net = facts([], { extraNames: ['dovecot'] });
    assert.deepEqual(namesFor(mx, host, domains, net), ['mx.example.net']);
    assert.deepEqual(namesFor(sub, host, domains, net), ['mail.example.com', 'mail.example.org', 'dovecot']);
    assert.deepEqual(namesFor(https, host, domains, net), ['mx.example.net', 'mta-sts.example.com', 'autoconfig.example.com', 'autodiscover.example.com', 'mta-sts.example.org', 'autoconfig.example.org', 'autodiscover.example.org']);
  });

  it('a certificate per client name by SNI, trusted: nothing to say', async () => {
    const a = await issueCertificate(ca, ['mail.example.com']);
    const b = await issueCertificate(ca, ['mail.example.org']);
    const deps = fakeNetwork({ 587: { greeting: '220 mx', tls: { 'mail.example.com': tlsViewOf(a.chainPem, { authorized: true }), 'mail.example.org': tlsViewOf(b.chainPem, { authorized: true }) } } });
    assert.deepEqual(await tlsChecks(host, domains, facts([sub]), deps), []);
  });

  it('one domain\'s client name gets the other\'s certificate: I04 error for that name only', async () => {
    const a = await issueCertificate(ca, ['mail.example.com']);
    const deps = fakeNetwork({ 587: { greeting: '220 mx', tls: { '*': tlsViewOf(a.chainPem, { authorized: true }) } } });
    const found = await tlsChecks(host, domains, facts([sub]), deps);
    assert.deepEqual(brief(found), ['I04 error mail.example.org on port 587 (submission)']);
    assert.match(found[0]!.seen, /mail\.example\.com/);
  });

  it('an internal name the certificate does not hold: a warning with both fixes', async () => {
    const a = await issueCertificate(ca, ['mail.example.com', 'mail.example.org']);
    const deps = fakeNetwork({ 587: { greeting: '220 mx', tls: { '*': tlsViewOf(a.chainPem, { authorized: true }) } } });
    const found = await tlsChecks(host, domains, facts([sub], { extraNames: ['dovecot'] }), deps);
    assert.deepEqual(brief(found), ['I04 warning dovecot on port 587 (submission)']);
    assert.match(found[0]!.fix, /connect by a name the server has a certificate for \(mail\.example\.com, mail\.example\.org\)/);
    assert.match(found[0]!.fix, /add dovecot to a certificate/);
  });

  it('expired, expiring, self-signed, chain cut short', async () => {
    const expired = await issueCertificate(ca, ['mx.example.net'], { notBefore: new Date(NOW - 100 * DAY), notAfter: new Date(NOW - DAY) });
    const soon = await issueCertificate(ca, ['mx.example.net'], { notAfter: new Date(NOW + 5 * DAY) });
    const ok = await issueCertificate(ca, ['mx.example.net']);
    const leafOnly = ok.certPem;
    const run = async (view: ReturnType<typeof tlsViewOf>, development = false) =>
      brief(await tlsChecks(host, domains, facts([mx], { development }), fakeNetwork({ 25: { greeting: '220 mx', tls: { '*': view } } })));
    assert.deepEqual(await run(tlsViewOf(expired.chainPem, { authorized: false, error: 'CERT_HAS_EXPIRED' })), ['I06 error mx.example.net on port 25 (mx)', 'I07 error mx.example.net on port 25 (mx)']);
    assert.deepEqual(await run(tlsViewOf(soon.chainPem, { authorized: true })), ['I06 warning mx.example.net on port 25 (mx)']);
    assert.deepEqual(await run(tlsViewOf(leafOnly, { authorized: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })), ['I05 error mx.example.net on port 25 (mx)']);
    assert.deepEqual(await run(tlsViewOf(ca.certPem.replace(/$/, ''), { authorized: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT' })).then((r) => r.filter((x) => x.startsWith('I07'))), ['I07 error mx.example.net on port 25 (mx)']);
    assert.deepEqual(await run(tlsViewOf(ok.chainPem, { authorized: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), true), ['I07 info mx.example.net on port 25 (mx)']);
  });

  it('STARTTLS that fails is I01, and the port is not probed further', async () => {
    const deps = fakeNetwork({ 25: { greeting: '220 mx', tls: { '*': new Error('STARTTLS refused: 454 4.7.0 TLS not available') } } });
    const found = await tlsChecks(host, domains, facts([mx]), deps);
    assert.deepEqual(brief(found), ['I01 error mx.example.net on port 25 (mx)']);
    assert.match(found[0]!.seen, /454/);
  });

  it('TLS 1.0/1.1 or a weak cipher accepted: I02 and I03', async () => {
    const ok = await issueCertificate(ca, ['mx.example.net']);
    const deps = fakeNetwork({ 25: { greeting: '220 mx', tls: { '*': tlsViewOf(ok.chainPem, { authorized: true }, 'TLSv1') }, acceptsWeak: true } });
    assert.deepEqual(brief(await tlsChecks(host, domains, facts([mx]), deps)), ['I02 error mx.example.net on port 25 (mx)', 'I03 error mx.example.net on port 25 (mx)']);
  });
});
