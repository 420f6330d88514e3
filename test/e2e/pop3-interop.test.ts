/*
 * The POP3 endpoints driven by real clients over real sockets on
 * 127.0.0.1: Python's poplib (STLS on the 110-style port, implicit TLS on
 * the 995-style port, USER/PASS, LIST, UIDL, TOP, RETR, DELE+QUIT), curl
 * (pop3s:// and pop3:// with --ssl-reqd, which logs in with AUTH PLAIN
 * after a `+ ` continuation), openssl s_client -starttls pop3, and an IMAP
 * session on the same store changing flags while UIDLs stay put. Messages
 * are put in through the real Committer (blob file, then rows).
 *
 * Security: test only; 127.0.0.1; a self-signed certificate in a temp dir.
 * Standards: RFC 1939, RFC 2449, RFC 2595, RFC 5034, RFC 8314.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Committer } from '../../src/delivery/committer.js';
import { ImapEndpoint } from '../../src/endpoints/imap/index.js';
import { uidlOf } from '../../src/endpoints/pop3/index.js';
import { indexMessage } from '../../src/mime/index.js';
import { requireTools, run } from '../support/tools.js';
import { Pop3Wire, startPop3, type Pop3Fixture } from '../support/pop3.js';

let f: Pop3Fixture;
let imap: ImapEndpoint;
let imapPort: number;
let committer: Committer;
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];

/** A message with the cases that break naive POP3 servers: dot lines, a lone dot, 8-bit text, a long line, an attachment. */
const TRICKY = Buffer.concat([
  Buffer.from(
    [
      'From: Zoë <zoe@example.org>',
      'To: alice@example.com',
      'Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=',
      'Message-ID: <tricky@example.org>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Grüße aus Köln.',
      '.',
      '..',
      '.starts with a dot',
      'x'.repeat(998),
      '',
      '--b',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256)).toString('base64').replace(/(.{76})/g, '$1\r\n'),
      '--b--',
      '',
    ].join('\r\n'),
    'utf8',
  ),
]);
const PLAIN = (n: number) => Buffer.from(`From: bob@example.org\r\nSubject: plain ${n}\r\n\r\nMessage number ${n}.\r\nSecond line.\r\n`);

async function commit(user: string, bytes: Buffer): Promise<number> {
  const account = (await f.store.directory.getAccount('example.com', user))!;
  const [r] = (await committer.commit({
    bytes,
    index: JSON.stringify(indexMessage(bytes)),
    request: { internalDate: Date.now(), messageId: null, queueId: `q-${user}-${Math.random()}`, local: [{ accountId: account.id, mailbox: 'INBOX', enforceQuota: false }] },
  })).local;
  assert.ok(r && r.ok);
  return r.uid;
}

before(async () => {
  f = await startPop3(USERS);
  committer = new Committer(f.blobs, f.store.deliveries, f.logger);
  imap = new ImapEndpoint({ directory: f.directory, store: f.store, blobs: f.blobs, certificates: f.registry, logger: f.logger, security: 'implicit' });
  await imap.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  imapPort = imap.port();
  for (const u of USERS) {
    await commit(u, TRICKY);
    await commit(u, PLAIN(2));
    await commit(u, PLAIN(3));
  }
});

after(async () => {
  await imap.close(200);
  await f.close();
});

const PY = 'import poplib, imaplib, ssl, json, sys, base64, re\nctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE\n';

/** Python: the UIDs of the selected mailbox and those flagged \\Deleted, from UID FETCH (SEARCH is not needed). */
const PY_UIDS = `
typ, data = m.uid('FETCH', '1:*', '(FLAGS)')
rows = [d.decode() if isinstance(d, bytes) else d[0].decode() for d in data if d]
uids = [re.search(r'UID (\\d+)', r).group(1) for r in rows]
deleted = [re.search(r'UID (\\d+)', r).group(1) for r in rows if '\\\\Deleted' in r]
`;

async function python(script: string): Promise<Record<string, unknown>> {
  const r = await run('python3', ['-c', PY + script], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, `python failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

async function uidValidity(user: string): Promise<number> {
  const account = (await f.store.directory.getAccount('example.com', user))!;
  return (await f.store.mailboxes.getMailbox(account.id, 'INBOX'))!.uidValidity;
}

describe('poplib', () => {
  it('POP3_SSL (995): RETR gives a committed message back byte for byte, with its exact octet count', async (t) => {
    if (!requireTools(t, 'python3')) return;
    const res = await python(`
p = poplib.POP3_SSL('127.0.0.1', ${f.tlsPort}, context=ctx)
p.user('alice@example.com'); p.pass_('pw-alice')
resp, lines, octets = p.retr(1)
size = p.list(1).decode()
p.quit()
print(json.dumps({'resp': resp.decode(), 'size': size, 'body': base64.b64encode(b'\\r\\n'.join(lines) + b'\\r\\n').decode()}))
`);
    assert.equal(Buffer.from(res.body as string, 'base64').toString('latin1'), TRICKY.toString('latin1'));
    assert.equal(res.resp, `+OK ${TRICKY.length} octets`);
    assert.equal(res.size, `+OK 1 ${TRICKY.length}`);
  });

  it('POP3 + STLS (110): capa, login, STAT, LIST, UIDL, TOP, RETR, DELE and QUIT; the next session no longer sees the deleted message', async (t) => {
    if (!requireTools(t, 'python3')) return;
    const res = await python(`
p = poplib.POP3('127.0.0.1', ${f.plainPort})
caps_before = sorted(p.capa().keys())
p.stls(context=ctx)
caps_after = sorted(p.capa().keys())
p.user('bob@example.com'); p.pass_('pw-bob')
stat = p.stat()
lst = [l.decode() for l in p.list()[1]]
uidl = [l.decode() for l in p.uidl()[1]]
top = [l.decode('utf-8') for l in p.top(1, 2)[1]]
r2 = b'\\r\\n'.join(p.retr(2)[1]).decode()
dele = p.dele(2).decode()
quit = p.quit().decode()
p = poplib.POP3_SSL('127.0.0.1', ${f.tlsPort}, context=ctx)
p.user('bob@example.com'); p.pass_('pw-bob')
after = [l.decode() for l in p.uidl()[1]]
p.quit()
print(json.dumps({'caps_before': caps_before, 'caps_after': caps_after, 'stat': stat, 'list': lst, 'uidl': uidl, 'top': top, 'r2': r2, 'dele': dele, 'quit': quit, 'after': after}))
`);
    assert.deepEqual(res.caps_before, ['AUTH-RESP-CODE', 'IMPLEMENTATION', 'PIPELINING', 'RESP-CODES', 'STLS', 'TOP', 'UIDL']);
    assert.deepEqual(res.caps_after, ['AUTH-RESP-CODE', 'IMPLEMENTATION', 'PIPELINING', 'RESP-CODES', 'SASL', 'TOP', 'UIDL', 'USER']);
    assert.deepEqual(res.stat, [3, TRICKY.length + PLAIN(2).length + PLAIN(3).length]);
    assert.deepEqual(res.list, [`1 ${TRICKY.length}`, `2 ${PLAIN(2).length}`, `3 ${PLAIN(3).length}`]);
    const v = await uidValidity('bob');
    assert.deepEqual(res.uidl, [`1 ${uidlOf(1, v)}`, `2 ${uidlOf(2, v)}`, `3 ${uidlOf(3, v)}`]);
    const top = res.top as string[];
    assert.equal(top[0], 'From: Zoë <zoe@example.org>');
    assert.equal(top.indexOf(''), top.length - 3, 'headers, blank line, then exactly 2 body lines');
    assert.deepEqual(top.slice(-2), ['--b', 'Content-Type: text/plain; charset=utf-8']);
    assert.equal(res.r2, PLAIN(2).toString().replace(/\r\n$/, ''));
    assert.match(res.dele as string, /^\+OK/);
    assert.match(res.quit as string, /^\+OK Logging out, 1 messages deleted/);
    assert.deepEqual(res.after, [`1 ${uidlOf(1, v)}`, `2 ${uidlOf(3, v)}`]);
  });

  it('wrong password gets -ERR [AUTH]', async (t) => {
    if (!requireTools(t, 'python3')) return;
    const res = await python(`
p = poplib.POP3_SSL('127.0.0.1', ${f.tlsPort}, context=ctx)
p.user('carol@example.com')
try:
    p.pass_('wrong'); err = None
except poplib.error_proto as e:
    err = str(e)
print(json.dumps({'err': err}))
`);
    assert.match(res.err as string, /-ERR \[AUTH\] Authentication failed/);
  });
});

describe('curl', () => {
  it('pop3s:// lists and retrieves (SASL PLAIN after a "+ " continuation)', async (t) => {
    if (!requireTools(t, 'curl')) return;
    const list = await run('curl', ['-sS', '-k', '--max-time', '10', '-u', 'carol@example.com:pw-carol', `pop3s://127.0.0.1:${f.tlsPort}/`]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout, `1 ${TRICKY.length}\r\n2 ${PLAIN(2).length}\r\n3 ${PLAIN(3).length}\r\n`);
    const msg = await run('curl', ['-sS', '-k', '--max-time', '10', '-u', 'carol@example.com:pw-carol', `pop3s://127.0.0.1:${f.tlsPort}/3`]);
    assert.equal(msg.code, 0, msg.stderr);
    assert.equal(msg.stdout, PLAIN(3).toString());
    const uidl = await run('curl', ['-sS', '-k', '--max-time', '10', '-u', 'carol@example.com:pw-carol', '-X', 'UIDL', `pop3s://127.0.0.1:${f.tlsPort}/`]);
    const v = await uidValidity('carol');
    assert.equal(uidl.stdout, `1 ${uidlOf(1, v)}\r\n2 ${uidlOf(2, v)}\r\n3 ${uidlOf(3, v)}\r\n`);
    assert.match(f.logger.lines.join('\n'), /login user=carol@example.com/);
  });

  it('pop3:// with --ssl-reqd upgrades with STLS; a wrong password fails', async (t) => {
    if (!requireTools(t, 'curl')) return;
    const r = await run('curl', ['-sS', '-k', '--ssl-reqd', '--max-time', '10', '-u', 'dave@example.com:pw-dave', `pop3://127.0.0.1:${f.plainPort}/1`]);
    assert.equal(r.code, 0, r.stderr);
    // run() decodes stdout as UTF-8, as TRICKY's text is.
    assert.equal(r.stdout, TRICKY.toString());
    const bad = await run('curl', ['-sS', '-k', '--ssl-reqd', '--max-time', '10', '-u', 'dave@example.com:nope', `pop3://127.0.0.1:${f.plainPort}/`]);
    assert.notEqual(bad.code, 0);
  });
});

describe('openssl s_client', () => {
  it('-starttls pop3 negotiates TLS and a session runs inside it', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${f.plainPort}`, '-starttls', 'pop3', '-quiet', '-ign_eof', '-crlf'], {
      input: 'CAPA\nUSER erin@example.com\nPASS pw-erin\nSTAT\nQUIT\n',
      timeoutMs: 10_000,
    });
    assert.match(r.stdout, /^SASL PLAIN\r$/m);
    assert.doesNotMatch(r.stdout, /^STLS/m);
    assert.match(r.stdout, /^\+OK Logged in, 3 messages/m);
    assert.match(r.stdout, /^\+OK 3 \d+\r$/m);
    assert.match(r.stdout, /^\+OK Logging out, 0 messages deleted/m);
  });
});

describe('POP3 and IMAP on one mailbox', () => {
  it('UIDL stays the same across sessions and after an IMAP session changed flags, and matches the IMAP UID and UIDVALIDITY', async (t) => {
    if (!requireTools(t, 'python3')) return;
    const w = await Pop3Wire.login(f.tlsPort, 'erin');
    const first = await w.multi('UIDL');
    await w.cmd('QUIT');
    const res = await python(`
m = imaplib.IMAP4_SSL('127.0.0.1', ${imapPort}, ssl_context=ctx)
m.login('erin@example.com', 'pw-erin')
typ, data = m.select('INBOX')
uv = m.untagged_responses.get('UIDVALIDITY', [b'0'])[0].decode()
m.uid('STORE', '1:*', '+FLAGS', '(\\\\Flagged $Label1 \\\\Answered)')
m.uid('STORE', '2', '-FLAGS', '(\\\\Flagged)')
${PY_UIDS}
m.logout()
print(json.dumps({'uv': uv, 'uids': uids}))
`);
    const w2 = await Pop3Wire.login(f.tlsPort, 'erin');
    const second = await w2.multi('UIDL');
    await w2.cmd('QUIT');
    assert.equal(second, first);
    const uv = Number(res.uv);
    const expected = (res.uids as string[]).map((u, i) => `${i + 1} ${uidlOf(Number(u), uv)}`);
    assert.equal(first, `+OK Unique-ID listing follows\r\n${expected.join('\r\n')}\r\n.\r\n`);
  });

  it('POP3 deletions at QUIT are expunges IMAP sees; \\Deleted an IMAP client set on other messages is left alone', async (t) => {
    if (!requireTools(t, 'python3')) return;
    const w = await Pop3Wire.login(f.tlsPort, 'alice');
    await w.cmd('DELE 3');
    const flagged = await python(`
m = imaplib.IMAP4_SSL('127.0.0.1', ${imapPort}, ssl_context=ctx)
m.login('alice@example.com', 'pw-alice')
m.select('INBOX')
m.uid('STORE', '1', '+FLAGS', '(\\\\Deleted)')
${PY_UIDS}
m.logout()
print(json.dumps({'uids': uids}))
`);
    assert.deepEqual(flagged.uids, ['1', '2', '3']);
    assert.match(await w.cmd('QUIT'), /^\+OK Logging out, 1 messages deleted/);
    const res = await python(`
m = imaplib.IMAP4_SSL('127.0.0.1', ${imapPort}, ssl_context=ctx)
m.login('alice@example.com', 'pw-alice')
m.select('INBOX')
${PY_UIDS}
m.logout()
print(json.dumps({'uids': uids, 'deleted': deleted}))
`);
    assert.deepEqual(res, { uids: ['1', '2'], deleted: ['1'] });
  });
});
