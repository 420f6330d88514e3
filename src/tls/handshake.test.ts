/*
 * Real handshakes against listeners built from serverOptions(): protocol
 * versions (TLS 1.1 refused), weak suites refused, ALPN (ALPACA), SNI, and
 * a certificate swapped on disk served on the next handshake with no
 * restart. Clients: openssl s_client and node's tls.connect, on 127.0.0.1.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tls from 'node:tls';
import { silentLogger } from '../telemetry/index.js';
import {
  createTestCa,
  issueCertificate,
  makeTempDir,
  writeLetsEncrypt,
  writePemPair,
  type TestCa,
  type TestCertificate,
} from '../../test/support/certs.js';
import { openCertificateRegistry, type CertificateRegistry, type TlsProtocol, type TlsSettings } from './index.js';

interface SClient {
  ok: boolean;
  protocol?: string;
  alpn?: string;
  subject?: string;
  output: string;
}

/** openssl s_client against 127.0.0.1:port; ok when a cipher was negotiated. */
function sClient(port: number, args: string[]): Promise<SClient> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const cipher = /Cipher is (\S+)/.exec(output)?.[1];
      resolve({
        ok: cipher !== undefined && cipher !== '(NONE)',
        protocol: /Protocol\s*: (\S+)/.exec(output)?.[1] ?? /New, (TLSv[\d.]+),/.exec(output)?.[1],
        alpn: /ALPN protocol: (\S+)/.exec(output)?.[1],
        subject: /^subject=(.*)$/m.exec(output)?.[1],
        output,
      });
    });
    child.stdin.end();
  });
}

/** The SHA-256 fingerprint of the certificate a server presents for `servername`. */
function peerFingerprint(port: number, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fp);
    });
    socket.on('error', reject);
  });
}

async function listen(registry: CertificateRegistry, protocol: TlsProtocol): Promise<{ server: tls.Server; port: number }> {
  const server = tls.createServer(registry.serverOptions(protocol), (socket) => socket.end());
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function eventually(check: () => Promise<boolean>, ms = 4000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('condition not met in time');
}

let ca: TestCa;
let tmp: { dir: string; cleanup: () => Promise<void> };
let alpha: TestCertificate;
let beta: TestCertificate;
let n = 0;
const settingsIn = (base: string, extra: Partial<TlsSettings> = {}): TlsSettings => ({
  certsDir: join(base, 'le'),
  certificates: [],
  selfSignedDir: join(base, 'self-signed'),
  hostname: 'alpha.test',
  ...extra,
});

before(async () => {
  tmp = await makeTempDir();
  ca = await createTestCa();
  [alpha, beta] = await Promise.all([issueCertificate(ca, ['alpha.test']), issueCertificate(ca, ['beta.test', '*.beta.test'])]);
});
after(() => tmp.cleanup());

describe('protocol versions, suites and ALPN', () => {
  let registry: CertificateRegistry;
  const servers: tls.Server[] = [];
  const ports = {} as Record<TlsProtocol, number>;

  before(async () => {
    const s = settingsIn(join(tmp.dir, 'policy'));
    await writeLetsEncrypt(s.certsDir, 'alpha.test', alpha);
    await writeLetsEncrypt(s.certsDir, 'beta.test', beta);
    registry = await openCertificateRegistry(s, silentLogger, { watch: false });
    for (const p of ['smtp', 'imap', 'https'] as const) {
      const { server, port } = await listen(registry, p);
      servers.push(server);
      ports[p] = port;
    }
  });
  after(() => {
    for (const s of servers) s.close();
    registry.close();
  });

  it('refuses TLS 1.1 (a client willing to use it, security level 0)', async () => {
    const r = await sClient(ports.smtp, ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);
    assert.equal(r.ok, false);
    assert.match(r.output, /alert protocol version/);
  });

  it('control: the same client does get TLS 1.1 from a server that allows it', async (t) => {
    const server = tls.createServer({ key: alpha.keyPem, cert: alpha.chainPem, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end());
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const r = await sClient((server.address() as AddressInfo).port, ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);
      if (!r.ok) t.skip('this OpenSSL build cannot speak TLS 1.1 at all');
      else assert.equal(r.protocol, 'TLSv1.1');
    } finally {
      server.close();
    }
  });

  it('accepts TLS 1.2 and TLS 1.3', async () => {
    const r12 = await sClient(ports.smtp, ['-tls1_2', '-servername', 'alpha.test']);
    assert.ok(r12.ok, r12.output);
    assert.equal(r12.protocol, 'TLSv1.2');
    const r13 = await sClient(ports.smtp, ['-tls1_3', '-servername', 'alpha.test']);
    assert.ok(r13.ok, r13.output);
    assert.equal(r13.protocol, 'TLSv1.3');
  });

  it('refuses CBC/SHA-1 suites on TLS 1.2', async () => {
    const r = await sClient(ports.smtp, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:AES128-SHA:DES-CBC3-SHA@SECLEVEL=0']);
    assert.equal(r.ok, false, r.output);
  });

  it('picks the certificate by SNI, wildcard included', async () => {
    assert.match((await sClient(ports.imap, ['-servername', 'beta.test'])).subject ?? '', /CN ?= ?beta\.test/);
    assert.match((await sClient(ports.imap, ['-servername', 'x.beta.test'])).subject ?? '', /CN ?= ?beta\.test/);
    assert.match((await sClient(ports.imap, ['-servername', 'unknown.example'])).subject ?? '', /CN ?= ?alpha\.test/);
    assert.match((await sClient(ports.imap, ['-noservername'])).subject ?? '', /CN ?= ?alpha\.test/);
  });

  it('ALPACA: an http/1.1-only ALPN offer fails the handshake on smtp and imap', async () => {
    for (const port of [ports.smtp, ports.imap]) {
      const r = await sClient(port, ['-servername', 'beta.test', '-alpn', 'http/1.1']);
      assert.equal(r.ok, false, r.output);
      assert.match(r.output, /no application protocol/);
      const r12 = await sClient(port, ['-tls1_2', '-alpn', 'http/1.1']);
      assert.equal(r12.ok, false, r12.output);
    }
  });

  it('smtp accepts an offer of smtp (selected) and no ALPN at all', async () => {
    const offered = await sClient(ports.smtp, ['-servername', 'beta.test', '-alpn', 'http/1.1,smtp']);
    assert.ok(offered.ok, offered.output);
    assert.equal(offered.alpn, 'smtp');
    const none = await sClient(ports.smtp, ['-servername', 'beta.test']);
    assert.ok(none.ok, none.output);
    assert.equal(none.alpn, undefined);
    assert.match(none.output, /No ALPN negotiated/);
  });

  it('https refuses an imap-only offer and accepts http/1.1', async () => {
    const imap = await sClient(ports.https, ['-alpn', 'imap']);
    assert.equal(imap.ok, false, imap.output);
    const http = await sClient(ports.https, ['-alpn', 'http/1.1']);
    assert.ok(http.ok, http.output);
    assert.equal(http.alpn, 'http/1.1');
  });
});

describe('a certificate changed on disk is served on the next handshake', () => {
  it('certbot renewal (symlink swap) is picked up by fs.watch, no reload call', async () => {
    const s = settingsIn(join(tmp.dir, `swap${++n}`));
    await writeLetsEncrypt(s.certsDir, 'beta.test', alpha); // an old certificate...
    const registry = await openCertificateRegistry(s, silentLogger, { pollMs: 0 });
    const { server, port } = await listen(registry, 'smtp');
    try {
      assert.equal(await peerFingerprint(port, 'alpha.test'), alpha.fingerprint256);
      await writeLetsEncrypt(s.certsDir, 'beta.test', beta, 2); // ...renewed with new names and key
      await eventually(async () => (await peerFingerprint(port, 'beta.test')) === beta.fingerprint256);
    } finally {
      server.close();
      registry.close();
    }
  });

  it('an explicit file rewritten in place is picked up by the poll alone', async () => {
    const base = join(tmp.dir, `swap${++n}`);
    const pair = await writePemPair(join(base, 'files'), 'mail', alpha);
    const registry = await openCertificateRegistry(settingsIn(base, { certificates: [pair] }), silentLogger, { fsWatch: false, pollMs: 100 });
    const { server, port } = await listen(registry, 'imap');
    try {
      assert.equal(await peerFingerprint(port, 'alpha.test'), alpha.fingerprint256);
      await writeFile(pair.key, beta.keyPem);
      await writeFile(pair.cert, beta.chainPem);
      await eventually(async () => (await peerFingerprint(port, 'beta.test')) === beta.fingerprint256);
    } finally {
      server.close();
      registry.close();
    }
  });

  it('clients without SNI get the new default once onChange refreshes the listener', async () => {
    const base = join(tmp.dir, `swap${++n}`);
    const pair = await writePemPair(join(base, 'files'), 'mail', alpha);
    const registry = await openCertificateRegistry(settingsIn(base, { certificates: [pair] }), silentLogger, { watch: false });
    const { server, port } = await listen(registry, 'smtp');
    registry.onChange(() => server.setSecureContext(registry.serverOptions('smtp')));
    try {
      assert.equal(await peerFingerprint(port), alpha.fingerprint256);
      await writeFile(pair.key, beta.keyPem);
      await writeFile(pair.cert, beta.chainPem);
      await registry.reload();
      assert.equal(await peerFingerprint(port), beta.fingerprint256);
      assert.equal(await peerFingerprint(port, 'beta.test'), beta.fingerprint256);
    } finally {
      server.close();
      registry.close();
    }
  });
});
