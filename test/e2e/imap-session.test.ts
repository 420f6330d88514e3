/*
 * The IMAP endpoint against real clients on 127.0.0.1: Python's imaplib
 * and `openssl s_client -starttls imap` on the STARTTLS listener (143
 * role) and the implicit TLS listener (993 role), plus raw sockets for the
 * attacks: STARTTLS command injection, plaintext login, bad-command floods,
 * ALPN http/1.1 (ALPACA), mailbox names that try to leave the account.
 *
 * Security: test only; 127.0.0.1; a self-signed certificate in a temp dir.
 * Standards: RFC 9051, RFC 2595, RFC 4959, RFC 5258, RFC 6154, RFC 7301.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { Directory } from '../../src/directory/directory.js';
import { ImapEndpoint } from '../../src/endpoints/imap/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { MetadataStore } from '../../src/store/types.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { openCertificateRegistry, type CertificateRegistry } from '../../src/tls/index.js';
import { requireTools, run } from '../support/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-imap-'));
let store: MetadataStore;
let directory: Directory;
let registry: CertificateRegistry;
let plain: ImapEndpoint;
let implicit: ImapEndpoint;
let plainPort: number;
let tlsPort: number;
const logger = createMemoryLogger('debug');

before(async () => {
  store = await openSqliteStore({ path: join(dir, 'db.sqlite'), fsync: false });
  directory = new Directory(store.directory, { subaddressSeparator: '+', postmaster: '' });
  await directory.addDomain('example.com');
  await directory.addUser('alice@example.com', 'pw-alice');
  await directory.addUser('bob@example.com', 'pw-bob');
  await directory.addUser('carol@example.com', 'pw-carol');
  registry = await openCertificateRegistry(
    { certsDir: join(dir, 'le'), certificates: [], selfSignedDir: join(dir, 'ss'), hostname: 'mail.example.com' },
    logger,
    { watch: false },
  );
  const deps = { directory, store, certificates: registry, logger, timeouts: { preLoginMs: 1500 } };
  plain = new ImapEndpoint({ ...deps, security: 'starttls' });
  implicit = new ImapEndpoint({ ...deps, security: 'implicit' });
  await plain.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  await implicit.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  plainPort = plain.port();
  tlsPort = implicit.port();
});

after(async () => {
  await plain.close(500);
  await implicit.close(500);
  registry.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw client: write bytes, wait for a pattern in what came back. */
class Wire {
  buf = '';
  private waiters: Array<() => void> = [];
  closed = false;
  constructor(public sock: Socket) {
    this.attach(sock);
  }
  attach(sock: Socket): void {
    this.sock = sock;
    sock.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('error', () => {});
  }
  static async open(port: number, secure = false, alpn?: string[]): Promise<Wire> {
    const sock = secure ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: alpn }) : connect(port, '127.0.0.1');
    const w = new Wire(sock);
    await w.until(/^\* OK .*\r\n/m);
    return w;
  }
  async until(re: RegExp, timeoutMs = 5000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (re.test(this.buf)) return this.buf;
      if (this.closed) throw new Error(`closed before ${re}; got:\n${this.buf}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${re}; got:\n${this.buf}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  send(s: string): void {
    this.sock.write(s);
  }
  async cmd(tag: string, line: string): Promise<string> {
    const start = this.buf.length;
    this.send(`${tag} ${line}\r\n`);
    await this.until(new RegExp(`^${tag} (OK|NO|BAD)[^\\r]*\\r\\n`, 'm'));
    return this.buf.slice(start);
  }
  async startTls(tag = 'S'): Promise<void> {
    await this.cmd(tag, 'STARTTLS');
    const secure = tls.connect({ socket: this.sock, rejectUnauthorized: false });
    this.sock.removeAllListeners('data');
    this.buf = '';
    this.attach(secure);
    await new Promise((resolve) => secure.once('secureConnect', resolve));
  }
  close(): void {
    this.sock.destroy();
  }
}

async function loggedIn(user = 'alice@example.com', password = 'pw-alice'): Promise<Wire> {
  const w = await Wire.open(tlsPort, true);
  const r = await w.cmd('L', `LOGIN ${user} ${password}`);
  assert.match(r, /^L OK/m);
  return w;
}

const PY_CTX = 'import imaplib, ssl, json, sys\nctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE\n';

async function python(script: string): Promise<string> {
  const r = await run('/usr/bin/python3', ['-c', PY_CTX + script], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, `python failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('IMAP over STARTTLS (143)', () => {
  it('advertises STARTTLS and LOGINDISABLED, no AUTH=, before TLS; AUTH=PLAIN and no STARTTLS after', async () => {
    const w = await Wire.open(plainPort);
    const before = await w.cmd('a', 'CAPABILITY');
    assert.match(before, /^\* CAPABILITY .*IMAP4rev2.*STARTTLS.*LOGINDISABLED/m);
    assert.doesNotMatch(before, /AUTH=/);
    await w.startTls();
    const afterTls = await w.cmd('b', 'CAPABILITY');
    assert.match(afterTls, /^\* CAPABILITY .*AUTH=PLAIN/m);
    assert.match(afterTls, /SASL-IR/);
    assert.doesNotMatch(afterTls, /STARTTLS|LOGINDISABLED/);
    const second = await w.cmd('c', 'STARTTLS');
    assert.match(second, /^c BAD/m);
    w.close();
  });

  it('plaintext LOGIN before TLS is refused with PRIVACYREQUIRED', async () => {
    const w = await Wire.open(plainPort);
    assert.match(await w.cmd('a', 'LOGIN alice@example.com pw-alice'), /^a NO \[PRIVACYREQUIRED\]/m);
    assert.match(await w.cmd('b', 'AUTHENTICATE PLAIN ' + Buffer.from('\0alice@example.com\0pw-alice').toString('base64')), /^b NO \[PRIVACYREQUIRED\]/m);
    assert.match(await w.cmd('c', 'LIST "" "*"'), /^c BAD/m);
    w.close();
  });

  it('STARTTLS injection: a command pipelined after STARTTLS in the same write is never answered inside TLS', async () => {
    const sock = connect(plainPort, '127.0.0.1');
    const w = new Wire(sock);
    await w.until(/^\* OK/m);
    w.send('a STARTTLS\r\nb NOOP\r\n');
    await w.until(/^a OK/m);
    assert.doesNotMatch(w.buf, /^b /m);
    const secure = tls.connect({ socket: sock, rejectUnauthorized: false });
    sock.removeAllListeners('data');
    w.buf = '';
    w.attach(secure);
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    const r = await w.cmd('c', 'NOOP');
    assert.match(r, /^c OK/m);
    assert.doesNotMatch(w.buf, /^b /m);
    w.close();
  });

  it('openssl s_client -starttls imap, then LOGIN', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${plainPort}`, '-starttls', 'imap', '-quiet', '-ign_eof'], {
      input: 'a LOGIN alice@example.com pw-alice\r\nb CAPABILITY\r\nc LOGOUT\r\n',
      timeoutMs: 10_000,
    });
    assert.match(r.stdout, /^a OK \[CAPABILITY [^\]]*\] LOGIN completed/m);
    assert.match(r.stdout, /^\* CAPABILITY .*SPECIAL-USE/m);
    assert.match(r.stdout, /^c OK/m);
  });

  it('imaplib: STARTTLS then LOGIN, wrong password and unknown user get the same NO', async (t) => {
    if (!requireTools(t, '/usr/bin/python3')) return;
    const out = await python(`
m = imaplib.IMAP4('127.0.0.1', ${plainPort})
res = {'caps_before': list(m.capabilities)}
m.starttls(ssl_context=ctx)
res['caps_after'] = list(m.capabilities)
fails = []
for user, pw in [('alice@example.com', 'wrong'), ('nobody@example.com', 'wrong')]:
    try:
        m.login(user, pw)
    except imaplib.IMAP4.error as e:
        fails.append(str(e))
res['fails'] = fails
m.shutdown()
m = imaplib.IMAP4('127.0.0.1', ${plainPort})
m.starttls(ssl_context=ctx)
res['login'] = m.login('alice@example.com', 'pw-alice')[0]
m.logout()
print(json.dumps(res))
`);
    const res = JSON.parse(out) as { caps_before: string[]; caps_after: string[]; fails: string[]; login: string };
    assert.ok(res.caps_before.includes('LOGINDISABLED'));
    assert.ok(res.caps_after.includes('AUTH=PLAIN'));
    assert.equal(res.fails.length, 2);
    assert.match(res.fails[0]!, /AUTHENTICATIONFAILED/);
    assert.equal(res.fails[0], res.fails[1]);
    assert.equal(res.login, 'OK');
  });
});

describe('IMAP over implicit TLS (993)', () => {
  it('ALPN http/1.1 is refused (ALPACA), imap accepted', async () => {
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => resolve(s));
        s.on('error', reject);
      }),
    );
    const w = await Wire.open(tlsPort, true, ['imap']);
    assert.equal((w.sock as tls.TLSSocket).alpnProtocol, 'imap');
    w.close();
  });

  it('AUTHENTICATE PLAIN with SASL-IR, and with a continuation', async () => {
    const w = await Wire.open(tlsPort, true);
    const ir = Buffer.from('\0bob@example.com\0pw-bob').toString('base64');
    assert.match(await w.cmd('a', `AUTHENTICATE PLAIN ${ir}`), /^a OK \[CAPABILITY/m);
    w.close();
    const v = await Wire.open(tlsPort, true);
    v.send('b AUTHENTICATE PLAIN\r\n');
    await v.until(/^\+ ?\r\n/m);
    v.send(ir + '\r\n');
    await v.until(/^b OK/m);
    v.close();
  });

  it('AUTHENTICATE PLAIN: wrong password and unknown user answer alike; garbage ends only the exchange', async () => {
    const w = await Wire.open(tlsPort, true);
    const wrong = await w.cmd('a', `AUTHENTICATE PLAIN ${Buffer.from('\0bob@example.com\0nope').toString('base64')}`);
    const unknown = await w.cmd('b', `AUTHENTICATE PLAIN ${Buffer.from('\0zed@example.com\0nope').toString('base64')}`);
    assert.equal(wrong.replace(/^a/m, ''), unknown.replace(/^b/m, ''));
    assert.match(wrong, /NO \[AUTHENTICATIONFAILED\]/);
    w.send('c AUTHENTICATE PLAIN\r\n');
    await w.until(/^\+/m);
    w.send('!!!notbase64\r\n');
    await w.until(/^c BAD/m);
    assert.match(await w.cmd('d', 'NOOP'), /^d OK/m);
    w.close();
  });

  it('unknown command answers BAD; the bad-command limit ends the session with BYE', async () => {
    const w = await Wire.open(tlsPort, true);
    assert.match(await w.cmd('a', 'FROBNICATE'), /^a BAD/m);
    for (let i = 0; i < 12; i++) w.send(`x${i} FROB\r\n`);
    await w.until(/^\* BYE .*invalid commands/m);
    await w.until(/$^/m, 3000).catch(() => {});
    assert.ok(w.closed || /BYE/.test(w.buf));
    w.close();
  });

  it('idle before login ends with an untagged BYE', async () => {
    const w = await Wire.open(tlsPort, true);
    await w.until(/^\* BYE .*idle/im, 5000);
    w.close();
  });
});

describe('mailboxes', () => {
  it('first login creates the special-use folders; LIST shows them with attributes', async (t) => {
    if (!requireTools(t, '/usr/bin/python3')) return;
    const out = await python(`
m = imaplib.IMAP4_SSL('127.0.0.1', ${tlsPort}, ssl_context=ctx)
m.login('carol@example.com', 'pw-carol')
typ, data = m.list()
typ2, data2 = m._simple_command('LIST', '""', '"*"', 'RETURN', '(SPECIAL-USE SUBSCRIBED CHILDREN)')
ext = m.untagged_responses.pop('LIST', [])
m.logout()
print(json.dumps({'list': [d.decode() for d in data], 'ext': [d.decode() for d in ext], 'typ2': typ2}))
`);
    const res = JSON.parse(out) as { list: string[]; ext: string[]; typ2: string };
    const line = (name: string) => res.list.find((l) => l.endsWith(` ${name}`) || l.endsWith(`"${name}"`));
    assert.ok(line('INBOX'), res.list.join('\n'));
    assert.match(line('Sent')!, /\\Sent/);
    assert.match(line('Drafts')!, /\\Drafts/);
    assert.match(line('Junk')!, /\\Junk/);
    assert.match(line('Trash')!, /\\Trash/);
    assert.match(line('Archive')!, /\\Archive/);
    assert.equal(res.typ2, 'OK');
    assert.ok(res.ext.some((l) => /\\Subscribed/.test(l) && /\\Sent/.test(l) && /\\HasNoChildren/.test(l)), res.ext.join('\n'));
  });

  it('CREATE, RENAME of a hierarchy, DELETE, SUBSCRIBE and LSUB (imaplib)', async (t) => {
    if (!requireTools(t, '/usr/bin/python3')) return;
    const out = await python(`
m = imaplib.IMAP4_SSL('127.0.0.1', ${tlsPort}, ssl_context=ctx)
m.login('alice@example.com', 'pw-alice')
r = {}
r['create'] = m.create('Projects/2026/Q1')[0]
r['dup'] = m.create('Projects/2026/Q1')[0]
r['sub'] = m.subscribe('Projects/2026/Q1')[0]
r['rename'] = m.rename('Projects', 'Work')[0]
r['list'] = [d.decode() for d in m.list('""', 'Work*')[1] if d]
r['lsub'] = [d.decode() for d in m.lsub('""', 'Work/*')[1] if d]
r['delete'] = m.delete('Work/2026/Q1')[0]
r['deleteInbox'] = m.delete('INBOX')[0]
r['after'] = [d.decode() for d in m.list('""', 'Work*')[1] if d]
r['lsub2'] = [d.decode() for d in m.lsub('""', 'Work/*')[1] if d]
r['lsubParent'] = [d.decode() for d in m.lsub('""', 'Work/%')[1] if d]
r['unsub'] = m.unsubscribe('Work/2026/Q1')[0]
r['use'] = m._simple_command('CREATE', 'Sent2', '(USE (\\\\Sent))')[0]
r['badUse'] = m._simple_command('CREATE', 'Flag2', '(USE (\\\\Flagged))')[0]
m.logout()
print(json.dumps(r))
`);
    const r = JSON.parse(out) as Record<string, unknown>;
    assert.equal(r.create, 'OK');
    assert.equal(r.dup, 'NO');
    assert.equal(r.sub, 'OK');
    assert.equal(r.rename, 'OK');
    assert.deepEqual(
      (r.list as string[]).map((l) => l.replace(/^\(([^)]*)\) "\/" /, '$1 ').replace(/"/g, '')),
      ['\\HasChildren Work', '\\HasChildren Work/2026', '\\HasNoChildren Work/2026/Q1'],
    );
    assert.deepEqual((r.lsub as string[]).map((l) => l.replace(/"Work/, 'Work').replace(/1"$/, '1')), ['() "/" Work/2026/Q1']);
    assert.equal(r.delete, 'OK');
    assert.equal(r.deleteInbox, 'NO');
    assert.deepEqual(
      (r.after as string[]).map((l) => l.replace(/^\(([^)]*)\) "\/" /, '$1 ').replace(/"/g, '')),
      ['\\HasChildren Work', '\\HasNoChildren Work/2026'],
    );
    assert.deepEqual((r.lsub2 as string[]).map((l) => l.replace(/"Work/, 'Work').replace(/1"$/, '1')), ['(\\Noselect) "/" Work/2026/Q1']);
    assert.deepEqual((r.lsubParent as string[]).map((l) => l.replace(/"/g, '')), ['(\\Noselect) / Work/2026']);
    assert.equal(r.unsub, 'OK');
    assert.equal(r.use, 'OK');
    assert.equal(r.badUse, 'NO');
  });

  it('mailbox names with .. or empty levels are refused and create nothing', async () => {
    const w = await loggedIn();
    for (const [i, name] of ['"../bob"', '"a/../../x"', '"/etc"', '"a//b"', '"trail/"x', '".."'].entries()) {
      const r = await w.cmd(`c${i}`, `CREATE ${name}`);
      assert.match(r, new RegExp(`^c${i} (NO|BAD)`, 'm'), name);
    }
    assert.match(await w.cmd('s', 'SELECT "../bob/INBOX"'), /^s NO/m);
    assert.match(await w.cmd('r', 'RENAME INBOX "../x"'), /^r NO/m);
    const list = await w.cmd('l', 'LIST "" "*"');
    assert.doesNotMatch(list, /\.\./);
    w.close();
  });

  it("another user's mailbox answers exactly like a missing one", async () => {
    const a = await loggedIn();
    assert.match(await a.cmd('a', 'CREATE Secret'), /^a OK/m);
    a.close();
    const b = await loggedIn('bob@example.com', 'pw-bob');
    const secret = (await b.cmd('s', 'STATUS Secret (MESSAGES)')).replace(/^s /m, '');
    const nothing = (await b.cmd('t', 'STATUS Nothing (MESSAGES)')).replace(/^t /m, '');
    assert.equal(secret, nothing);
    assert.match(secret, /NO \[NONEXISTENT\]/);
    assert.doesNotMatch(await b.cmd('l', 'LIST "" "*"'), /Secret/);
    b.close();
  });

  it('LIST (SUBSCRIBED) shows a subscribed name without a mailbox as \\NonExistent; RENAME INBOX keeps INBOX', async () => {
    const w = await loggedIn('carol@example.com', 'pw-carol');
    assert.match(await w.cmd('a', 'SUBSCRIBE Ghost'), /^a OK/m);
    const l = await w.cmd('b', 'LIST (SUBSCRIBED) "" "*"');
    assert.match(l, /^\* LIST \(\\NonExistent \\Subscribed\) "\/" "?Ghost"?\r$/m);
    assert.match(l, /^\* LIST \(\\HasNoChildren \\Subscribed \\Sent\) "\/" "?Sent"?\r$/m);
    assert.match(await w.cmd('c', 'RENAME INBOX "Old Inbox"'), /^c OK/m);
    const after = await w.cmd('d', 'LIST "" "*"');
    assert.match(after, /^\* LIST \([^)]*\) "\/" "?INBOX"?\r$/m);
    assert.match(after, /^\* LIST \([^)]*\) "\/" "Old Inbox"\r$/m);
    w.close();
  });

  it('STATUS of INBOX after a delivery commit', async () => {
    const account = await store.directory.getAccount('example.com', 'bob');
    assert.ok(account);
    const body = 'Subject: hi\r\n\r\nhello\r\n';
    const results = await store.deliveries.commit([
      {
        blob: { hash: 'a'.repeat(64), size: body.length, index: '{}' },
        internalDate: Date.now(),
        messageId: null,
        queueId: 'QIMAPTEST1',
        local: [{ accountId: account.id, mailbox: 'INBOX', enforceQuota: false }],
      },
    ]);
    assert.equal(results[0]!.local[0]!.ok, true);
    const w = await loggedIn('bob@example.com', 'pw-bob');
    const r = await w.cmd('s', 'STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN SIZE HIGHESTMODSEQ)');
    const m = /^\* STATUS "?INBOX"? \(MESSAGES (\d+) UIDNEXT (\d+) UIDVALIDITY (\d+) UNSEEN (\d+) SIZE (\d+) HIGHESTMODSEQ (\d+)\)/m.exec(r);
    assert.ok(m, r);
    assert.equal(m[1], '1');
    assert.equal(m[2], '2');
    assert.equal(m[4], '1');
    assert.equal(Number(m[5]), body.length);
    const sel = await w.cmd('x', 'SELECT INBOX');
    assert.match(sel, /^\* 1 EXISTS/m);
    assert.match(sel, /^\* OK \[UIDVALIDITY \d+\]/m);
    assert.match(sel, /^\* OK \[UIDNEXT 2\]/m);
    assert.match(sel, /^x OK \[READ-WRITE\]/m);
    assert.match(await w.cmd('y', 'EXAMINE Sent'), /^y OK \[READ-ONLY\]/m);
    assert.match(await w.cmd('z', 'CLOSE'), /^z OK/m);
    assert.match(await w.cmd('z2', 'CLOSE'), /^z2 BAD/m);
    w.close();
  });

  it('ENABLE UTF8=ACCEPT switches mailbox names from modified UTF-7 to UTF-8', async () => {
    const w = await loggedIn();
    assert.match(await w.cmd('a', 'CREATE "Entw&APw-rfe"'), /^a OK/m);
    assert.match(await w.cmd('b', 'LIST "" "Entw*"'), /Entw&APw-rfe/);
    assert.match(await w.cmd('c', 'ENABLE UTF8=ACCEPT'), /^\* ENABLED UTF8=ACCEPT/m);
    const r = await w.cmd('d', 'LIST "" "Entw*"');
    assert.match(Buffer.from(r, 'latin1').toString('utf8'), /Entwürfe/);
    assert.match(await w.cmd('e', 'NAMESPACE'), /^\* NAMESPACE \(\(""\s"\/"\)\) NIL NIL/m);
    assert.match(await w.cmd('f', 'ID NIL'), /^\* ID \("name" "Petrel"\)/m);
    const ls = await w.cmd('g', 'LIST "" "Sent" RETURN (STATUS (MESSAGES UIDNEXT))');
    assert.match(ls, /^\* LIST \([^)]*\\Sent[^)]*\) "\/" "?Sent"?\r\n\* STATUS "?Sent"? \(MESSAGES 0 UIDNEXT 1\)/m);
    w.close();
    const v = await loggedIn();
    assert.match(await v.cmd('a', 'ENABLE IMAP4rev2'), /^\* ENABLED IMAP4rev2/m);
    const sel = await v.cmd('b', 'SELECT Sent');
    assert.match(sel, /^\* LIST \(\\Sent\) "\/" "?Sent"?/m);
    assert.doesNotMatch(sel, /RECENT/);
    w.close();
  });
});

describe('hostile and edge input', () => {
  it('LOGIN with a synchronising literal gets a continuation; LITERAL+ needs none', async () => {
    const w = await Wire.open(tlsPort, true);
    w.send('a LOGIN {17}\r\n');
    await w.until(/^\+ /m);
    w.send('alice@example.com {8+}\r\npw-alice\r\n');
    await w.until(/^a OK/m);
    w.close();
  });

  it('an oversized literal before login is refused before any continuation', async () => {
    const w = await Wire.open(tlsPort, true);
    w.send('a LOGIN {500000}\r\n');
    await w.until(/^a BAD/m);
    assert.doesNotMatch(w.buf, /^\+/m);
    w.close();
  });

  it('commands of the wrong state answer BAD', async () => {
    const w = await Wire.open(tlsPort, true);
    assert.match(await w.cmd('a', 'SELECT INBOX'), /^a BAD/m);
    assert.match(await w.cmd('b', 'ENABLE UTF8=ACCEPT'), /^b BAD/m);
    w.close();
    const v = await loggedIn();
    assert.match(await v.cmd('c', 'LOGIN a b'), /^c BAD/m);
    assert.match(await v.cmd('d', 'UNSELECT'), /^d BAD/m);
    v.close();
  });

  it('repeated plaintext LOGIN attempts count towards the bad-command limit', async () => {
    const w = await Wire.open(plainPort);
    for (let i = 0; i < 12; i++) w.send(`l${i} LOGIN alice@example.com pw-alice\r\n`);
    await w.until(/^\* BYE /m);
    assert.doesNotMatch(w.buf, /^l\d+ OK/m);
    w.close();
  });

  it('three failed logins end the connection', async () => {
    const w = await Wire.open(tlsPort, true);
    for (const t of ['a', 'b', 'c']) await w.cmd(t, 'LOGIN alice@example.com wrong');
    await w.until(/^\* BYE .*authentication failures/m);
    w.close();
  });

  it('per-IP connection limit, and close() says BYE to open sessions', async () => {
    const small = new ImapEndpoint({ directory, store, certificates: registry, logger, security: 'starttls', maxConnectionsPerIp: 2 });
    await small.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    const a = await Wire.open(small.port());
    const b = await Wire.open(small.port());
    const c = new Wire(connect(small.port(), '127.0.0.1'));
    await c.until(/^\* BYE .*Too many connections/m);
    c.close();
    const closing = small.close(2000);
    await a.until(/^\* BYE .*shutting down/m);
    await b.until(/^\* BYE .*shutting down/m);
    await closing;
    a.close();
    b.close();
  });

  it('log lines carry the session id and never the password', () => {
    const lines = logger.lines.filter((l) => /imap/.test(l));
    assert.ok(lines.some((l) => /session=\S+/.test(l) && /\blogin\b/.test(l)), lines.slice(0, 5).join('\n'));
    assert.ok(!logger.lines.some((l) => /pw-alice|pw-bob/.test(l)));
  });
  it('a client that pipelines LISTs without reading its responses does not stall other sessions', async () => {
    const w = await loggedIn();
    w.sock.pause();
    const chunk = 'p LIST "" "*"\r\n'.repeat(2000);
    for (let i = 0; i < 20 && w.sock.writable; i++) w.sock.write(chunk);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // A NOOP on another connection is still answered promptly.
    const other = await loggedIn();
    const t = Date.now();
    assert.match(await other.cmd('n', 'NOOP'), /^n OK/m);
    assert.ok(Date.now() - t < 1000);
    other.close();
    w.close();
  });
});

