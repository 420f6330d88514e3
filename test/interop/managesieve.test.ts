/*
 * Real ManageSieve clients against `petrel serve` over STARTTLS:
 * sieve-connect (Debian, Perl; it verifies our certificate against a test
 * CA for the SNI name it sends) and Python's sievelib (Debian
 * python3-sievelib) upload, list, activate, download, check, rename and
 * delete scripts; a syntax error comes back with its line and column;
 * `openssl s_client -starttls sieve` verifies the certificate by SNI.
 * Skipped with a message naming scripts/install-test-deps.sh when a
 * client is missing; failed instead under PETREL_REQUIRE_INTEROP=1.
 *
 * Security: test only; 127.0.0.1; a test CA's certificates in certs_dir.
 * Standards: RFC 5804.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { after, before, describe, it } from 'node:test';
import { createTestCa, issueCertificate, makeTempDir, writeLetsEncrypt } from '../support/certs.js';
import { PetrelProcess } from '../support/petrel.js';
import { requireTools, run } from '../support/tools.js';

const PYTHON = '/usr/bin/python3';
const SIEVELIB = '/usr/lib/python3/dist-packages/sievelib/managesieve.py';
const FILEINTO = 'require ["fileinto"];\r\nif header :contains "List-Id" "petrel" {\r\n  fileinto "Lists";\r\n}\r\n';
const BROKEN = 'require "fileinto";\r\nfileinto "x"\r\nkeep;\r\n';

let p: PetrelProcess;
let dir: string;
let caFile: string;
let cleanup: () => Promise<void>;

/** True when Debian's python3 with sievelib is there; otherwise skips (or fails under PETREL_REQUIRE_INTEROP=1). */
function requireSievelib(t: TestContext): boolean {
  if (existsSync(PYTHON) && existsSync(SIEVELIB)) return true;
  const message = 'missing python3-sievelib: run scripts/install-test-deps.sh';
  if (process.env.PETREL_REQUIRE_INTEROP === '1') throw new Error(message);
  t.skip(message);
  return false;
}

before(async () => {
  const tmp = await makeTempDir('petrel-sieve-interop-');
  dir = tmp.dir;
  cleanup = tmp.cleanup;
  const ca = await createTestCa('Petrel ManageSieve Interop CA');
  await writeLetsEncrypt(join(dir, 'certs'), 'example.com', await issueCertificate(ca, ['example.com', 'mail.example.com']), 1);
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.certPem);
  p = await PetrelProcess.create({ logLevel: 'info', extraToml: `[tls]\ncerts_dir = "${join(dir, 'certs')}"\ndefault_name = "example.com"` });
  await p.start();
  await p.addDomain('example.com');
  await p.addUser('alice@example.com', 'alice-pw');
  await p.addUser('bob@example.com', 'bob-pw');
});
after(async () => {
  await p.destroy();
  await cleanup();
});

describe('sieve-connect', () => {
  /** One sieve-connect action as alice, verifying the certificate for mail.example.com; the password on stdin (--passwordfd 0); the mechanism its own choice from our SASL list. */
  const sieveConnect = (args: string[]) =>
    run('sieve-connect', ['--server', '127.0.0.1', '--port', String(p.ports.managesieve), '--nosrv', '--user', 'alice@example.com', '--passwordfd', '0', '--tlscafile', caFile, '--tlshostname', 'mail.example.com', '--noclearchan', ...args], { input: 'alice-pw\n', timeoutMs: 30_000 });

  it('uploads over STARTTLS (certificate verified for the SNI name), lists, activates, downloads, deactivates and deletes', async (t) => {
    if (!requireTools(t, 'sieve-connect')) return;
    const local = join(dir, 'lists.sieve');
    writeFileSync(local, FILEINTO);
    const up = await sieveConnect(['--upload', '--localsieve', local, '--remotesieve', 'lists']);
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    const activate = await sieveConnect(['--activate', '--remotesieve', 'lists']);
    assert.equal(activate.code, 0, activate.stderr);
    const list = await sieveConnect(['--list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^"lists" ACTIVE$/m);
    const copy = join(dir, 'copy.sieve');
    const down = await sieveConnect(['--download', '--remotesieve', 'lists', '--localsieve', copy]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(readFileSync(copy, 'utf8'), FILEINTO, 'downloaded byte for byte');
    assert.notEqual((await sieveConnect(['--delete', '--remotesieve', 'lists'])).code, 0, 'the active script is not deleted');
    assert.equal((await sieveConnect(['--deactivate'])).code, 0);
    const del = await sieveConnect(['--delete', '--remotesieve', 'lists']);
    assert.equal(del.code, 0, del.stderr);
    assert.doesNotMatch((await sieveConnect(['--list'])).stdout, /lists/);
    assert.match(p.log, /starttls protocol=TLSv1\.3 sni=mail\.example\.com/);
  });

  it('reports a syntax error with its line and column and stores nothing', async (t) => {
    if (!requireTools(t, 'sieve-connect')) return;
    const local = join(dir, 'broken.sieve');
    writeFileSync(local, BROKEN);
    const r = await sieveConnect(['--upload', '--localsieve', local, '--remotesieve', 'broken']);
    assert.notEqual(r.code, 0);
    assert.match(`${r.stdout}${r.stderr}`, /line 3, column 1/);
    assert.doesNotMatch((await sieveConnect(['--list'])).stdout, /broken/);
  });

  it('refuses a wrong password', async (t) => {
    if (!requireTools(t, 'sieve-connect')) return;
    const r = await run('sieve-connect', ['--server', '127.0.0.1', '--port', String(p.ports.managesieve), '--nosrv', '--user', 'alice@example.com', '--authmech', 'PLAIN', '--passwordfd', '0', '--tlscafile', caFile, '--tlshostname', 'mail.example.com', '--noclearchan', '--list'], { input: 'wrong\n', timeoutMs: 30_000 });
    assert.notEqual(r.code, 0);
  });
});

describe('openssl s_client', () => {
  it('-starttls sieve verifies the certificate for the SNI name, and a session runs inside TLS', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const token = Buffer.from('\0alice@example.com\0alice-pw').toString('base64');
    const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${p.ports.managesieve}`, '-starttls', 'sieve', '-servername', 'mail.example.com', '-verify_hostname', 'mail.example.com', '-CAfile', caFile, '-verify_return_error', '-quiet', '-ign_eof', '-crlf'], {
      input: `AUTHENTICATE "PLAIN" "${token}"\nPUTSCRIPT "ossl" {5+}\nkeep;\nLISTSCRIPTS\nDELETESCRIPT "ossl"\nLOGOUT\n`,
      timeoutMs: 15_000,
    });
    assert.match(r.stderr, /verify return:1/);
    assert.match(r.stdout, /^"SASL" "PLAIN"\r$/m, 'the capabilities re-sent after the handshake');
    assert.doesNotMatch(r.stdout, /^"STARTTLS"/m);
    assert.match(r.stdout, /^OK "Logged in"\r$/m);
    assert.match(r.stdout, /^"ossl"\r\nOK "Listscripts completed"\r$/m);
    assert.match(r.stdout, /^OK "Logout completed"\r$/m);
  });
});

describe('python sievelib', () => {
  it('connects with STARTTLS and AUTHENTICATE PLAIN, and drives every script command', async (t) => {
    if (!requireSievelib(t)) return;
    const script = [
      'import json, sys',
      'from sievelib.managesieve import Client',
      `c = Client("127.0.0.1", ${p.ports.managesieve})`,
      'out = {}',
      'out["connect"] = c.connect("bob@example.com", "bob-pw", starttls=True, authmech="PLAIN")',
      'out["implementation"] = c.get_implementation()',
      'out["sasl"] = c.get_sasl_mechanisms()',
      'out["sieve"] = c.get_sieve_capabilities()',
      `out["put"] = c.putscript("lists", ${JSON.stringify(FILEINTO)})`,
      'out["put2"] = c.putscript("other", "keep;")',
      `out["check_bad"] = c.checkscript(${JSON.stringify(BROKEN)})`,
      'out["error"] = c.errmsg.decode() if isinstance(c.errmsg, bytes) else c.errmsg',
      'out["havespace"] = c.havespace("more", 100)',
      'out["activate"] = c.setactive("lists")',
      'out["list"] = c.listscripts()',
      'out["get"] = c.getscript("lists")',
      'out["delete_active"] = c.deletescript("lists")',
      'out["rename"] = c.renamescript("other", "renamed")',
      'out["delete"] = c.deletescript("renamed")',
      'out["list2"] = c.listscripts()',
      'c.logout()',
      'print(json.dumps(out))',
    ].join('\n');
    const r = await run(PYTHON, ['-c', script], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(out.connect, true);
    assert.equal(out.implementation, 'Petrel');
    assert.deepEqual(out.sasl, ['PLAIN']);
    assert.ok((out.sieve as string[]).includes('fileinto'));
    assert.equal(out.put, true);
    assert.equal(out.put2, true);
    assert.equal(out.check_bad, false);
    assert.match(String(out.error), /line 3, column 1/);
    assert.equal(out.havespace, true);
    assert.equal(out.activate, true);
    assert.deepEqual(out.list, ['lists', ['other']]);
    // sievelib joins the literal's lines with LF and drops the last line end.
    assert.equal(out.get, FILEINTO.replace(/\r\n/g, '\n').replace(/\n$/, ''));
    assert.equal(out.delete_active, false, 'the active script is not deleted');
    assert.equal(out.rename, true);
    assert.equal(out.delete, true);
    assert.deepEqual(out.list2, ['lists', []]);
  });
});
