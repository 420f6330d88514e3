/*
 * TLSA 3 1 1 keys for port 25 and their visibility: what `petrel dns
 * plan`, the doctor and `petrel cert rollover` rely on. Keys on a real
 * temporary directory; DNS from the declarative fake.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../config/load.js';
import { fakeDns } from '../dns/fake-client.js';
import { subjectPublicKeyInfo } from '../sender-auth/dane-der.js';
import { spkiSha256 } from '../tls/acme/index.js';
import { generateCertificateKey } from '../tls/acme/keys.js';
import { createTestCa, issueCertificate, makeTempDir } from '../../test/support/certs.js';
import { dataPaths } from './paths.js';
import { tlsaKeysFor, tlsaRecordLine, tlsaVisible } from './tlsa.js';

const HOST = 'mx.tlsa.test';
const certSpki = (pem: string) => createHash('sha256').update(subjectPublicKeyInfo(new X509Certificate(pem).raw)).digest('hex');
const config = (acme: boolean) => parseConfig(`hostname = "${HOST}"\n[acme]\nenabled = ${acme}\n`, 'test');

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const tmp = await makeTempDir('petrel-tlsa-');
  try {
    await fn(tmp.dir);
  } finally {
    await tmp.cleanup();
  }
}

describe('tlsaKeysFor', () => {
  it('with no certificate, the self-signed key served on 25 and no next key', () =>
    withDir(async (dir) => {
      const paths = dataPaths(dir, config(false));
      const keys = await tlsaKeysFor(config(false), paths);
      assert.deepEqual(keys, { current: certSpki(await readFile(join(paths.selfSigned, 'cert.pem'), 'utf8')) });
      assert.deepEqual(await tlsaKeysFor(config(false), paths), keys, 'the same certificate the next time');
    }));

  it('before ACME\'s first certificate: the key staged for the host lineage is next (the first certificate takes it); not with ACME off', () =>
    withDir(async (dir) => {
      const paths = dataPaths(dir, config(true));
      const staged = await generateCertificateKey('rsa-2048');
      await mkdir(join(paths.certs, 'live', HOST), { recursive: true });
      await writeFile(join(paths.certs, 'live', HOST, 'next-privkey.pem'), staged, { mode: 0o600 });
      const keys = await tlsaKeysFor(config(true), paths);
      assert.equal(keys.next, spkiSha256(staged));
      assert.notEqual(keys.current, keys.next);
      assert.equal((await tlsaKeysFor(config(false), paths)).next, undefined);
    }));

  it('an ACME lineage serving the host: its certificate\'s key now, its next-privkey.pem next; a lineage not served is not asked', () =>
    withDir(async (dir) => {
      const paths = dataPaths(dir, config(true));
      const ca = await createTestCa('TLSA Test CA', 'rsa');
      const served = await issueCertificate(ca, [HOST], { key: 'rsa' });
      const other = await issueCertificate(ca, ['mail.other.test'], { key: 'rsa' });
      const next = await generateCertificateKey('rsa-2048');
      const state = (names: string[]) => JSON.stringify({ version: 1, names, directoryUrl: 'https://ca.test/dir', renewJitterMs: 0, rolloverPending: false, issuedAt: 0 });
      for (const [name, cert] of [[HOST, served], ['mail.other.test', other]] as const) {
        const live = join(paths.certs, 'live', name);
        await mkdir(live, { recursive: true });
        await writeFile(join(live, 'fullchain.pem'), cert.chainPem);
        await writeFile(join(live, 'privkey.pem'), cert.keyPem, { mode: 0o600 });
        await writeFile(join(live, 'petrel-acme.json'), state(cert.names));
      }
      await writeFile(join(paths.certs, 'live', 'mail.other.test', 'next-privkey.pem'), await generateCertificateKey('rsa-2048'), { mode: 0o600 });
      const before = await tlsaKeysFor(config(true), paths);
      assert.deepEqual(before, { current: certSpki(served.certPem) }, 'no next key staged for the served lineage yet');
      await writeFile(join(paths.certs, 'live', HOST, 'next-privkey.pem'), next, { mode: 0o600 });
      const keys = await tlsaKeysFor(config(true), paths);
      assert.deepEqual(keys, { current: certSpki(served.certPem), next: spkiSha256(next) });
      assert.equal(keys.current, spkiSha256(createPublicKey(served.keyPem).export({ type: 'spki', format: 'pem' }) as string), 'the certificate\'s SPKI is its key\'s');
    }));
});

describe('tlsaVisible', () => {
  const spki = 'ab'.repeat(32);
  const record = (usage: number, selector: number, matchingType: number, hex: string) => ({ usage, selector, matchingType, data: Buffer.from(hex, 'hex') });

  it('true only for a 3 1 1 record with the digest at _25._tcp.<name>', async () => {
    const dns = fakeDns({ [`_25._tcp.${HOST}`]: { tlsa: [record(3, 1, 1, 'cd'.repeat(32)), record(3, 1, 1, spki)] } });
    assert.equal(await tlsaVisible(dns, HOST, spki), true);
    assert.equal(await tlsaVisible(dns, HOST, spki.toUpperCase()), true, 'hex in either case');
    assert.deepEqual(dns.asked, [`TLSA _25._tcp.${HOST}`, `TLSA _25._tcp.${HOST}`]);
    assert.equal(await tlsaVisible(dns, HOST, 'ef'.repeat(32)), false, 'another key');
  });

  it('false for the digest under another usage, selector or matching type, for NXDOMAIN and for a failed (or bogus: SERVFAIL) lookup', async () => {
    for (const r of [record(2, 1, 1, spki), record(3, 0, 1, spki), record(3, 1, 2, spki)]) {
      assert.equal(await tlsaVisible(fakeDns({ [`_25._tcp.${HOST}`]: { tlsa: [r] } }), HOST, spki), false, JSON.stringify(r));
    }
    assert.equal(await tlsaVisible(fakeDns({}), HOST, spki), false);
    assert.equal(await tlsaVisible(fakeDns({ [`_25._tcp.${HOST}`]: { tlsa: 'temporary' } }), HOST, spki), false);
  });

  it('counts an unauthenticated answer (AD clear): senders apply DANE only where the zone is signed', async () => {
    assert.equal(await tlsaVisible(fakeDns({ [`_25._tcp.${HOST}`]: { tlsa: [record(3, 1, 1, spki)], secure: false } }), HOST, spki), true);
  });

  it('prints the line to publish', () => {
    assert.equal(tlsaRecordLine(HOST, spki), `_25._tcp.${HOST}. 3600 IN TLSA 3 1 1 ${spki}`);
  });
});
