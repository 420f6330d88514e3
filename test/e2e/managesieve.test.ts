/*
 * ManageSieve in the running server (`petrel serve` with the
 * [managesieve] role), driven over real sockets by a raw client: the
 * greeting's capabilities before and after STARTTLS, the certificate by
 * SNI, STARTTLS plaintext injection, AUTHENTICATE "PLAIN" (initial
 * response, the continuation form, cancel, failures, refused before TLS),
 * every script command with its response codes, the limits from
 * [managesieve] (an oversized literal refused without being read), users
 * kept apart, UNAUTHENTICATE, LOGOUT; `petrel sieve` against the same
 * data (what ManageSieve stored, and a compile error with its position);
 * and a script acknowledged with OK surviving kill -9.
 *
 * Security: test only; 127.0.0.1; a test CA's certificates in certs_dir.
 * Standards: RFC 5804, RFC 4616, RFC 7301 (ALPN).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { SIEVE_EXTENSIONS } from '../../src/sieve/index.js';
import { createTestCa, issueCertificate, makeTempDir, writeLetsEncrypt } from '../support/certs.js';
import { plainToken, SieveWire } from '../support/managesieve.js';
import { PetrelProcess } from '../support/petrel.js';

let p: PetrelProcess;
let cleanup: () => Promise<void>;
const FILEINTO = 'require "fileinto";\r\nfileinto "Lists";\r\n';
const KEEP = 'keep;\r\n';
const BROKEN = 'require "fileinto";\r\nif true {\r\n  fileinto "x"\r\n}\r\n';

before(async () => {
  const tmp = await makeTempDir('petrel-sieve-e2e-');
  cleanup = tmp.cleanup;
  const ca = await createTestCa('Petrel ManageSieve Test CA');
  for (const name of ['alpha.test', 'beta.test']) await writeLetsEncrypt(tmp.dir, name, await issueCertificate(ca, [name, `mail.${name}`]), 1);
  p = await PetrelProcess.create({
    logLevel: 'info',
    extraToml: `[tls]\ncerts_dir = "${tmp.dir}"\ndefault_name = "alpha.test"`,
    managesieve: 'max_script_size = "1K"\nmax_scripts = 3\nmax_storage = "1500"',
  });
  await p.start();
  await p.addDomain('example.com');
  for (const u of ['alice', 'bob', 'carol', 'dave']) await p.addUser(`${u}@example.com`, `${u}-pw`);
});
after(async () => {
  await p.destroy();
  await cleanup();
});

const capability = (text: string, name: string) => new RegExp(`^"${name}"(?: "([^"]*)")?\\r$`, 'm').exec(text);

describe('ManageSieve greeting and STARTTLS', () => {
  it('greets with the capabilities: SIEVE lists the extensions, no SASL mechanism before TLS, STARTTLS, MAXREDIRECTS, NOTIFY, VERSION', async () => {
    const w = await SieveWire.open(p.ports.managesieve);
    const g = w.greeting;
    assert.equal(capability(g, 'IMPLEMENTATION')?.[1], 'Petrel');
    assert.equal(capability(g, 'SIEVE')?.[1], SIEVE_EXTENSIONS.join(' '));
    assert.ok(capability(g, 'SIEVE')![1]!.split(' ').includes('fileinto'));
    assert.equal(capability(g, 'SASL')?.[1], '', 'no mechanism before TLS');
    assert.ok(capability(g, 'STARTTLS'));
    assert.equal(capability(g, 'MAXREDIRECTS')?.[1], '4');
    assert.equal(capability(g, 'NOTIFY')?.[1], 'mailto');
    assert.equal(capability(g, 'VERSION')?.[1], '1.0');
    assert.match(g, /\r\nOK "[^"\r\n]*"\r\n$/);
    assert.equal(await w.cmd('CAPABILITY'), g.replace(/OK "[^"]*"\r\n$/, 'OK "Capability completed"\r\n'));
    assert.match(await w.cmd('LOGOUT'), /^OK/);
    await w.waitClosed();
  });

  it('refuses AUTHENTICATE before TLS with NO (ENCRYPT-NEEDED) and the script commands before login', async () => {
    const w = await SieveWire.open(p.ports.managesieve);
    assert.match(await w.cmd(`AUTHENTICATE "PLAIN" "${plainToken('alice@example.com', 'alice-pw')}"`), /^NO \(ENCRYPT-NEEDED\) /);
    assert.match(await w.cmd('LISTSCRIPTS'), /^NO "Log in first/);
    assert.match(await w.cmd('PUTSCRIPT "x" {5+}\r\nkeep;'), /^NO /);
    assert.match(await w.cmd('NOOP'), /^OK/);
    assert.match(p.log, /plaintext-login-refused command=AUTHENTICATE/);
    w.close();
  });

  for (const name of ['alpha.test', 'mail.beta.test']) {
    it(`STARTTLS serves the certificate for the SNI name ${name}, then the capabilities with SASL PLAIN and without STARTTLS`, async () => {
      const w = await SieveWire.open(p.ports.managesieve);
      const { capabilities, certificate } = await w.startTls(name);
      const want = name.replace(/^mail\./, '');
      assert.ok(certificate.subjectaltname?.includes(`DNS:${want}`), certificate.subjectaltname);
      assert.equal(capability(capabilities, 'SASL')?.[1], 'PLAIN');
      assert.equal(capability(capabilities, 'STARTTLS'), null);
      assert.match(capabilities, /\r\nOK "TLS negotiation successful"\r\n$/);
      assert.match(await w.cmd('STARTTLS'), /^NO /, 'no second STARTTLS');
      w.close();
    });
  }

  it('STARTTLS injection: an AUTHENTICATE pipelined after STARTTLS in the same write is discarded, never run inside TLS', async () => {
    const w = await SieveWire.open(p.ports.managesieve);
    w.send(`STARTTLS\r\nAUTHENTICATE "PLAIN" "${plainToken('alice@example.com', 'alice-pw')}"\r\n`);
    assert.match(await w.response(), /^OK "Begin TLS/);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(w.pending, '', 'nothing answered the pipelined command');
    const secure = tls.connect({ socket: w.sock, rejectUnauthorized: false, servername: 'alpha.test' });
    w.sock.removeAllListeners('data');
    w.attach(secure);
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    await w.response();
    assert.match(await w.cmd('LISTSCRIPTS'), /^NO "Log in first/, 'the injected login did not happen');
    w.close();
  });

  it('refuses an http/1.1-only ALPN offer at the STARTTLS handshake (ALPACA)', async () => {
    const w = await SieveWire.open(p.ports.managesieve);
    await assert.rejects(w.startTls('alpha.test', ['http/1.1']));
    w.close();
  });
});

describe('ManageSieve AUTHENTICATE "PLAIN"', () => {
  it('logs in with an initial response (quoted) and with the continuation form (a literal after the empty challenge)', async () => {
    const a = await SieveWire.login(p.ports.managesieve, 'alice@example.com', 'alice-pw');
    assert.match(await a.cmd('LISTSCRIPTS'), /^OK/);
    a.close();
    const w = await SieveWire.open(p.ports.managesieve);
    await w.startTls('alpha.test');
    w.send('AUTHENTICATE "PLAIN"\r\n');
    assert.equal(await w.line(), '""');
    const token = plainToken('bob@example.com', 'bob-pw');
    assert.match(await w.cmd(`{${token.length}+}\r\n${token}`), /^OK "Logged in"/);
    const caps = await w.cmd('CAPABILITY');
    assert.equal(capability(caps, 'OWNER')?.[1], 'bob@example.com');
    assert.match(await w.cmd('AUTHENTICATE "PLAIN"'), /^NO /, 'no second login');
    w.close();
  });

  it('answers a wrong password and an unknown user alike, cancels on "*", refuses junk, and ends the connection after 3 failures', async () => {
    const w = await SieveWire.open(p.ports.managesieve);
    await w.startTls();
    const wrong = await w.cmd(`AUTHENTICATE "PLAIN" "${plainToken('carol@example.com', 'nope')}"`);
    w.send('AUTHENTICATE "PLAIN"\r\n');
    assert.equal(await w.line(), '""');
    assert.match(await w.cmd('"*"'), /^NO "Authentication cancelled"/);
    assert.match(await w.cmd('AUTHENTICATE "PLAIN" "not*base64"'), /^NO "Invalid base64/);
    assert.match(await w.cmd('AUTHENTICATE "DIGEST-MD5"'), /^NO "Unsupported/);
    const unknown = await w.cmd(`AUTHENTICATE "PLAIN" "${plainToken('nobody@example.com', 'nope')}"`);
    assert.equal(wrong, 'NO "Authentication failed"\r\n');
    assert.equal(unknown, wrong);
    const third = await w.cmd(`AUTHENTICATE "PLAIN" "${plainToken('carol@example.com', 'carol-pw', 'alice@example.com')}"`, 15_000);
    assert.match(third, /^NO "Authentication failed"\r\n/, 'a proxy login (authzid) is refused like a wrong password');
    await w.waitClosed(15_000);
    assert.match(p.log, /auth-failed reason=authzid user=carol@example\.com/);
  });
});

describe('ManageSieve script commands', () => {
  let w: SieveWire;
  before(async () => {
    w = await SieveWire.login(p.ports.managesieve, 'dave@example.com', 'dave-pw');
  });
  after(() => w.close());

  it('PUTSCRIPT, LISTSCRIPTS, SETACTIVE, GETSCRIPT byte for byte, and the ACTIVE marker', async () => {
    assert.equal(await w.cmd('LISTSCRIPTS'), 'OK "Listscripts completed"\r\n');
    assert.equal(await w.putScript('lists', FILEINTO), 'OK "Putscript completed"\r\n');
    assert.equal(await w.cmd('PUTSCRIPT "plain" "keep;"'), 'OK "Putscript completed"\r\n');
    assert.equal(await w.cmd('SETACTIVE "lists"'), 'OK "Setactive completed"\r\n');
    assert.equal(await w.cmd('LISTSCRIPTS'), '"lists" ACTIVE\r\n"plain"\r\nOK "Listscripts completed"\r\n');
    assert.equal(await w.cmd('GETSCRIPT "lists"'), `{${FILEINTO.length}}\r\n${FILEINTO}\r\nOK "Getscript completed"\r\n`);
    assert.equal(await w.cmd('GETSCRIPT "nope"'), 'NO (NONEXISTENT) "There is no script by that name"\r\n');
    assert.equal(await w.cmd('SETACTIVE "nope"'), 'NO (NONEXISTENT) "There is no script by that name"\r\n');
  });

  it('refuses to delete the active script (ACTIVE); SETACTIVE "" deactivates; DELETESCRIPT and RENAMESCRIPT with NONEXISTENT and ALREADYEXISTS', async () => {
    assert.equal(await w.cmd('DELETESCRIPT "lists"'), 'NO (ACTIVE) "You may not delete the active script"\r\n');
    assert.equal(await w.cmd('RENAMESCRIPT "lists" "plain"'), 'NO (ALREADYEXISTS) "A script with that name already exists"\r\n');
    assert.equal(await w.cmd('RENAMESCRIPT "nope" "x"'), 'NO (NONEXISTENT) "There is no script by that name"\r\n');
    assert.equal(await w.cmd('RENAMESCRIPT "lists" "Listen"'), 'OK "Renamescript completed"\r\n');
    assert.equal(await w.cmd('LISTSCRIPTS'), '"Listen" ACTIVE\r\n"plain"\r\nOK "Listscripts completed"\r\n', 'still active under its new name');
    assert.equal(await w.cmd('SETACTIVE ""'), 'OK "No script is active now"\r\n');
    assert.equal(await w.cmd('DELETESCRIPT "Listen"'), 'OK "Deletescript completed"\r\n');
    assert.equal(await w.cmd('DELETESCRIPT "Listen"'), 'NO (NONEXISTENT) "There is no script by that name"\r\n');
    assert.equal(await w.cmd('LISTSCRIPTS'), '"plain"\r\nOK "Listscripts completed"\r\n');
  });

  it('answers a syntax error with its line and column, and keeps the stored script; CHECKSCRIPT likewise without storing', async () => {
    const put = await w.putScript('plain', BROKEN);
    assert.match(put, /^NO "line 4, column 1: [^"\r\n]+"\r\n$/);
    assert.equal(await w.cmd('GETSCRIPT "plain"'), '{5}\r\nkeep;\r\nOK "Getscript completed"\r\n', 'the working script is still there');
    assert.match(await w.cmd(`CHECKSCRIPT {${BROKEN.length}+}\r\n${BROKEN}`), /^NO "line 4, column 1: /);
    assert.equal(await w.cmd(`CHECKSCRIPT {${KEEP.length}+}\r\n${KEEP}`), 'OK "Script is valid"\r\n');
    assert.equal(await w.cmd('LISTSCRIPTS'), '"plain"\r\nOK "Listscripts completed"\r\n');
    assert.match(await w.cmd('PUTSCRIPT "a/b" "keep;"'), /^NO "Invalid script name: /);
  });

  it('enforces the limits: QUOTA/MAXSIZE (an oversized literal is not even read), QUOTA/MAXSCRIPTS, QUOTA; HAVESPACE agrees', async () => {
    assert.equal(await w.cmd('HAVESPACE "big" 1025'), 'NO (QUOTA/MAXSIZE) "Script is larger than 1024 octets"\r\n');
    assert.equal(await w.cmd('HAVESPACE "big" 1024'), 'OK "Putscript would succeed"\r\n');
    const big = `#${'x'.repeat(5000)}\r\nkeep;\r\n`;
    assert.equal(await w.putScript('big', big), 'NO (QUOTA/MAXSIZE) "Script is larger than 1024 octets"\r\n');
    assert.match(await w.cmd('NOOP'), /^OK/, 'the session is still in step after the skipped literal');
    const filler = (n: number) => `#${'y'.repeat(n)}\r\nkeep;\r\n`;
    assert.match(await w.putScript('two', filler(900)), /^OK/);
    assert.match(await w.putScript('three', filler(100)), /^OK/);
    assert.equal(await w.cmd('HAVESPACE "four" 10'), 'NO (QUOTA/MAXSCRIPTS) "Too many scripts: delete one first"\r\n');
    assert.equal(await w.cmd('PUTSCRIPT "four" "keep;"'), 'NO (QUOTA/MAXSCRIPTS) "Too many scripts: delete one first"\r\n');
    assert.equal(await w.cmd('HAVESPACE "three" 1000'), 'NO (QUOTA) "Script storage quota exceeded"\r\n');
    assert.equal(await w.putScript('three', filler(1000)), 'NO (QUOTA) "Script storage quota exceeded"\r\n');
    assert.match(await w.putScript('three', filler(500)), /^OK/, 'a replacement is counted at its new size');
    assert.equal(await w.cmd('DELETESCRIPT "two"'), 'OK "Deletescript completed"\r\n');
    assert.equal(await w.cmd('DELETESCRIPT "three"'), 'OK "Deletescript completed"\r\n');
  });

  it('NOOP echoes its tag; unknown and malformed commands get NO', async () => {
    assert.equal(await w.cmd('NOOP "STARTTLS-SYNC-42"'), 'OK (TAG "STARTTLS-SYNC-42") "Done"\r\n');
    assert.equal(await w.cmd('NOOP'), 'OK "NOOP completed"\r\n');
    assert.match(await w.cmd('XYZZY'), /^NO "Unknown command"/);
    assert.match(await w.cmd('GETSCRIPT plain'), /^NO "Syntax error/);
  });

  it('keeps users apart: another user sees none of these scripts and cannot read them by name', async () => {
    const other = await SieveWire.login(p.ports.managesieve, 'alice@example.com', 'alice-pw');
    assert.equal(await other.cmd('LISTSCRIPTS'), 'OK "Listscripts completed"\r\n');
    assert.equal(await other.cmd('GETSCRIPT "plain"'), 'NO (NONEXISTENT) "There is no script by that name"\r\n');
    assert.equal(await other.cmd('DELETESCRIPT "plain"'), 'NO (NONEXISTENT) "There is no script by that name"\r\n');
    // UNAUTHENTICATE: back to before login on the same TLS connection, then in as dave.
    assert.equal(await other.cmd('UNAUTHENTICATE'), 'OK "Unauthenticate completed"\r\n');
    assert.match(await other.cmd('LISTSCRIPTS'), /^NO "Log in first/);
    assert.match(await other.cmd(`AUTHENTICATE "PLAIN" "${plainToken('dave@example.com', 'dave-pw')}"`), /^OK/);
    assert.equal(await other.cmd('LISTSCRIPTS'), '"plain"\r\nOK "Listscripts completed"\r\n');
    assert.equal(await other.cmd('LOGOUT'), 'OK "Logout completed"\r\n');
    await other.waitClosed();
  });

  it('petrel sieve sees what ManageSieve stored, and puts a script with a compile error refused by line and column', async () => {
    const list = await p.cli(['sieve', 'list', 'dave@example.com']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^plain\s+5\s/m);
    const got = await p.cli(['sieve', 'get', 'dave@example.com', 'plain']);
    assert.equal(got.stdout, 'keep;\n');
    const file = join(p.dataDir, 'broken.sieve');
    writeFileSync(file, BROKEN);
    const put = await p.cli(['sieve', 'put', 'dave@example.com', 'broken', file]);
    assert.equal(put.code, 1);
    assert.match(put.stderr, /broken\.sieve: line 4, column 1: /);
    writeFileSync(file, FILEINTO);
    const ok = await p.cli(['sieve', 'put', 'dave@example.com', 'cli', file]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await p.cli(['sieve', 'activate', 'dave@example.com', 'cli'])).code, 0);
    assert.equal(await w.cmd('LISTSCRIPTS'), '"cli" ACTIVE\r\n"plain"\r\nOK "Listscripts completed"\r\n', 'the running server sees the CLI\'s change at once');
    const del = await p.cli(['sieve', 'delete', 'dave@example.com', 'cli']);
    assert.equal(del.code, 1);
    assert.match(del.stderr, /active/);
  });

  it('petrel sieve deactivate, rename, and the global before/after scripts', async () => {
    assert.equal((await p.cli(['sieve', 'deactivate', 'dave@example.com'])).code, 0);
    assert.equal((await p.cli(['sieve', 'rename', 'dave@example.com', 'cli', 'from-cli'])).code, 0);
    assert.equal(await w.cmd('LISTSCRIPTS'), '"from-cli"\r\n"plain"\r\nOK "Listscripts completed"\r\n');
    assert.equal((await p.cli(['sieve', 'rename', 'dave@example.com', 'from-cli', 'plain'])).code, 1, 'no overwrite');
    const missing = await p.cli(['sieve', 'get', 'nobody@example.com', 'x']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such user/);
    const file = join(p.dataDir, 'global.sieve');
    writeFileSync(file, FILEINTO);
    assert.equal((await p.cli(['sieve', 'global', 'put', 'after', '50-late', file])).code, 0);
    assert.equal((await p.cli(['sieve', 'global', 'put', 'before', '10-lists', file])).code, 0);
    const list = await p.cli(['sieve', 'global', 'list']);
    assert.match(list.stdout, /^before\s+10-lists\s+\d+\s[^\n]*\nafter\s+50-late\s/m);
    writeFileSync(file, BROKEN);
    const bad = await p.cli(['sieve', 'global', 'put', 'before', '20-bad', file]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /line 4, column 1/);
    assert.equal((await p.cli(['sieve', 'global', 'delete', '50-late'])).code, 0);
    assert.doesNotMatch((await p.cli(['sieve', 'global', 'list'])).stdout, /50-late/);
    assert.doesNotMatch(await w.cmd('LISTSCRIPTS'), /10-lists/, 'global scripts are not a user\'s');
  });
});

describe('ManageSieve durability', () => {
  it('a script acknowledged with OK survives kill -9 of the server, still active', async () => {
    const w = await SieveWire.login(p.ports.managesieve, 'carol@example.com', 'carol-pw');
    assert.equal(await w.putScript('durable', FILEINTO), 'OK "Putscript completed"\r\n');
    assert.equal(await w.cmd('SETACTIVE "durable"'), 'OK "Setactive completed"\r\n');
    await p.stop('SIGKILL');
    w.close();
    await p.start();
    const again = await SieveWire.login(p.ports.managesieve, 'carol@example.com', 'carol-pw');
    assert.equal(await again.cmd('LISTSCRIPTS'), '"durable" ACTIVE\r\nOK "Listscripts completed"\r\n');
    assert.equal(await again.cmd('GETSCRIPT "durable"'), `{${FILEINTO.length}}\r\n${FILEINTO}\r\nOK "Getscript completed"\r\n`);
    again.close();
  });
});

describe('ManageSieve and SIGHUP', () => {
  it('applies new [managesieve] limits at a reload, to sessions already open, without asking for a restart', async () => {
    const w = await SieveWire.login(p.ports.managesieve, 'carol@example.com', 'carol-pw');
    assert.equal(await w.cmd('HAVESPACE "big" 1500'), 'NO (QUOTA/MAXSIZE) "Script is larger than 1024 octets"\r\n');
    const text = readFileSync(p.configFile, 'utf8');
    writeFileSync(p.configFile, text.replace('max_script_size = "1K"', 'max_script_size = "2K"').replace('max_scripts = 3', 'max_scripts = 1'));
    p.child!.kill('SIGHUP');
    await p.waitForLog(/ reloaded /);
    assert.doesNotMatch(p.log, /take effect at the next restart/);
    assert.equal(await w.cmd('HAVESPACE "durable" 1500'), 'OK "Putscript would succeed"\r\n');
    assert.equal(await w.cmd('PUTSCRIPT "second" "keep;"'), 'NO (QUOTA/MAXSCRIPTS) "Too many scripts: delete one first"\r\n');
    const big = `#${'z'.repeat(1190)}\r\nkeep;\r\n`;
    assert.equal(await w.putScript('durable', big), 'OK "Putscript completed"\r\n', 'a literal over the old size is read now');
    w.close();
  });
});
