/*
 * TLS on the SMTP-family listeners, black box with `openssl s_client`
 * against a real Petrel whose certs_dir holds three domains in the Let's
 * Encrypt layout (each its own certificate from a test CA): the right
 * certificate per SNI name on MX STARTTLS, submission STARTTLS, implicit
 * TLS and LMTP STARTTLS; the default for unknown and missing SNI; a renewed
 * certificate served without a restart; `petrel cert list|reload`; TLS 1.2
 * and 1.3 only; the ALPN rule on implicit TLS (ALPACA).
 *
 * Security: test only; 127.0.0.1; keys live in a temp directory.
 * Standards: RFC 6066 section 3 (SNI), RFC 8996 (no TLS 1.0/1.1), RFC 8314,
 * RFC 3207, RFC 7301 section 3.2 (no_application_protocol).
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { after, before, describe, it, type TestContext } from 'node:test';
import { createTestCa, issueCertificate, makeTempDir, writeLetsEncrypt, type TestCa, type TestCertificate } from '../support/certs.js';
import { PetrelProcess } from '../support/petrel.js';
import { requireTools, run, type RunResult } from '../support/tools.js';

const DAY = 86_400_000;
/** Each domain expires on a different day so `cert list` can be checked line by line. */
const DOMAINS = [
  { name: 'alpha.test', days: 30 },
  { name: 'beta.test', days: 60 },
  { name: 'gamma.test', days: 90 },
] as const;

let petrel: PetrelProcess;
let ca: TestCa;
let certsDir: string;
let cleanup: () => Promise<void>;
const issued = new Map<string, TestCertificate>();

type Port = 'mx' | 'submission' | 'submissions' | 'lmtp';
const STARTTLS: Record<Port, string[]> = { mx: ['-starttls', 'smtp'], submission: ['-starttls', 'smtp'], submissions: [], lmtp: ['-starttls', 'lmtp'] };

function sClient(port: Port, args: string[]): Promise<RunResult> {
  return run('openssl', ['s_client', '-connect', `127.0.0.1:${petrel.ports[port]}`, ...STARTTLS[port], ...args], { input: '', timeoutMs: 10_000 });
}

interface Served {
  subject: string;
  san: string;
  fingerprint256: string;
}

/** The leaf certificate the server sent, from s_client's output. */
function served(r: RunResult): Served {
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.stdout)?.[0];
  assert.ok(pem, `no certificate served:\n${r.stdout}\n${r.stderr}`);
  const cert = new X509Certificate(pem);
  return { subject: cert.subject, san: cert.subjectAltName ?? '', fingerprint256: cert.fingerprint256 };
}

async function servedFor(port: Port, servername: string | undefined): Promise<Served> {
  const r = await sClient(port, servername === undefined ? ['-noservername'] : ['-servername', servername]);
  return served(r);
}

before(async () => {
  ({ dir: certsDir, cleanup } = await makeTempDir());
  ca = await createTestCa('Petrel SMTP TLS Test CA');
  for (const d of DOMAINS) {
    const cert = await issueCertificate(ca, [d.name, `mail.${d.name}`], { notAfter: new Date(Date.now() + d.days * DAY) });
    issued.set(d.name, cert);
    await writeLetsEncrypt(certsDir, d.name, cert, 1);
  }
  petrel = await PetrelProcess.create({ extraToml: `[tls]\ncerts_dir = "${certsDir}"\ndefault_name = "alpha.test"` });
  await petrel.start();
});

after(async () => {
  await petrel?.destroy();
  await cleanup?.();
});

describe('SNI: each domain gets its own certificate on every SMTP-family port', () => {
  for (const port of ['mx', 'submission', 'submissions', 'lmtp'] as const) {
    it(`${port}: three domains by name and by their mail. host, the default otherwise`, async (t) => {
      if (!requireTools(t, 'openssl')) return;
      for (const d of DOMAINS) {
        for (const name of [d.name, `mail.${d.name}`, `MAIL.${d.name.toUpperCase()}`]) {
          const got = await servedFor(port, name);
          assert.equal(got.fingerprint256, issued.get(d.name)!.fingerprint256, `${port} SNI ${name}: served ${got.subject}`);
          assert.equal(got.subject, `CN=${d.name}`);
          assert.equal(got.san, `DNS:${d.name}, DNS:mail.${d.name}`);
        }
      }
      for (const name of ['unknown.test', 'beta.test.evil.test', undefined]) {
        const got = await servedFor(port, name);
        assert.equal(got.fingerprint256, issued.get('alpha.test')!.fingerprint256, `${port} SNI ${name ?? '(none)'}: served ${got.subject}`);
      }
    });
  }
});

describe('certificate renewal and the cert command', () => {
  it('petrel cert list shows each certificate with its names and expiry', async () => {
    const r = await petrel.cli(['cert', 'list']);
    assert.equal(r.code, 0, r.stderr);
    for (const d of DOMAINS) {
      const line = r.stdout.split('\n').find((l) => l.includes(`${d.name},mail.${d.name}`) || l.includes(`${d.name}, mail.${d.name}`));
      assert.ok(line, `${d.name} missing from:\n${r.stdout}`);
      const expires = new Date(Date.now() + d.days * DAY).toISOString().slice(0, 10);
      assert.ok(line.includes(expires), `${d.name}: expected expiry ${expires} in "${line}"`);
    }
    assert.match(r.stdout, /^.*alpha\.test.*default/m);
  });

  it('a certificate renewed on disk is served on the next handshakes without a restart', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const pid = petrel.child!.pid;
    const old = issued.get('beta.test')!;
    const renewed = await issueCertificate(ca, ['beta.test', 'mail.beta.test'], { notAfter: new Date(Date.now() + 120 * DAY) });
    assert.notEqual(renewed.fingerprint256, old.fingerprint256);
    await writeLetsEncrypt(certsDir, 'beta.test', renewed, 2);
    const deadline = Date.now() + 15_000;
    let got = await servedFor('submissions', 'beta.test');
    while (got.fingerprint256 !== renewed.fingerprint256 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      got = await servedFor('submissions', 'beta.test');
    }
    assert.equal(got.fingerprint256, renewed.fingerprint256, 'renewed certificate not served within 15 s');
    for (const port of ['mx', 'submission', 'lmtp'] as const) {
      assert.equal((await servedFor(port, 'mail.beta.test')).fingerprint256, renewed.fingerprint256, `${port} still serves the old certificate`);
    }
    // The other domains are untouched, and it was the same process all along.
    assert.equal((await servedFor('submissions', 'gamma.test')).fingerprint256, issued.get('gamma.test')!.fingerprint256);
    assert.equal(petrel.child!.pid, pid);
    assert.equal(petrel.child!.exitCode, null);
    issued.set('beta.test', renewed);
  });

  it('petrel cert reload makes the running server reload (log line)', async () => {
    const count = () => (petrel.log.match(/ reloaded certificates=/g) ?? []).length;
    const before = count();
    const r = await petrel.cli(['cert', 'reload']);
    assert.equal(r.code, 0, r.stderr);
    const deadline = Date.now() + 10_000;
    while (count() === before && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    assert.equal(count(), before + 1, `no reload logged:\n${petrel.log.slice(-2000)}`);
    assert.match(petrel.log, /reloaded certificates=3/);
  });
});

/** Whether this openssl can speak TLS 1.1 at all: against a local server that allows it. */
async function clientCanDoTls11(): Promise<boolean> {
  const cert = issued.get('gamma.test')!;
  const server = tls.createServer({ key: cert.keyPem, cert: cert.chainPem, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end());
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  try {
    const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0'], { input: '', timeoutMs: 10_000 });
    return /Protocol *: TLSv1\.1|New, TLSv1(\.1)?,/.test(r.stdout) && !/Cipher is \(NONE\)/.test(r.stdout);
  } catch {
    return false;
  } finally {
    server.close();
  }
}

describe('protocol versions and ALPN', () => {
  const negotiated = (r: RunResult) => /New, (TLSv[\d.]+), Cipher is (\S+)/.exec(r.stdout);

  it('TLS 1.1 is refused on 465 and after STARTTLS, even by a client that can speak it', async (t: TestContext) => {
    if (!requireTools(t, 'openssl')) return;
    if (!(await clientCanDoTls11())) {
      // Without a client able to offer TLS 1.1 a refusal proves nothing.
      if (process.env.PETREL_REQUIRE_INTEROP === '1') throw new Error('this openssl cannot speak TLS 1.1 even at SECLEVEL=0');
      t.skip('openssl here cannot speak TLS 1.1, so its refusal would prove nothing');
      return;
    }
    for (const port of ['submissions', 'submission', 'mx', 'lmtp'] as const) {
      const r = await sClient(port, ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0', '-servername', 'alpha.test']);
      assert.notEqual(r.code, 0, `${port} accepted TLS 1.1:\n${r.stdout}`);
      assert.equal(negotiated(r)?.[2] ?? '(NONE)', '(NONE)', `${port}: ${negotiated(r)?.[0]}`);
      assert.match(r.stderr, /protocol version|unsupported protocol|wrong version/i);
    }
  });

  for (const version of ['1.2', '1.3'] as const) {
    it(`TLS ${version} is accepted on 465 and after STARTTLS`, async (t) => {
      if (!requireTools(t, 'openssl')) return;
      for (const port of ['submissions', 'submission', 'mx', 'lmtp'] as const) {
        const r = await sClient(port, [`-tls${version.replace('.', '_')}`, '-servername', 'alpha.test']);
        assert.equal(r.code, 0, `${port} TLS ${version}:\n${r.stdout}\n${r.stderr}`);
        assert.equal(negotiated(r)?.[1], `TLSv${version}`, `${port}: ${negotiated(r)?.[0]}`);
      }
    });
  }

  it('465 refuses an http/1.1-only ALPN offer (ALPACA) and accepts smtp', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    for (const offer of ['http/1.1', 'h2,http/1.1', 'imap']) {
      const r = await sClient('submissions', ['-alpn', offer, '-servername', 'alpha.test']);
      assert.notEqual(r.code, 0, `ALPN ${offer} accepted:\n${r.stdout}`);
      assert.match(r.stderr, /no application protocol/i);
    }
    for (const offer of ['smtp', 'http/1.1,smtp']) {
      const r = await sClient('submissions', ['-alpn', offer, '-servername', 'alpha.test']);
      assert.equal(r.code, 0, `ALPN ${offer}:\n${r.stderr}`);
      assert.match(r.stdout, /ALPN protocol: smtp/);
    }
    // No ALPN at all (what mail clients send) is unaffected.
    assert.equal((await sClient('submissions', ['-servername', 'alpha.test'])).code, 0);
  });
});
