/*
 * The DNS wire client against real BIND, on loopback only:
 * (a) an authoritative server for plain zones: MX, A, AAAA, TXT with
 *     several strings in one record, TLSA, CAA and PTR through the generic
 *     query, NXDOMAIN, NODATA, a CNAME, REFUSED outside its zones, a big
 *     TXT RRset that arrives truncated over UDP and whole over TCP, and a
 *     server that never answers;
 * (b) a validating resolver in front of zones signed in the test: a
 *     signed zone's answers and denials with AD=1, an unsigned zone's with
 *     AD=0, a record changed after signing and expired signatures giving
 *     SERVFAIL (temporary), and DANE from end to end: TLSA records
 *     published in the signed zone, fetched with AD=1, matched against the
 *     chain of a real TLS handshake.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { subjectPublicKeyInfo } from '../../src/sender-auth/dane-der.js';
import { tlsaPolicy, verifyDane } from '../../src/sender-auth/dane.js';
import { CachingDnsClient } from '../../src/dns/cache.js';
import { WireDnsClient } from '../../src/dns/wire-client.js';
import { encodeQuery } from '../../src/dns/wire-codec.js';
import { parseServer, udpExchange } from '../../src/dns/wire-transport.js';
import { startBind, type BindServer } from '../support/bind.js';
import { startDnssecBind, type DnssecBind } from '../support/bind-dnssec.js';
import { createTestCa, issueCertificate, type TestCertificate } from '../support/certs.js';
import { hasTool, requireTools } from '../support/tools.js';

const BIG_TXT_RECORDS = 40;
const bigTxt = Array.from({ length: BIG_TXT_RECORDS }, (_, i) => `big IN TXT "record ${String(i).padStart(2, '0')} ${'x'.repeat(90)}"`).join('\n');
const tlsaHex = '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20';

describe('wire client against an authoritative BIND', () => {
  let bind: BindServer | undefined;
  let dns: WireDnsClient;

  before(async () => {
    if (!hasTool('named')) return;
    bind = await startBind({
      'wire.test': [
        '@ IN MX 10 mx1.wire.test.',
        '@ IN MX 20 mx2.wire.test.',
        '@ IN CAA 0 issue "letsencrypt.org"',
        'mx1 IN A 127.0.0.11',
        'mx1 IN AAAA 2001:db8::11',
        'mx2 IN A 127.0.0.12',
        'alias IN CNAME mx1.wire.test.',
        `txt IN TXT "v=DKIM1; k=rsa; p=${'A'.repeat(200)}" "${'B'.repeat(100)}" "end"`,
        `_25._tcp.mx1 IN TLSA 3 1 1 ${tlsaHex}`,
        bigTxt,
      ].join('\n'),
      '2.0.192.in-addr.arpa': '11 IN PTR mx1.wire.test.',
    });
    dns = new WireDnsClient({ servers: [bind.address], timeoutMs: 1000, tries: 1 });
  });
  after(() => bind?.stop());

  it('MX in the order given, with the TTL; no AD bit from an authoritative server', async (t) => {
    if (!requireTools(t, 'named')) return;
    const answer = await dns.mx('wire.test');
    assert.ok(answer.ok);
    assert.deepEqual([...answer.records].sort((x, y) => x.priority - y.priority), [{ exchange: 'mx1.wire.test', priority: 10 }, { exchange: 'mx2.wire.test', priority: 20 }]);
    assert.equal(answer.authenticated, false);
    assert.equal(answer.ttl, 60);
  });

  it('A and AAAA', async (t) => {
    if (!requireTools(t, 'named')) return;
    const v4 = await dns.a('mx1.wire.test');
    assert.deepEqual(v4.ok && v4.records, ['127.0.0.11']);
    const v6 = await dns.aaaa('mx1.wire.test');
    assert.deepEqual(v6.ok && v6.records, ['2001:db8::11']);
  });

  it('TXT: the strings of one record joined into one', async (t) => {
    if (!requireTools(t, 'named')) return;
    const answer = await dns.txt('txt.wire.test');
    assert.deepEqual(answer.ok && answer.records, [`v=DKIM1; k=rsa; p=${'A'.repeat(200)}${'B'.repeat(100)}end`]);
  });

  it('TLSA', async (t) => {
    if (!requireTools(t, 'named')) return;
    const answer = await dns.tlsa('_25._tcp.mx1.wire.test');
    assert.deepEqual(answer.ok && answer.records, [{ usage: 3, selector: 1, matchingType: 1, data: Buffer.from(tlsaHex, 'hex') }]);
  });

  it('CAA and PTR through the generic query', async (t) => {
    if (!requireTools(t, 'named')) return;
    const caa = await dns.query('wire.test', 'CAA');
    assert.deepEqual(caa.ok && caa.records.map((r) => [r.tag, r.value]), [['issue', 'letsencrypt.org']]);
    const ptr = await dns.query('11.2.0.192.in-addr.arpa', 'PTR');
    assert.deepEqual(ptr.ok && ptr.records, ['mx1.wire.test']);
  });

  it('NXDOMAIN and NODATA, with the SOA negative TTL', async (t) => {
    if (!requireTools(t, 'named')) return;
    assert.deepEqual(await dns.a('missing.wire.test'), { ok: false, kind: 'nxdomain', detail: 'missing.wire.test does not exist', authenticated: false, ttl: 60 });
    assert.deepEqual(await dns.mx('mx1.wire.test'), { ok: false, kind: 'nodata', detail: 'no MX record for mx1.wire.test', authenticated: false, ttl: 60 });
  });

  it('a CNAME is followed to its target in the same answer', async (t) => {
    if (!requireTools(t, 'named')) return;
    const answer = await dns.a('alias.wire.test');
    assert.deepEqual(answer.ok && answer.records, ['127.0.0.11']);
  });

  it('a name outside the zones: REFUSED (recursion is off), temporary', async (t) => {
    if (!requireTools(t, 'named')) return;
    const answer = await dns.a('example.org');
    assert.equal(!answer.ok && answer.detail, `A lookup for example.org failed: REFUSED from ${bind!.address}`);
  });

  it(`a TXT RRset of ${BIG_TXT_RECORDS} records is truncated over UDP and read whole over TCP`, async (t) => {
    if (!requireTools(t, 'named')) return;
    const udp = await udpExchange(parseServer(bind!.address), encodeQuery(4242, 'big.wire.test', 'TXT'), 1000);
    assert.ok(udp.kind === 'response' && udp.response.truncated, 'the UDP answer is truncated');
    const answer = await dns.txt('big.wire.test');
    assert.equal(answer.ok && answer.records.length, BIG_TXT_RECORDS);
    assert.ok(answer.ok && answer.records.every((r) => /^record \d\d x{90}$/.test(r)));
  });

  it('a server that never answers: temporary after timeout x tries', async (t) => {
    if (!requireTools(t, 'named')) return;
    const silent: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', () => resolve()));
    const started = Date.now();
    const answer = await new WireDnsClient({ servers: [`127.0.0.1:${(silent.address() as AddressInfo).port}`], timeoutMs: 250, tries: 2 }).mx('wire.test');
    silent.close();
    assert.equal(!answer.ok && answer.kind, 'temporary');
    assert.ok(Date.now() - started >= 450 && Date.now() - started < 3000);
  });
});

describe('wire client against a validating BIND resolver (DNSSEC)', () => {
  let bind: DnssecBind | undefined;
  let dns: WireDnsClient;
  let leaf: TestCertificate;
  let leafX: X509Certificate;
  let caX: X509Certificate;
  const tools = ['named', 'dnssec-keygen', 'dnssec-signzone'];
  const digest = (data: Buffer) => createHash('sha256').update(data).digest('hex');

  before(async () => {
    if (!tools.every(hasTool)) return;
    const ca = await createTestCa('Petrel DANE Test CA');
    leaf = await issueCertificate(ca, ['mx.secure.test']);
    leafX = new X509Certificate(leaf.certPem);
    caX = new X509Certificate(ca.certPem);
    bind = await startDnssecBind({
      'secure.test': {
        sign: 'valid',
        records: [
          '@ IN MX 10 mx.secure.test.',
          'mx IN A 127.0.0.11',
          'alias IN CNAME mx.secure.test.',
          `_25._tcp.mx IN TLSA 3 1 1 ${digest(subjectPublicKeyInfo(leafX.raw))}`,
          `_25._tcp.mx IN TLSA 2 0 1 ${digest(caX.raw)}`,
          `_25._tcp.pkix IN TLSA 0 0 1 ${digest(caX.raw)}`,
        ].join('\n'),
      },
      'plain.test': { sign: 'none', records: `mx IN A 127.0.0.12\n_25._tcp.mx IN TLSA 3 1 1 ${tlsaHex}` },
      'bogus.test': { sign: 'valid', records: 'mx IN A 127.0.0.13', tamper: ['127.0.0.13', '127.0.0.66'] },
      'stale.test': { sign: 'expired', records: `mx IN A 127.0.0.14\n_25._tcp.mx IN TLSA 3 1 1 ${tlsaHex}` },
    });
    dns = new WireDnsClient({ servers: [bind.resolver], timeoutMs: 2000, tries: 1 });
  });
  after(() => bind?.stop());

  it('a signed zone: records with AD=1', async (t) => {
    if (!requireTools(t, ...tools)) return;
    assert.deepEqual(await dns.a('mx.secure.test'), { ok: true, records: ['127.0.0.11'], authenticated: true, ttl: 60 });
    const mx = await dns.mx('secure.test');
    assert.equal(mx.ok && mx.authenticated, true);
  });

  it('a signed zone: NXDOMAIN and NODATA proven with AD=1', async (t) => {
    if (!requireTools(t, ...tools)) return;
    const nx = await dns.a('missing.secure.test');
    assert.deepEqual([!nx.ok && nx.kind, nx.authenticated], ['nxdomain', true]);
    const nodata = await dns.aaaa('mx.secure.test');
    assert.deepEqual([!nodata.ok && nodata.kind, nodata.authenticated], ['nodata', true]);
  });

  it('a signed zone: a CNAME to a name in it, AD=1', async (t) => {
    if (!requireTools(t, ...tools)) return;
    assert.deepEqual(await dns.a('alias.secure.test'), { ok: true, records: ['127.0.0.11'], authenticated: true, ttl: 60 });
  });

  it('DNSKEY through the generic query (as the doctor will ask), AD=1', async (t) => {
    if (!requireTools(t, ...tools)) return;
    const keys = await dns.query('secure.test', 'DNSKEY');
    assert.ok(keys.ok && keys.authenticated);
    assert.deepEqual(keys.records.map((k) => k.flags).sort(), [256, 257]);
  });

  it('an unsigned zone: records with AD=0, so its TLSA records do not count', async (t) => {
    if (!requireTools(t, ...tools)) return;
    assert.deepEqual(await dns.a('mx.plain.test'), { ok: true, records: ['127.0.0.12'], authenticated: false, ttl: 60 });
    assert.equal(tlsaPolicy(await dns.tlsa('_25._tcp.mx.plain.test')).kind, 'none');
  });

  it('a record changed after signing: SERVFAIL, temporary (while the authoritative server serves the changed record)', async (t) => {
    if (!requireTools(t, ...tools)) return;
    const answer = await dns.a('mx.bogus.test');
    assert.equal(!answer.ok && answer.detail, `A lookup for mx.bogus.test failed: SERVFAIL from ${bind!.resolver}`);
    const direct = await new WireDnsClient({ servers: [bind!.authoritative], timeoutMs: 2000, tries: 1 }).a('mx.bogus.test');
    assert.deepEqual(direct.ok && direct.records, ['127.0.0.66']);
  });

  it('expired signatures: SERVFAIL, temporary; a TLSA lookup failing so means defer, never cleartext', async (t) => {
    if (!requireTools(t, ...tools)) return;
    const answer = await dns.a('mx.stale.test');
    assert.equal(!answer.ok && answer.kind, 'temporary');
    assert.equal(tlsaPolicy(await dns.tlsa('_25._tcp.mx.stale.test')).kind, 'defer');
  });

  it('nothing outside the test zones is resolved (the resolver only forwards to the loopback server)', async (t) => {
    if (!requireTools(t, ...tools)) return;
    const answer = await dns.a('example.org');
    assert.equal(!answer.ok && answer.kind, 'temporary');
  });

  it('DANE end to end: TLSA from the signed zone (AD=1), through the cache, matched against a real TLS handshake', async (t) => {
    if (!requireTools(t, ...tools)) return;
    const cached = new CachingDnsClient(dns);
    const policy = tlsaPolicy(await cached.tlsa('_25._tcp.mx.secure.test'));
    assert.equal(policy.kind, 'dane');
    if (policy.kind !== 'dane') return;
    assert.equal(policy.records.length, 2);
    const server = createServer({ key: leaf.keyPem, cert: leaf.chainPem });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const socket = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'mx.secure.test', rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', () => resolve()).once('error', reject));
    const peer = socket.getPeerX509Certificate()!;
    socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const verdict = verifyDane(policy.records, peer, ['mx.secure.test', 'secure.test']);
    assert.equal(verdict.ok && verdict.matched, 'ee');
    const taOnly = verifyDane(policy.records.filter((r) => r.usage === 2), peer, ['mx.secure.test']);
    assert.equal(taOnly.ok && taOnly.matched, 'ta');
    assert.equal(verifyDane(policy.records.filter((r) => r.usage === 2), peer, ['other.test']).ok, false);
  });

  it('a secure RRset of PKIX records only: TLS mandatory, unauthenticated', async (t) => {
    if (!requireTools(t, ...tools)) return;
    assert.equal(tlsaPolicy(await dns.tlsa('_25._tcp.pkix.secure.test')).kind, 'encrypt');
  });
});
