/*
 * The ManageSieve endpoint in process over real sockets on 127.0.0.1 (raw
 * transcripts), for what petrel serve's defaults make slow or loopback
 * makes exempt: idle timeouts before and after login, the bad-command and
 * pre-login command limits, the failed-login counter shared with the
 * other protocols (a client banned by IMAP or SMTP failures is refused at
 * connect with BYE, and its passwords are not even checked), pipelined
 * commands answered in order, an oversized literal before login, the ALPN
 * accepted for managesieve, per-user session slots, BYE at shutdown, and
 * mutated command streams answered by the rules, never by an exception.
 *
 * Security: test only; 127.0.0.1; a self-signed certificate in a temp dir.
 * Standards: RFC 5804.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { Directory } from '../../src/directory/directory.js';
import { ManageSieveEndpoint } from '../../src/endpoints/managesieve/index.js';
import { AuthFailures, DEFAULT_AUTH_FAILURE_POLICY } from '../../src/net/auth-failures.js';
import { SieveScripts } from '../../src/sieve-scripts/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { MetadataStore } from '../../src/store/types.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { openCertificateRegistry, type CertificateRegistry } from '../../src/tls/index.js';
import { plainToken, SieveWire } from '../support/managesieve.js';

let dir: string;
let store: MetadataStore;
let registry: CertificateRegistry;
let endpoint: ManageSieveEndpoint;
let port: number;
const logger = createMemoryLogger('debug');
// Bans after 4 failures, no tarpit: the shared counter as SMTP and IMAP feed it.
const authFailures = new AuthFailures({ ...DEFAULT_AUTH_FAILURE_POLICY, freeFailures: 100, banFailures: 4, accountFreeFailures: 100 });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-sieve-session-'));
  store = await openSqliteStore({ path: join(dir, 'db.sqlite'), fsync: false });
  const directory = new Directory(store.directory, { subaddressSeparator: '+', postmaster: '' });
  await directory.addDomain('example.com');
  for (const u of ['alice', 'bob']) await directory.addUser(`${u}@example.com`, `pw-${u}`);
  registry = await openCertificateRegistry({ certsDir: join(dir, 'le'), certificates: [], selfSignedDir: join(dir, 'ss'), hostname: 'mail.example.com' }, logger, { watch: false });
  const scripts = new SieveScripts(store.sieve, { maxScriptSize: 1000, maxScripts: 5, maxStorageBytes: 0 });
  endpoint = new ManageSieveEndpoint({ directory, scripts, certificates: registry, logger, maxRedirects: 4, authFailures, timeouts: { preLoginMs: 600, postLoginMs: 1200 } });
  await endpoint.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  port = endpoint.port();
});
after(async () => {
  await endpoint.close(200);
  registry.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ManageSieve session limits', () => {
  it('closes an idle connection with BYE before login, and after login at the longer timeout', async () => {
    const w = await SieveWire.open(port);
    assert.match(await w.response(2000), /^BYE "Disconnected for inactivity"\r\n$/);
    await w.waitClosed();
    const l = await SieveWire.login(port, 'alice@example.com', 'pw-alice');
    await new Promise((r) => setTimeout(r, 800));
    assert.match(await l.cmd('NOOP'), /^OK/, 'still open past the pre-login timeout');
    assert.match(await l.response(2500), /^BYE "Disconnected for inactivity"/);
    await l.waitClosed();
  });

  it('ends the session with BYE after 10 invalid commands, and answers pipelined commands in order', async () => {
    const w = await SieveWire.open(port);
    w.send('NOOP "1"\r\nCAPABILITY\r\nNOOP "2"\r\n');
    assert.match(await w.response(), /^OK \(TAG "1"\)/);
    assert.match(await w.response(), /"IMPLEMENTATION" "Petrel"[^]*OK "Capability completed"/);
    assert.match(await w.response(), /^OK \(TAG "2"\)/);
    for (let i = 0; i < 9; i++) assert.match(await w.cmd('BOGUS'), /^NO "Unknown command"/);
    assert.match(await w.cmd('BOGUS'), /^NO "Unknown command"\r\n$/);
    assert.equal(await w.response(), 'BYE "Too many invalid commands"\r\n');
    await w.waitClosed();
  });

  it('refuses a literal over the pre-login limit without reading it, and ends the session for one too large to skip', async () => {
    const w = await SieveWire.open(port);
    const big = 'A'.repeat(9000);
    assert.match(await w.cmd(`AUTHENTICATE "PLAIN" {${big.length}+}\r\n${big}`), /^NO "Literal too large"/);
    assert.match(await w.cmd('NOOP'), /^OK/);
    assert.match(await w.cmd('PUTSCRIPT "x" {99999999+}'), /^BYE "Literal too large"/);
    await w.waitClosed();
  });

  it('ends the session after 30 commands before login', async () => {
    const w = await SieveWire.open(port);
    w.send('NOOP\r\n'.repeat(31));
    let text = '';
    while (!/BYE/.test(text)) text += await w.response();
    assert.equal(text.match(/^OK/gm)?.length, 30);
    assert.match(text, /BYE "Too many commands before login"\r\n$/);
    await w.waitClosed();
  });

  it('accepts the managesieve ALPN at STARTTLS', async () => {
    const w = await SieveWire.open(port);
    assert.match(await w.cmd('STARTTLS'), /^OK/);
    const secure = tls.connect({ socket: w.sock, rejectUnauthorized: false, ALPNProtocols: ['managesieve'] });
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    assert.equal(secure.alpnProtocol, 'managesieve');
    secure.destroy();
  });

  it('holds at most 10 sessions of one user from one address; the 11th login is NO (TRYLATER), another user still gets in', async () => {
    const open: SieveWire[] = [];
    for (let i = 0; i < 10; i++) open.push(await SieveWire.login(port, 'alice@example.com', 'pw-alice'));
    const extra = await SieveWire.open(port);
    await extra.startTls();
    assert.match(await extra.cmd(`AUTHENTICATE "PLAIN" "${plainToken('alice@example.com', 'pw-alice')}"`), /^NO \(TRYLATER\) "Too many sessions/);
    assert.match(await extra.cmd(`AUTHENTICATE "PLAIN" "${plainToken('bob@example.com', 'pw-bob')}"`), /^OK/);
    assert.match(await open[0]!.cmd('UNAUTHENTICATE'), /^OK/);
    assert.match(await extra.cmd('UNAUTHENTICATE'), /^OK/);
    assert.match(await extra.cmd(`AUTHENTICATE "PLAIN" "${plainToken('alice@example.com', 'pw-alice')}"`), /^OK/, 'UNAUTHENTICATE gave the slot back');
    for (const w of [...open, extra]) w.close();
  });

  it('says BYE (TRYLATER) to open sessions when the server shuts down', async () => {
    const other = new ManageSieveEndpoint({ directory: new Directory(store.directory, { subaddressSeparator: '+', postmaster: '' }), scripts: new SieveScripts(store.sieve, { maxScriptSize: 1000, maxScripts: 5, maxStorageBytes: 0 }), certificates: registry, logger, maxRedirects: 4 });
    await other.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    const w = await SieveWire.open(other.port());
    const closing = other.close(1000);
    assert.equal(await w.response(), 'BYE (TRYLATER) "Server shutting down, try again later"\r\n');
    await w.waitClosed();
    await closing;
  });

  it('survives 150 sessions of mutated command streams before and after login: no handler error, and a fresh session is served', async () => {
    let seed = 5804;
    const rnd = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const seeds = ['CAPABILITY\r\n', 'PUTSCRIPT "f" {6+}\r\nkeep;\n\r\n', 'HAVESPACE "f" 10\r\nLISTSCRIPTS\r\n', 'GETSCRIPT "f"\r\nSETACTIVE "f"\r\nSETACTIVE ""\r\n', 'RENAMESCRIPT "f" "g"\r\nDELETESCRIPT "g"\r\n', 'CHECKSCRIPT "stop;"\r\nNOOP "t"\r\n', 'AUTHENTICATE "PLAIN"\r\n'];
    const tokens = ['"', '\\', '{', '}', '{3+}\r\n', '{0}\r\n', '\r\n', ' ', '\x00', '\xff', '*', '4294967296'];
    for (let round = 0; round < 150; round++) {
      const w = round % 2 === 0 ? await SieveWire.open(port) : await SieveWire.login(port, 'bob@example.com', 'pw-bob');
      let b = Buffer.from(Array.from({ length: 1 + rnd(4) }, () => seeds[rnd(seeds.length)]).join(''), 'latin1');
      for (let k = 1 + rnd(4); k > 0; k--) {
        const pos = rnd(b.length + 1);
        b = Buffer.concat([b.subarray(0, pos), Buffer.from(tokens[rnd(tokens.length)]!.repeat(1 + rnd(5)), 'latin1'), b.subarray(pos + rnd(3))]);
      }
      w.send(b);
      await new Promise((r) => setTimeout(r, 5));
      w.close();
    }
    await new Promise((r) => setTimeout(r, 200));
    const log = logger.lines.join('\n');
    assert.doesNotMatch(log, /command-failed|session-failed/, 'every input was answered by the rules, none by an exception');
    const fresh = await SieveWire.login(port, 'bob@example.com', 'pw-bob');
    assert.match(await fresh.cmd('NOOP'), /^OK/);
    fresh.close();
  });

  it('shares the failed-login counter: failures elsewhere ban the client here, its passwords are not checked, and it is refused at connect', async () => {
    authFailures.lift('127.0.0.1');
    const w = await SieveWire.open(port);
    await w.startTls();
    // Three failures from IMAP or SMTP, counted for this address.
    for (let i = 0; i < 3; i++) authFailures.fail('127.0.0.1', 'bob@example.com');
    assert.match(await w.cmd(`AUTHENTICATE "PLAIN" "${plainToken('bob@example.com', 'wrong')}"`), /^NO "Authentication failed"/);
    assert.ok(authFailures.banned('127.0.0.1'), 'the fourth failure, here, bans');
    assert.match(await w.cmd(`AUTHENTICATE "PLAIN" "${plainToken('bob@example.com', 'pw-bob')}"`), /^NO "Authentication failed"/, 'a banned client fails even with the right password');
    const refused = new SieveWire((await import('node:net')).connect(port, '127.0.0.1'));
    assert.match(await refused.response(), /^BYE \(TRYLATER\) "Too many failed logins/);
    await refused.waitClosed();
    assert.match(logger.lines.join('\n'), /banned-client-refused client=127\.0\.0\.1/);
    authFailures.lift('127.0.0.1');
    w.close();
  });
});
