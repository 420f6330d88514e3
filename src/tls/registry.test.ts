/*
 * The registry on real files: the Let's Encrypt layout with symlinks,
 * explicit entries, defaults, the generated self-signed certificate (mode,
 * reuse, growth), a broken file on reload, and `petrel cert list` output.
 */
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { lstat, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMemoryLogger, silentLogger } from '../telemetry/index.js';
import {
  createTestCa,
  issueCertificate,
  makeTempDir,
  writeLetsEncrypt,
  writePemPair,
  type TestCa,
  type TestCertificate,
} from '../../test/support/certs.js';
import { describeCertificates, openCertificateRegistry, type TlsSettings } from './index.js';

const DAY = 86_400_000;
let ca: TestCa;
let tmp: { dir: string; cleanup: () => Promise<void> };
let apex: TestCertificate;
let other: TestCertificate;
let wild: TestCertificate;

before(async () => {
  tmp = await makeTempDir();
  ca = await createTestCa();
  [apex, other, wild] = await Promise.all([
    issueCertificate(ca, ['example.com', 'mail.example.com']),
    issueCertificate(ca, ['other.test']),
    issueCertificate(ca, ['*.example.org']),
  ]);
});
after(() => tmp.cleanup());

let counter = 0;
function settings(extra: Partial<TlsSettings> = {}): TlsSettings {
  const base = join(tmp.dir, `case${++counter}`);
  return { certsDir: join(base, 'le'), certificates: [], selfSignedDir: join(base, 'self-signed'), hostname: 'mail.example.com', ...extra };
}

const fingerprintOf = (pem: string): string => new X509Certificate(pem).fingerprint256;
const servedFor = (registry: { contextFor(n: string | undefined): import('node:tls').SecureContext }, name: string | undefined): string => {
  // SecureContext has no public certificate accessor; context.getCertificate() is the native one.
  const native = (registry.contextFor(name) as unknown as { context: { getCertificate(): Buffer } }).context;
  return new X509Certificate(native.getCertificate()).fingerprint256;
};

describe('Let\'s Encrypt layout', () => {
  it('loads live/<name> symlinks, names from the SAN not the directory', async () => {
    const s = settings();
    await writeLetsEncrypt(s.certsDir, 'example.com', apex);
    await writeLetsEncrypt(s.certsDir, 'misnamed-dir', other);
    await writeFile(join(s.certsDir, 'live', 'README'), 'certbot readme\n');
    assert.ok((await lstat(join(s.certsDir, 'live', 'example.com', 'fullchain.pem'))).isSymbolicLink());
    const registry = await openCertificateRegistry(s, silentLogger, { watch: false });
    try {
      const list = registry.list();
      assert.deepEqual(list.map((c) => c.names), [['example.com', 'mail.example.com'], ['other.test']]);
      assert.equal(list[0]?.source, join(s.certsDir, 'live', 'example.com'));
      assert.equal(servedFor(registry, 'mail.example.com'), apex.fingerprint256);
      assert.equal(servedFor(registry, 'other.test'), other.fingerprint256);
      assert.equal(servedFor(registry, 'misnamed-dir'), apex.fingerprint256, 'unknown name gets the first real certificate');
      assert.equal(list.filter((c) => c.isDefault).length, 1);
      assert.ok(list.every((c) => !c.selfSigned && c.issuer === 'CN=Petrel Test CA'));
    } finally {
      registry.close();
    }
  });

  it('a missing certsDir is no error; explicit entries and defaultName apply', async () => {
    const s = settings();
    const pair = await writePemPair(join(tmp.dir, `explicit${counter}`), 'wild', wild);
    const pair2 = await writePemPair(join(tmp.dir, `explicit${counter}`), 'apex', apex);
    const registry = await openCertificateRegistry({ ...s, certificates: [pair2, pair], defaultName: 'www.example.org' }, silentLogger, { watch: false });
    try {
      const result = await registry.reload();
      assert.deepEqual(result, { loaded: 2, errors: [] });
      assert.equal(servedFor(registry, 'a.example.org'), wild.fingerprint256);
      assert.equal(servedFor(registry, undefined), wild.fingerprint256, 'defaultName picks the wildcard certificate');
      assert.equal(servedFor(registry, 'unknown.invalid'), wild.fingerprint256);
      assert.equal(registry.list().find((c) => c.isDefault)?.names[0], '*.example.org');
    } finally {
      registry.close();
    }
  });
});

describe('self-signed certificate', () => {
  it('is generated when nothing else exists, kept with key mode 0600, and reused after a restart', async () => {
    const s = settings({ hostname: 'mx.example.net' });
    const logger = createMemoryLogger();
    const first = await openCertificateRegistry(s, logger, { watch: false, hostedDomains: ['example.com', 'bücher.example'] });
    await first.setHostedDomains(['example.com', 'bücher.example']);
    const info = first.list();
    first.close();
    assert.equal(info.length, 1);
    const self = info[0]!;
    assert.ok(self.selfSigned && self.isDefault);
    for (const name of ['mx.example.net', 'example.com', 'mail.example.com', 'xn--bcher-kva.example', 'mail.xn--bcher-kva.example']) {
      assert.ok(self.names.includes(name), `covers ${name}`);
    }
    const keyMode = (await stat(join(s.selfSignedDir, 'key.pem'))).mode & 0o777;
    assert.equal(keyMode, 0o600);
    const pem = await readFile(join(s.selfSignedDir, 'cert.pem'), 'utf8');
    assert.equal(fingerprintOf(pem), self.fingerprint256);
    assert.match(new X509Certificate(pem).publicKey.asymmetricKeyType ?? '', /^rsa$/);

    const second = await openCertificateRegistry(s, logger, { watch: false });
    try {
      await second.setHostedDomains(['bücher.example', 'example.com']);
      assert.equal(second.list()[0]?.fingerprint256, self.fingerprint256, 'restart reuses it');
      await second.setHostedDomains(['example.com']);
      assert.equal(second.list()[0]?.fingerprint256, self.fingerprint256, 'a smaller set keeps it');
      await second.setHostedDomains(['example.com', 'new.example']);
      const grown = second.list()[0]!;
      assert.notEqual(grown.fingerprint256, self.fingerprint256, 'a larger set regenerates it');
      assert.ok(grown.names.includes('mail.new.example') && grown.names.includes('xn--bcher-kva.example') === false);
      assert.ok(grown.names.includes('example.com'));
    } finally {
      second.close();
    }
    assert.equal(logger.lines.filter((l) => l.includes('self-signed certificate generated')).length, 2);
  });

  it('is not used while a real certificate exists, and comes back when the last one goes', async () => {
    const s = settings({ hostname: 'mx.example.net' });
    await writeLetsEncrypt(s.certsDir, 'example.com', apex);
    const registry = await openCertificateRegistry(s, silentLogger, { watch: false });
    try {
      await registry.setHostedDomains(['example.com', 'uncovered.test']);
      assert.deepEqual(registry.list().map((c) => c.selfSigned), [false]);
      assert.equal(servedFor(registry, 'mail.uncovered.test'), apex.fingerprint256, 'the real default, not a generated one');
      assert.equal(servedFor(registry, 'mx.example.net'), apex.fingerprint256);
      await rm(join(s.certsDir, 'live', 'example.com'), { recursive: true });
      assert.deepEqual(await registry.reload(), { loaded: 0, errors: [] });
      const list = registry.list();
      assert.equal(list.length, 1);
      assert.ok(list[0]?.selfSigned && list[0].isDefault && list[0].names.includes('mail.uncovered.test'));
      assert.equal(servedFor(registry, 'example.com'), list[0].fingerprint256);
    } finally {
      registry.close();
    }
  });
});

describe('reload', () => {
  it('a broken file keeps the previous certificate and reports the error', async () => {
    const s = settings();
    await writeLetsEncrypt(s.certsDir, 'example.com', apex);
    const logger = createMemoryLogger();
    const registry = await openCertificateRegistry(s, logger, { watch: false });
    try {
      const archive = join(s.certsDir, 'archive', 'example.com');
      await writeFile(join(archive, 'fullchain1.pem'), '-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n');
      const result = await registry.reload();
      assert.equal(result.loaded, 0);
      assert.equal(result.errors.length, 1);
      assert.match(result.errors[0]!, /previous certificate kept/);
      assert.ok(logger.lines.some((l) => l.includes(' warn ') && l.includes('certificate load failed')));
      assert.equal(servedFor(registry, 'example.com'), apex.fingerprint256);
      assert.equal(registry.list().filter((c) => !c.selfSigned).length, 1);

      // a key that does not match is refused the same way
      await writeFile(join(archive, 'fullchain1.pem'), other.chainPem);
      const mismatch = await registry.reload();
      assert.match(mismatch.errors[0] ?? '', /does not match/);
      assert.equal(servedFor(registry, 'example.com'), apex.fingerprint256);

      // and a good file is taken at the next reload
      await writeLetsEncrypt(s.certsDir, 'example.com', other, 2);
      assert.deepEqual(await registry.reload(), { loaded: 1, errors: [] });
      assert.equal(servedFor(registry, 'other.test'), other.fingerprint256);
    } finally {
      registry.close();
    }
  });

  it('a first load with only broken files still has a certificate (self-signed)', async () => {
    const s = settings();
    const dir = join(tmp.dir, `broken${counter}`);
    const pair = await writePemPair(dir, 'x', apex);
    await writeFile(pair.key, 'not a key');
    const registry = await openCertificateRegistry({ ...s, certificates: [pair] }, silentLogger, { watch: false });
    try {
      const list = registry.list();
      assert.equal(list.length, 1);
      assert.ok(list[0]?.selfSigned && list[0].isDefault);
      assert.match((await registry.reload()).errors[0] ?? '', /private key does not parse/);
    } finally {
      registry.close();
    }
  });
});

describe('describeCertificates', () => {
  it('prints names, issuer, expiry, days left and flags', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const text = describeCertificates(
      [
        {
          names: ['example.com', 'mail.example.com'],
          issuer: "CN=R11, O=Let's Encrypt, C=US",
          subject: 'CN=example.com',
          notBefore: new Date(now.getTime() - 30 * DAY),
          notAfter: new Date(now.getTime() + 60 * DAY),
          source: '/etc/letsencrypt/live/example.com',
          selfSigned: false,
          isDefault: true,
          fingerprint256: 'AA',
        },
        {
          names: ['old.example'],
          issuer: 'O=Petrel self-signed',
          subject: 'CN=old.example',
          notBefore: new Date(now.getTime() - 400 * DAY),
          notAfter: new Date(now.getTime() - 2 * DAY),
          source: 'self-signed:/var/lib/petrel/self-signed',
          selfSigned: true,
          isDefault: false,
          fingerprint256: 'BB',
        },
      ],
      now,
    );
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^NAMES\s+ISSUER\s+EXPIRES\s+DAYS\s+FLAGS\s+SOURCE$/);
    assert.match(lines[1]!, /^example\.com,mail\.example\.com\s+R11\s+2026-03-02\s+60\s+default\s+\/etc\/letsencrypt/);
    assert.match(lines[2]!, /^old\.example\s+Petrel self-signed\s+2025-12-30\s+-2\s+self-signed,EXPIRED\s+self-signed:/);
    assert.equal(describeCertificates([]), 'no certificates\n');
  });
});
