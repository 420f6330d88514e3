/*
 * DANE for outbound delivery end to end (RFC 7672): zones signed in the
 * test are served by a real authoritative BIND behind a real validating
 * BIND resolver (test/support/bind-dnssec.ts), which Petrel uses as its
 * [dns] resolver, so MX, A and TLSA answers come back with the AD bit.
 * An MX whose certificate matches its TLSA record gets the message over
 * TLS although no CA vouches for it (DANE-EE); one whose certificate does
 * not match gets nothing (deferred 4.7.5, no plaintext fallback); a TLSA
 * lookup the resolver cannot validate (a tampered zone: SERVFAIL) defers
 * instead of delivering without DANE; and TLSA records in a zone that is
 * not signed are ignored (opportunistic TLS).
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { subjectPublicKeyInfo } from '../../src/sender-auth/dane-der.js';
import { startDnssecBind, type DnssecBind } from '../support/bind-dnssec.js';
import { createTestCa, issueCertificate } from '../support/certs.js';
import { SENDER as USER, SENDER_PASSWORD as PASSWORD, startSender, submit, waitForStatus } from '../support/outbound.js';
import { freePort, type PetrelProcess } from '../support/petrel.js';
import { startScriptedSmtp, type ScriptedSmtp } from '../support/scripted-smtp.js';
import { hasTool, requireTools } from '../support/tools.js';

const TOOLS = ['named', 'dnssec-keygen', 'dnssec-signzone', 'swaks'];

/** "3 1 1 <hex>": DANE-EE, SubjectPublicKeyInfo, SHA-256. */
function tlsaFor(certPem: string): string {
  const der = new X509Certificate(certPem).raw;
  return `3 1 1 ${createHash('sha256').update(subjectPublicKeyInfo(der)).digest('hex')}`;
}

describe('DANE for outbound delivery, through a validating BIND', () => {
  let dns: DnssecBind | undefined;
  let p: PetrelProcess;
  const peers: Record<string, ScriptedSmtp> = {};

  before(async () => {
    if (!TOOLS.every(hasTool)) return;
    const port = await freePort();
    // Certificates no CA here vouches for: only DANE can make them trusted.
    const nobody = await createTestCa('Nobody Trusts Me');
    const good = await issueCertificate(nobody, ['mx.dane.test']);
    const other = await issueCertificate(nobody, ['mx.mismatch.test']);
    const unrelated = await issueCertificate(nobody, ['unrelated.test']);
    peers.good = await startScriptedSmtp({ host: '127.0.0.51', port, tls: { key: good.keyPem, cert: good.chainPem } });
    peers.mismatch = await startScriptedSmtp({ host: '127.0.0.52', port, tls: { key: other.keyPem, cert: other.chainPem } });
    peers.bogus = await startScriptedSmtp({ host: '127.0.0.53', port, tls: { key: good.keyPem, cert: good.chainPem } });
    peers.plain = await startScriptedSmtp({ host: '127.0.0.54', port, tls: { key: other.keyPem, cert: other.chainPem } });
    dns = await startDnssecBind({
      'dane.test': { sign: 'valid', records: `@ IN MX 10 mx.dane.test.\nmx IN A 127.0.0.51\n_${port}._tcp.mx IN TLSA ${tlsaFor(good.certPem)}` },
      'mismatch.test': { sign: 'valid', records: `@ IN MX 10 mx.mismatch.test.\nmx IN A 127.0.0.52\n_${port}._tcp.mx IN TLSA ${tlsaFor(unrelated.certPem)}` },
      'bogus.test': { sign: 'valid', records: `@ IN MX 10 mx.bogus.test.\nmx IN A 127.0.0.53\n_${port}._tcp.mx IN TLSA ${tlsaFor(good.certPem)}`, tamper: [tlsaFor(good.certPem).slice(-8).toUpperCase(), '00000000'] },
      'plain.test': { sign: 'none', records: `@ IN MX 10 mx.plain.test.\nmx IN A 127.0.0.54\n_${port}._tcp.mx IN TLSA ${tlsaFor(unrelated.certPem)}` },
    });
    p = await startSender({
      outbound: `port = ${port}\nconnect_timeout = "2s"\nmta_sts = false`,
      dns: `resolvers = ["${dns.resolver}"]\ntimeout = "2s"\ntries = 1`,
    });
  });
  after(async () => {
    await p?.stop();
    await dns?.stop();
    for (const peer of Object.values(peers)) await peer.close();
  });

  it('delivers over TLS to an MX whose certificate matches its validated TLSA record (DANE-EE), though no CA vouches for it', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['ann@dane.test'] });
    await waitForStatus(p, queueId, 'ann@dane.test', 'sent');
    assert.match(p.log, new RegExp(`queue=${queueId} connected host=mx.dane.test .*policy=dane`));
    const s = peers.good!.sessions.find((x) => x.lines.includes('RCPT TO:<ann@dane.test>'))!;
    assert.equal(s.tls, true);
  });

  it('defers, sending nothing, when the certificate does not match the TLSA record', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['bob@mismatch.test'] });
    await waitForStatus(p, queueId, 'bob@mismatch.test', 'deferred');
    assert.match(p.log, new RegExp(`deferred queue=${queueId} to=<bob@mismatch.test> .*dsn=4.7.5 .*DANE`));
    const lines = peers.mismatch!.sessions.flatMap((x) => x.lines);
    assert.ok(lines.includes('STARTTLS') && !lines.some((l) => l.startsWith('MAIL')), 'no MAIL over the refused session, no plaintext retry');
    assert.equal((await p.cli(['queue', 'delete', queueId])).code, 0);
  });

  it('defers when the TLSA answer does not validate (SERVFAIL from a tampered zone): never delivered without DANE', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['carl@bogus.test'] });
    await waitForStatus(p, queueId, 'carl@bogus.test', 'deferred');
    assert.match(p.log, new RegExp(`deferred queue=${queueId} to=<carl@bogus.test> .*dsn=4.7.5 .*TLSA lookup failed`));
    assert.equal(peers.bogus!.sessions.length, 0);
    assert.equal((await p.cli(['queue', 'delete', queueId])).code, 0);
  });

  it('ignores TLSA records in a zone that is not signed: opportunistic TLS, delivered', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['dora@plain.test'] });
    await waitForStatus(p, queueId, 'dora@plain.test', 'sent');
    assert.match(p.log, new RegExp(`queue=${queueId} connected host=mx.plain.test .*policy=opportunistic`));
  });
});
