/*
 * DANE certificate matching with certificates made in the test (a root,
 * an intermediate, leaves; ECDSA and RSA): which TLSA records are usable,
 * digest agility, what a TLSA lookup means for the connection, DANE-EE
 * and DANE-TA matches and mismatches for every selector and matching
 * type, a TA only in the record, chains that are broken, out of order or
 * expired, issuers that are not CAs, names and wildcards, and a chain
 * read from a real TLS handshake on loopback.
 * Threats covered: a certificate from another CA, an intermediate
 * substituted under the same name, a weak digest kept beside a strong one
 * (agility), a wildcard stretched over two labels, a PKIX-only RRset
 * passed off as DANE.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import { before, describe, it } from 'node:test';
import type { DnsAnswer, TlsaRecord } from '../dns/client.js';
import { createTestCa, issueCertificate, type TestCa, type TestCertificate } from '../../test/support/certs.js';
import { subjectPublicKeyInfo } from './dane-der.js';
import { isUsableTlsa, presentedChain, tlsaPolicy, tlsaUnusableReason, usableTlsa, verifyDane, type DaneVerdict } from './dane.js';

const DAY = 86_400_000;
const x509 = (pem: string) => new X509Certificate(pem);

/** A TLSA record for cert with the given parameters, its data computed here. */
function tlsa(usage: number, selector: number, matchingType: number, cert: X509Certificate): TlsaRecord {
  const selected = selector === 0 ? cert.raw : subjectPublicKeyInfo(cert.raw);
  const data = matchingType === 0 ? selected : createHash(matchingType === 1 ? 'sha256' : 'sha512').update(selected).digest();
  return { usage, selector, matchingType, data };
}

const record = (usage: number, selector: number, matchingType: number, length: number): TlsaRecord => ({ usage, selector, matchingType, data: Buffer.alloc(length, 1) });
const summary = (v: DaneVerdict) => (v.ok ? (v.matched === 'ee' ? 'ee' : `ta depth ${v.depth} from ${v.taFrom} as ${v.name}`) : `fail: ${v.reason}`);
const PARAMETERS: [number, number][] = [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]];
const MX = ['mx.example.net', 'example.net'];

describe('TLSA records usable for SMTP', () => {
  const cases: [string, TlsaRecord, string | undefined][] = [
    ['DANE-EE SPKI SHA2-256', record(3, 1, 1, 32), undefined],
    ['DANE-EE Cert SHA2-512', record(3, 0, 2, 64), undefined],
    ['DANE-EE Cert Full', record(3, 0, 0, 300), undefined],
    ['DANE-TA Cert SHA2-256', record(2, 0, 1, 32), undefined],
    ['DANE-TA SPKI Full', record(2, 1, 0, 91), undefined],
    ['PKIX-TA', record(0, 0, 1, 32), 'usage 0 (PKIX-TA) is not used for SMTP'],
    ['PKIX-EE', record(1, 1, 1, 32), 'usage 1 (PKIX-EE) is not used for SMTP'],
    ['usage 4', record(4, 1, 1, 32), 'unknown usage 4'],
    ['PrivCert(255)', record(255, 1, 1, 32), 'unknown usage 255'],
    ['selector 2', record(3, 2, 1, 32), 'unknown selector 2'],
    ['PrivSel(255)', record(3, 255, 1, 32), 'unknown selector 255'],
    ['matching type 3', record(3, 1, 3, 32), 'unknown matching type 3'],
    ['PrivMatch(255)', record(3, 1, 255, 32), 'unknown matching type 255'],
    ['SHA2-256 of 31 octets', record(3, 1, 1, 31), 'a sha256 digest of 31 octets'],
    ['SHA2-512 of 32 octets', record(3, 1, 2, 32), 'a sha512 digest of 32 octets'],
    ['Full with no data', record(3, 1, 0, 0), 'empty association data'],
  ];
  for (const [name, r, want] of cases) {
    it(`${name}: ${want ?? 'usable'}`, () => {
      assert.equal(tlsaUnusableReason(r), want);
      assert.equal(isUsableTlsa(r), want === undefined);
    });
  }

  it('digest agility: per usage and selector, Full(0) and the strongest digest only (RFC 7671 section 9)', () => {
    const r311 = record(3, 1, 1, 32), r312 = record(3, 1, 2, 64), r310 = record(3, 1, 0, 91), r301 = record(3, 0, 1, 32), r201 = record(2, 0, 1, 32), pkix = record(1, 1, 2, 64);
    assert.deepEqual(usableTlsa([r311, r312, r310, r301, r201, pkix]), [r312, r310, r301, r201]);
    assert.deepEqual(usableTlsa([r311, record(3, 1, 2, 10)]), [r311], 'a malformed stronger digest does not hide the usable weaker one');
  });
});

describe('tlsaPolicy: what a TLSA lookup means for the connection', () => {
  const good = record(3, 1, 1, 32);
  const cases: [string, DnsAnswer<TlsaRecord>, string][] = [
    ['secure, usable records', { ok: true, records: [good, record(0, 0, 1, 32)], authenticated: true }, 'dane 1'],
    ['secure, none usable (PKIX only): TLS still mandatory, unauthenticated', { ok: true, records: [record(0, 0, 1, 32), record(3, 1, 1, 5)], authenticated: true }, 'encrypt'],
    ['records not validated (insecure zone)', { ok: true, records: [good], authenticated: false }, 'none'],
    ['records without an AD bit at all', { ok: true, records: [good] }, 'none'],
    ['NXDOMAIN', { ok: false, kind: 'nxdomain', detail: 'gone', authenticated: true }, 'none'],
    ['NODATA', { ok: false, kind: 'nodata', detail: 'none', authenticated: true }, 'none'],
    ['lookup failed (SERVFAIL: bogus or unreachable)', { ok: false, kind: 'temporary', detail: 'SERVFAIL' }, 'defer'],
  ];
  for (const [name, answer, want] of cases) {
    it(`${name}: ${want}`, () => {
      const policy = tlsaPolicy(answer);
      assert.equal(policy.kind === 'dane' ? `dane ${policy.records.length}` : policy.kind, want);
    });
  }

  it('the encrypt reason says why no record was usable', () => {
    const policy = tlsaPolicy({ ok: true, records: [record(0, 0, 1, 32)], authenticated: true });
    assert.match(policy.kind === 'encrypt' ? policy.reason : '', /PKIX-TA/);
  });
});

describe('verifyDane', () => {
  let root: TestCa, inter: TestCa, other: TestCa, impostor: TestCa;
  let leaf: TestCertificate;
  let rootX: X509Certificate, interX: X509Certificate, leafX: X509Certificate, otherX: X509Certificate, impostorX: X509Certificate;
  let chain: X509Certificate[];

  before(async () => {
    root = await createTestCa('DANE Test Root');
    inter = await createTestCa('DANE Test Intermediate', 'ecdsa', { issuer: root });
    other = await createTestCa('Other Root');
    // Same subject as the intermediate, another key, signed by the other root.
    impostor = await createTestCa('DANE Test Intermediate', 'ecdsa', { issuer: other });
    leaf = await issueCertificate(inter, ['mx.example.net']);
    rootX = x509(root.certPem);
    interX = x509(inter.certPem);
    leafX = x509(leaf.certPem);
    otherX = x509(other.certPem);
    impostorX = x509(impostor.certPem);
    chain = [leafX, interX, rootX];
  });

  describe('DANE-EE(3)', () => {
    for (const [selector, matchingType] of PARAMETERS) {
      it(`3 ${selector} ${matchingType}: the server certificate matches; another certificate's record does not`, () => {
        assert.equal(summary(verifyDane([tlsa(3, selector, matchingType, leafX)], chain, MX)), 'ee');
        const miss = verifyDane([tlsa(3, selector, matchingType, otherX)], chain, MX);
        assert.equal(summary(miss), 'fail: the server certificate matches no DANE-EE record');
      });
    }

    it('a DANE-EE record for an issuer in the chain does not match (EE means the server certificate)', () => {
      assert.equal(verifyDane([tlsa(3, 1, 1, interX)], chain, MX).ok, false);
    });

    it('neither names nor validity dates are checked (RFC 7672 section 3.1.1)', async () => {
      const expired = x509((await issueCertificate(other, ['unrelated.example'], { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) })).certPem);
      assert.equal(summary(verifyDane([tlsa(3, 1, 1, expired)], [expired], ['mx.example.net'])), 'ee');
      assert.equal(summary(verifyDane([tlsa(3, 0, 1, expired)], expired, [])), 'ee');
    });

    it('works with an RSA key (the SPKI cut from the DER is what the digest covers)', async () => {
      const rsa = x509((await issueCertificate(root, ['mx.example.net'], { key: 'rsa' })).certPem);
      assert.deepEqual(subjectPublicKeyInfo(rsa.raw), rsa.publicKey.export({ type: 'spki', format: 'der' }));
      assert.equal(summary(verifyDane([tlsa(3, 1, 1, rsa)], [rsa], MX)), 'ee');
    });

    it('digest agility: a key matching only the weaker of two digests is refused', () => {
      const strongForOther = tlsa(3, 1, 2, otherX);
      assert.equal(verifyDane([tlsa(3, 1, 1, leafX), strongForOther], chain, MX).ok, false);
      assert.equal(verifyDane([tlsa(3, 1, 1, leafX), tlsa(3, 1, 2, leafX)], chain, MX).ok, true);
    });
  });

  describe('DANE-TA(2)', () => {
    for (const [selector, matchingType] of PARAMETERS) {
      it(`2 ${selector} ${matchingType}: the intermediate or the root of the chain is the TA; another CA is not`, () => {
        assert.equal(summary(verifyDane([tlsa(2, selector, matchingType, interX)], chain, MX)), 'ta depth 1 from chain as mx.example.net');
        assert.equal(summary(verifyDane([tlsa(2, selector, matchingType, rootX)], chain, MX)), 'ta depth 2 from chain as mx.example.net');
        assert.equal(verifyDane([tlsa(2, selector, matchingType, otherX)], chain, MX).ok, false);
      });
    }

    it('a TA record matching the server certificate itself: accepted, with the name check', () => {
      assert.equal(summary(verifyDane([tlsa(2, 1, 1, leafX)], chain, MX)), 'ta depth 0 from chain as mx.example.net');
      assert.equal(verifyDane([tlsa(2, 1, 1, leafX)], chain, ['other.example']).ok, false);
    });

    it('the TA is not in the chain: a "2 0 0" certificate or a "2 1 0" key in the record is used (RFC 7671 sections 5.2.2, 5.2.3)', () => {
      const short = [leafX, interX];
      assert.equal(summary(verifyDane([tlsa(2, 0, 0, rootX)], short, MX)), 'ta depth 2 from record as mx.example.net');
      assert.equal(summary(verifyDane([tlsa(2, 1, 0, rootX)], short, MX)), 'ta depth 2 from record as mx.example.net');
      assert.equal(summary(verifyDane([tlsa(2, 0, 0, interX)], [leafX], MX)), 'ta depth 1 from record as mx.example.net');
    });

    it('the TA is not in the chain and the record holds only a digest: not authenticated', () => {
      const v = verifyDane([tlsa(2, 0, 1, rootX)], [leafX, interX], MX);
      assert.equal(summary(v), 'fail: no certificate of the chain, and no trust anchor in the records, matches a DANE-TA record');
    });

    it('a "2 0 0" or "2 1 0" record of another CA does not verify the chain', () => {
      assert.equal(verifyDane([tlsa(2, 0, 0, otherX)], [leafX, interX], MX).ok, false);
      assert.equal(verifyDane([tlsa(2, 1, 0, otherX)], [leafX, interX], MX).ok, false);
    });

    it('a broken chain: the intermediate missing between the server certificate and the TA', () => {
      assert.match(summary(verifyDane([tlsa(2, 0, 1, rootX)], [leafX, rootX], MX)), /did not issue the chain below it/);
    });

    it('a broken chain: an intermediate with the same name but another key, matching the record', () => {
      assert.match(summary(verifyDane([tlsa(2, 1, 1, impostorX)], [leafX, impostorX, otherX], MX)), /did not issue the chain below it/);
      assert.equal(verifyDane([tlsa(2, 1, 1, otherX)], [leafX, impostorX, otherX], MX).ok, false);
    });

    it('a chain presented out of order is still walked by signatures', () => {
      assert.equal(summary(verifyDane([tlsa(2, 0, 1, rootX)], [leafX, rootX, interX], MX)), 'ta depth 2 from chain as mx.example.net');
    });

    it('an issuer that is not a CA (basicConstraints cA false) is refused', async () => {
      const notCa = await createTestCa('Not A CA', 'ecdsa', { issuer: root, ca: false });
      const under = x509((await issueCertificate(notCa, ['mx.example.net'])).certPem);
      assert.match(summary(verifyDane([tlsa(2, 0, 1, rootX)], [under, x509(notCa.certPem), rootX], MX)), /not a CA/);
    });

    it('validity dates are checked: an expired server certificate, an expired intermediate', async () => {
      const expiredLeaf = x509((await issueCertificate(inter, ['mx.example.net'], { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) })).certPem);
      assert.match(summary(verifyDane([tlsa(2, 0, 1, interX)], [expiredLeaf, interX], MX)), /outside its validity dates/);
      const oldInter = await createTestCa('Old Intermediate', 'ecdsa', { issuer: root, notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
      const under = x509((await issueCertificate(oldInter, ['mx.example.net'])).certPem);
      assert.match(summary(verifyDane([tlsa(2, 0, 1, rootX)], [under, x509(oldInter.certPem), rootX], MX)), /outside its validity dates/);
    });

    it('the clock is injectable: the same chain fails a year from now', () => {
      const later = { now: () => Date.now() + 400 * DAY };
      assert.match(summary(verifyDane([tlsa(2, 0, 1, interX)], chain, MX, { clock: later })), /outside its validity dates/);
    });
  });

  describe('DANE-TA(2) reference names (RFC 7672 section 3.2.2, RFC 6125 section 6.4)', () => {
    const names: [string, string[], { san?: boolean }, string[], string | false][] = [
      ['the MX host name', ['mx.example.net'], {}, ['mx.example.net', 'example.net'], 'mx.example.net'],
      ['the second reference name (the next-hop domain)', ['example.net'], {}, ['mx.example.net', 'example.net'], 'example.net'],
      ['case and a trailing dot ignored', ['mx.example.net'], {}, ['MX.Example.NET.'], 'mx.example.net'],
      ['no reference name matches', ['mx.example.net'], {}, ['mail.example.org'], false],
      ['no reference names at all', ['mx.example.net'], {}, [], false],
      ['a wildcard matches one label', ['*.example.net'], {}, ['mx.example.net'], 'mx.example.net'],
      ['a wildcard does not match two labels', ['*.example.net'], {}, ['a.mx.example.net'], false],
      ['a wildcard does not match the bare domain', ['*.example.net'], {}, ['example.net'], false],
      ['a partial wildcard does not match', ['mx*.example.net'], {}, ['mx1.example.net'], false],
      ['a wildcard reference name is never matched', ['*.example.net'], {}, ['*.example.net'], false],
      ['the subject CN counts when there is no subjectAltName', ['mx.example.net'], { san: false }, ['mx.example.net'], 'mx.example.net'],
      ['a subjectAltName entry beyond the first', ['a.example.net', 'mx.example.net'], {}, ['mx.example.net'], 'mx.example.net'],
    ];
    for (const [what, certNames, options, reference, want] of names) {
      it(`${what}`, async () => {
        const cert = x509((await issueCertificate(inter, certNames, { subjectAltName: options.san !== false })).certPem);
        const v = verifyDane([tlsa(2, 0, 1, interX)], [cert, interX], reference);
        if (want === false) assert.match(summary(v), /names none of/);
        else assert.equal(v.ok && v.matched === 'ta' && v.name, want);
      });
    }
  });

  describe('inputs', () => {
    it('no usable record, or no certificate: not authenticated', () => {
      assert.equal(summary(verifyDane([record(0, 0, 1, 32)], chain, MX)), 'fail: no usable TLSA record');
      assert.equal(summary(verifyDane([tlsa(3, 1, 1, leafX)], [], MX)), 'fail: the server presented no certificate');
    });

    it('a peer certificate from a real TLS handshake, followed through issuerCertificate', async () => {
      const server = createServer({ key: leaf.keyPem, cert: leaf.chainPem });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const socket = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'mx.example.net', rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => socket.once('secureConnect', () => resolve()).once('error', reject));
      const peer = socket.getPeerX509Certificate()!;
      socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      assert.deepEqual(presentedChain(peer).map((c) => c.fingerprint256), [leafX.fingerprint256, interX.fingerprint256]);
      assert.equal(summary(verifyDane([tlsa(2, 0, 1, interX)], peer, MX)), 'ta depth 1 from chain as mx.example.net');
      assert.equal(summary(verifyDane([tlsa(3, 1, 1, leafX)], peer, MX)), 'ee');
      assert.equal(summary(verifyDane([tlsa(2, 1, 0, rootX)], peer, MX)), 'ta depth 2 from record as mx.example.net');
    });
  });
});
