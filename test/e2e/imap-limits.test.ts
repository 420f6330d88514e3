/*
 * Login abuse across protocols, over real TLS sockets on 127.0.0.x: failed
 * SMTP AUTH (submissions), IMAP LOGIN and POP3 PASS from one address feed
 * one counter, so the answers slow down and the address is then banned
 * from all (IMAP and POP3 refuse it at connect, SMTP AUTH fails even with
 * the right password) while the real user from another address still gets in; and
 * the per-user-and-IP IMAP session limit.
 *
 * Security: test only; 127.0.0.1-3; a self-signed certificate in a temp dir.
 * Standards: RFC 9051 6.2.3, RFC 4954, RFC 5530; shared/specs/security.md.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../src/config/index.js';
import { Committer } from '../../src/delivery/committer.js';
import { Directory } from '../../src/directory/directory.js';
import { ImapEndpoint } from '../../src/endpoints/imap/index.js';
import { Pop3Endpoint } from '../../src/endpoints/pop3/index.js';
import { SmtpEndpoint } from '../../src/endpoints/smtp/endpoint.js';
import { AuthFailures } from '../../src/net/auth-failures.js';
import { UserClientLimiter } from '../../src/net/connection-limiter.js';
import { connect } from 'node:net';
import { FileBlobStore } from '../../src/store/blob/files.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { MetadataStore } from '../../src/store/types.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { openCertificateRegistry, type CertificateRegistry } from '../../src/tls/index.js';
import { ImapWire } from '../support/imap-wire.js';
import { SmtpWire } from '../support/smtp-wire.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-imap-limits-'));
let store: MetadataStore;
let registry: CertificateRegistry;
let imap: ImapEndpoint;
let imapStarttls: ImapEndpoint;
let smtp: SmtpEndpoint;
let pop3: Pop3Endpoint;
const logger = createMemoryLogger('debug');
// Small numbers so the test runs in a second: 2 free failures, 150 ms doubling, a ban at 5.
const failures = new AuthFailures({ freeFailures: 2, baseDelayMs: 150, maxDelayMs: 1000, banFailures: 5, banMs: 60_000, windowMs: 60_000, accountFreeFailures: 100 });

before(async () => {
  store = await openSqliteStore({ path: join(dir, 'db.sqlite'), fsync: false });
  const blobs = await FileBlobStore.open(join(dir, 'blobs'), { fsync: false });
  const directory = new Directory(store.directory, { subaddressSeparator: '+', postmaster: '' });
  await directory.addDomain('example.com');
  for (const u of ['alice', 'bob']) await directory.addUser(`${u}@example.com`, `pw-${u}`);
  registry = await openCertificateRegistry(
    { certsDir: join(dir, 'le'), certificates: [], selfSignedDir: join(dir, 'ss'), hostname: 'mail.example.com' },
    logger,
    { watch: false },
  );
  // Two sessions per user and address, counted across both listeners as petrel serve does.
  const userSlots = new UserClientLimiter(2);
  imap = new ImapEndpoint({ directory, store, blobs, certificates: registry, logger, security: 'implicit', authFailures: failures, userSlots });
  await imap.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  imapStarttls = new ImapEndpoint({ directory, store, blobs, certificates: registry, logger, security: 'starttls', authFailures: failures, userSlots });
  await imapStarttls.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  const limits = { ...configSchema.parse({}).smtp, greeting_delay: 0, error_delay: 0 };
  smtp = new SmtpEndpoint({ role: 'submissions', hostname: 'mail.example.com', directory, committer: new Committer(blobs, store.deliveries, logger), certificates: registry, limits, logger, authFailures: failures });
  await smtp.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  pop3 = new Pop3Endpoint({ security: 'implicit', directory, store, blobs, certificates: registry, logger, authFailures: failures });
  await pop3.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
});

after(async () => {
  await imap.close(200);
  await imapStarttls.close(200);
  await smtp.close(200);
  await pop3.close(200);
  registry.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function smtpPort(): number {
  return (smtp as unknown as { listeners?: { address(): { port: number } }[] }).listeners?.[0]?.address().port ?? 0;
}

const plain = (user: string, pass: string) => Buffer.from(`\0${user}\0${pass}`).toString('base64');

describe('failed logins shared by SMTP and IMAP', () => {
  it('failures on both protocols slow the answers, then ban the address from both; another address still logs in', async () => {
    const s = await SmtpWire.connect(smtpPort(), { implicitTls: {} });
    await s.read();
    await s.cmd('EHLO client.example');
    assert.equal((await s.cmd(`AUTH PLAIN ${plain('alice@example.com', 'guess1')}`)).code, 535);
    assert.equal((await s.cmd(`AUTH PLAIN ${plain('alice@example.com', 'guess2')}`)).code, 535);

    // Third failure overall, on IMAP: 150 ms of tarpit.
    const a = await ImapWire.open(imap.port());
    let t0 = Date.now();
    assert.match(await a.cmd('a', 'LOGIN alice@example.com guess3'), /^a NO \[AUTHENTICATIONFAILED\]/m);
    assert.ok(Date.now() - t0 >= 140, `expected a delay, got ${Date.now() - t0} ms`);
    // Fourth, on POP3: 300 ms.
    const p = new ImapWire(tls.connect({ host: '127.0.0.1', port: pop3.port(), rejectUnauthorized: false }));
    await p.until(/^\+OK/m);
    const user = p.mark();
    p.write('USER alice@example.com\r\n');
    await p.until(/^\+OK/m, 5000, user);
    t0 = Date.now();
    const at = p.mark();
    p.write('PASS guess4\r\n');
    await p.until(/^-ERR \[AUTH\]/m, 5000, at);
    assert.ok(Date.now() - t0 >= 290, `expected a longer delay, got ${Date.now() - t0} ms`);
    p.close();
    assert.match(await a.cmd('b', 'LOGIN alice@example.com guess5'), /^b NO \[AUTHENTICATIONFAILED\]/m);
    assert.ok(failures.banned('127.0.0.1'));

    // Banned: the right password no longer works on SMTP, and IMAP refuses the connection.
    assert.equal((await s.cmd(`AUTH PLAIN ${plain('alice@example.com', 'pw-alice')}`)).code, 535);
    s.socket.destroy();
    a.close();
    const refused = await ImapWire.open(imap.port());
    assert.match(refused.text, /^\* BYE .*failed logins/m);
    refused.close();
    const pop3Refused = new ImapWire(tls.connect({ host: '127.0.0.1', port: pop3.port(), rejectUnauthorized: false }));
    await pop3Refused.until(/^-ERR \[SYS\/TEMP\] .*failed logins/m);
    pop3Refused.close();

    // The real user, from another address, is not affected.
    const other = await ImapWire.open(imap.port(), { user: 'alice', localAddress: '127.0.0.2' });
    assert.match(await other.cmd('n', 'NOOP'), /^n OK/m);
    other.close();
    assert.equal(failures.lift('127.0.0.1'), true);
    const back = await ImapWire.open(imap.port(), { user: 'alice' });
    back.close();
  });
});

describe('per-user-and-IP session limit', () => {
  it('a third session of one user from one address is refused NO [UNAVAILABLE]; another address or user is not; a slot frees at logout', async () => {
    const one = await ImapWire.open(imap.port(), { user: 'bob', localAddress: '127.0.0.3' });
    const two = await ImapWire.open(imap.port(), { user: 'bob', localAddress: '127.0.0.3' });
    const three = await ImapWire.open(imap.port(), { localAddress: '127.0.0.3' });
    assert.match(await three.cmd('l', 'LOGIN bob@example.com pw-bob'), /^l NO \[UNAVAILABLE\]/m);
    // Still not authenticated on that connection; another user from the same address logs in.
    assert.match(await three.cmd('s', 'SELECT INBOX'), /^s BAD/m);
    assert.match(await three.cmd('m', 'LOGIN alice@example.com pw-alice'), /^m OK/m);
    const elsewhere = await ImapWire.open(imap.port(), { user: 'bob', localAddress: '127.0.0.2' });
    await one.cmd('o', 'LOGOUT');
    const end = Date.now() + 2000;
    let r = '';
    while (Date.now() < end) {
      const again = await ImapWire.open(imap.port(), { localAddress: '127.0.0.3' });
      r = await again.cmd('l', 'LOGIN bob@example.com pw-bob');
      again.close();
      if (/^l OK/m.test(r)) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.match(r, /^l OK/m);
    for (const w of [two, three, elsewhere]) w.close();
  });

  it('the 143 and 993 listeners count one user-and-address limit together', async () => {
    const one = await ImapWire.open(imap.port(), { user: 'alice', localAddress: '127.0.0.4' });
    const two = await ImapWire.open(imap.port(), { user: 'alice', localAddress: '127.0.0.4' });
    const plain = new ImapWire(connect({ host: '127.0.0.1', port: imapStarttls.port(), localAddress: '127.0.0.4' }));
    await plain.until(/^\* OK .*\r\n/m);
    await plain.cmd('t', 'STARTTLS');
    plain.sock.removeAllListeners('data');
    const third = new ImapWire(tls.connect({ socket: plain.sock, rejectUnauthorized: false, servername: 'localhost' }));
    assert.match(await third.cmd('l', 'LOGIN alice@example.com pw-alice'), /^l NO \[UNAVAILABLE\]/m);
    for (const w of [one, two, third]) w.close();
  });
});
