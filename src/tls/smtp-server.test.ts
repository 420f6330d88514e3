/*
 * serverOptions('smtp') spread into a real smtp-server SMTPServer: each of
 * three domains (one IDN) gets its own certificate on STARTTLS and on
 * implicit TLS, TLS 1.1 is refused on both paths, a renewed default reaches
 * clients without SNI through onChange + updateSecureContext, and the ALPN
 * policy holds on 465 when Petrel terminates TLS itself and hands the socket
 * to smtp-server (`secure: true, secured: true`).
 * Client: openssl s_client (-starttls smtp), on 127.0.0.1.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tls from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { silentLogger } from '../telemetry/index.js';
import { createTestCa, issueCertificate, makeTempDir, writeLetsEncrypt, writePemPair, type TestCertificate } from '../../test/support/certs.js';
import { openCertificateRegistry, type CertificateRegistry } from './index.js';

interface Probe {
  ok: boolean;
  fingerprint?: string;
  protocol?: string;
  output: string;
}

/** openssl s_client; prints the peer certificate with -showcerts and fingerprints it. */
function probe(port: number, args: string[], quitAfterMs = 0): Promise<Probe> {
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
      const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(output)?.[0];
      resolve({
        ok: cipher !== undefined && cipher !== '(NONE)',
        fingerprint: pem ? new X509Certificate(pem).fingerprint256 : undefined,
        protocol: /Protocol\s*: (\S+)/.exec(output)?.[1],
        output,
      });
    });
    // smtp-server answers a command sent before its greeting with 421 (early talker): with quitAfterMs, QUIT waits
    // for the greeting (at most that long; a loaded machine may take a while to finish the handshake).
    if (quitAfterMs > 0) {
      const quit = () => {
        clearInterval(watch);
        clearTimeout(latest);
        if (child.stdin.writable) child.stdin.end('QUIT\r\n');
      };
      const watch = setInterval(() => /^220 /m.test(output) && quit(), 20);
      const latest = setTimeout(quit, quitAfterMs);
    } else child.stdin.end('QUIT\r\n');
  });
}

async function start(options: SMTPServerOptions): Promise<{ server: SMTPServer; port: number }> {
  const server = new SMTPServer({ logger: false, authOptional: true, disabledCommands: ['AUTH'], ...options });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.server.address() as AddressInfo).port };
}

const stop = (server: SMTPServer): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

let tmp: { dir: string; cleanup: () => Promise<void> };
let certs: Record<'alpha' | 'beta' | 'idn', TestCertificate>;
const names = { alpha: 'alpha.test', beta: 'mx.beta.test', idn: 'xn--bcher-kva.test' } as const;
let registry: CertificateRegistry;
let pair: { cert: string; key: string };

before(async () => {
  tmp = await makeTempDir();
  const ca = await createTestCa();
  const [alpha, beta, idn, fresh] = await Promise.all([
    issueCertificate(ca, ['alpha.test']),
    issueCertificate(ca, ['*.beta.test']),
    issueCertificate(ca, ['xn--bcher-kva.test']),
    issueCertificate(ca, ['alpha.test']),
  ]);
  certs = { alpha, beta, idn };
  const certsDir = join(tmp.dir, 'le');
  await writeLetsEncrypt(certsDir, 'beta.test', beta);
  await writeLetsEncrypt(certsDir, 'bücher', idn);
  pair = await writePemPair(join(tmp.dir, 'files'), 'alpha', alpha);
  registry = await openCertificateRegistry(
    { certsDir, certificates: [pair], selfSignedDir: join(tmp.dir, 'ss'), hostname: 'alpha.test' },
    silentLogger,
    { watch: false },
  );
  renewed = fresh;
});
after(async () => {
  registry.close();
  await tmp.cleanup();
});
let renewed: TestCertificate;

describe('smtp-server with serverOptions("smtp")', () => {
  it('STARTTLS (587/25): each domain gets its own certificate; TLS 1.1 refused', async () => {
    const { server, port } = await start({ ...registry.serverOptions('smtp'), secure: false });
    try {
      for (const key of ['alpha', 'beta', 'idn'] as const) {
        const r = await probe(port, ['-starttls', 'smtp', '-servername', names[key], '-showcerts']);
        assert.ok(r.ok, r.output);
        assert.equal(r.fingerprint, certs[key].fingerprint256, `${names[key]} on STARTTLS`);
      }
      const old = await probe(port, ['-starttls', 'smtp', '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);
      assert.equal(old.ok, false, old.output);
      assert.match(old.output, /alert protocol version/);
    } finally {
      await stop(server);
    }
  });

  it('implicit TLS (465): each domain gets its own certificate; TLS 1.1 refused', async () => {
    const { server, port } = await start({ ...registry.serverOptions('smtp'), secure: true });
    try {
      for (const key of ['alpha', 'beta', 'idn'] as const) {
        const r = await probe(port, ['-servername', names[key], '-showcerts']);
        assert.ok(r.ok, r.output);
        assert.equal(r.fingerprint, certs[key].fingerprint256, `${names[key]} on implicit TLS`);
      }
      const none = await probe(port, ['-noservername', '-showcerts']);
      assert.equal(none.fingerprint, certs.alpha.fingerprint256, 'no SNI: the default certificate');
      const old = await probe(port, ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);
      assert.equal(old.ok, false, old.output);
    } finally {
      await stop(server);
    }
  });

  it('a renewed default reaches clients without SNI after onChange -> updateSecureContext', async () => {
    const { server, port } = await start({ ...registry.serverOptions('smtp'), secure: false });
    const off = registry.onChange(() => server.updateSecureContext(registry.serverOptions('smtp')));
    try {
      await writeFile(pair.key, renewed.keyPem);
      await writeFile(pair.cert, renewed.chainPem);
      await registry.reload();
      const r = await probe(port, ['-starttls', 'smtp', '-noservername', '-showcerts']);
      assert.equal(r.fingerprint, renewed.fingerprint256);
      const sni = await probe(port, ['-starttls', 'smtp', '-servername', 'alpha.test', '-showcerts']);
      assert.equal(sni.fingerprint, renewed.fingerprint256);
    } finally {
      off();
      await stop(server);
      certs.alpha = renewed;
    }
  });

  it('465 terminated by Petrel (secured: true) enforces the ALPN policy', async () => {
    const smtp = new SMTPServer({ ...registry.serverOptions('smtp'), secure: true, secured: true, logger: false, authOptional: true });
    smtp.on('error', () => undefined);
    const front = tls.createServer(registry.serverOptions('smtp'), (socket) => smtp.server.emit('connection', socket));
    front.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const port = (front.address() as AddressInfo).port;
    try {
      const http = await probe(port, ['-servername', names.beta, '-alpn', 'http/1.1']);
      assert.equal(http.ok, false, http.output);
      assert.match(http.output, /no application protocol/);
      const ok = await probe(port, ['-servername', names.beta, '-alpn', 'smtp', '-showcerts', '-ign_eof'], 4000);
      assert.ok(ok.ok, ok.output);
      assert.equal(ok.fingerprint, certs.beta.fingerprint256);
      assert.match(ok.output, /^220 /m, 'smtp-server greets over the terminated TLS');
      assert.match(ok.output, /^221 /m, 'and answers QUIT');
    } finally {
      front.close();
      await stop(smtp);
    }
  });
});
