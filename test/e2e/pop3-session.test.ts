/*
 * The POP3 endpoints over real sockets on 127.0.0.1 (raw transcripts):
 * STLS policy and plaintext injection, login refusals and limits, the
 * maildrop snapshot, LIST/STAT/UIDL/TOP/RETR with dot-stuffing, DELE only
 * applied at QUIT, RSET, [IN-USE], pipelining, timeouts and ALPN.
 *
 * Security: test only; 127.0.0.1; a self-signed certificate in a temp dir.
 * Standards: RFC 1939, RFC 2449, RFC 2595, RFC 3206, RFC 5034, RFC 8314.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { uidlOf } from '../../src/endpoints/pop3/index.js';
import { Pop3Wire, startPop3, type Pop3Fixture } from '../support/pop3.js';

let f: Pop3Fixture;
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina', 'hank'];

const M1 = Buffer.from('From: a@example.org\r\nSubject: one\r\n\r\nline 1\r\n.\r\n.. two dots\r\nline 4\r\n');
const M2 = Buffer.from('From: b@example.org\r\nSubject: two\r\n\r\nbody\r\n');

before(async () => {
  f = await startPop3(USERS, { timeouts: { preLoginMs: 5000, postLoginMs: 5000 } });
  for (const u of USERS) {
    await f.deliver(u, M1);
    await f.deliver(u, M2);
  }
});

after(async () => {
  await f.close();
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function inboxUids(user: string): Promise<number[]> {
  const account = (await f.store.directory.getAccount('example.com', user))!;
  const inbox = (await f.store.mailboxes.getMailbox(account.id, 'INBOX'))!;
  return (await f.store.mailboxes.listMessages(inbox.id)).map((m) => m.uid);
}

describe('POP3 on the STLS port (110)', () => {
  it('CAPA before TLS offers STLS and no USER or SASL; after STLS USER and SASL PLAIN and no STLS', async () => {
    const w = await Pop3Wire.open(f.plainPort, false);
    const before = await w.multi('CAPA');
    assert.match(before, /^\+OK/);
    assert.match(before, /\r\nSTLS\r\n/);
    assert.match(before, /\r\nTOP\r\n/);
    assert.match(before, /\r\nUIDL\r\n/);
    assert.match(before, /\r\nRESP-CODES\r\n/);
    assert.match(before, /\r\nAUTH-RESP-CODE\r\n/);
    assert.match(before, /\r\nPIPELINING\r\n/);
    assert.match(before, /\r\nIMPLEMENTATION Petrel\r\n/);
    assert.doesNotMatch(before, /USER|SASL/);
    await w.startTls();
    const after = await w.multi('CAPA');
    assert.match(after, /\r\nUSER\r\n/);
    assert.match(after, /\r\nSASL PLAIN\r\n/);
    assert.doesNotMatch(after, /STLS/);
    assert.match(await w.cmd('STLS'), /^-ERR/);
    w.close();
  });

  it('refuses USER, PASS and AUTH before TLS with -ERR [AUTH], and reads no credentials', async () => {
    const w = await Pop3Wire.open(f.plainPort, false);
    assert.match(await w.cmd('USER alice@example.com'), /^-ERR \[AUTH\] Plaintext authentication disallowed/);
    assert.match(await w.cmd('PASS pw-alice'), /^-ERR \[AUTH\]/);
    assert.match(await w.cmd(`AUTH PLAIN ${b64('\0alice@example.com\0pw-alice')}`), /^-ERR \[AUTH\]/);
    assert.match(await w.cmd('STAT'), /^-ERR/);
    assert.match(f.logger.lines.join('\n'), /plaintext-login-refused command=USER/);
    w.close();
  });

  it('STLS injection: commands pipelined after STLS in the same write are discarded, never answered inside TLS', async () => {
    const sock = connect(f.plainPort, '127.0.0.1');
    const w = new Pop3Wire(sock);
    await w.until(/^\+OK/);
    w.buf = Buffer.alloc(0);
    w.send('STLS\r\nUSER alice@example.com\r\nPASS pw-alice\r\nCAPA\r\n');
    await w.until(/^\+OK Begin TLS/);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(w.text.split('\r\n').filter(Boolean).length, 1, w.text);
    const secure = tls.connect({ socket: sock, rejectUnauthorized: false });
    sock.removeAllListeners('data');
    w.buf = Buffer.alloc(0);
    w.attach(secure);
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    // Had USER/PASS been kept, STAT would work now; the session must still be in AUTHORIZATION.
    assert.match(await w.cmd('STAT'), /^-ERR STAT not allowed/);
    assert.match(await w.cmd('NOOP'), /^-ERR/);
    assert.match(await w.cmd('USER alice@example.com'), /^\+OK/);
    assert.match(await w.cmd('PASS pw-alice'), /^\+OK/);
    assert.match(await w.cmd('STAT'), /^\+OK 2 /);
    assert.match(await w.cmd('QUIT'), /^\+OK/);
    w.close();
  });
});

describe('POP3 login', () => {
  it('USER/PASS: a wrong password and an unknown user get the same -ERR [AUTH]; PASS without USER is refused', async () => {
    const w = await Pop3Wire.open(f.tlsPort, true);
    assert.match(await w.cmd('PASS pw-alice'), /^-ERR Send USER first/);
    assert.match(await w.cmd('USER alice@example.com'), /^\+OK/);
    const wrong = await w.cmd('PASS nope');
    assert.match(await w.cmd('USER nobody@example.com'), /^\+OK/);
    const unknown = await w.cmd('PASS nope');
    assert.equal(wrong, '-ERR [AUTH] Authentication failed\r\n');
    assert.equal(unknown, wrong);
    // After a failed PASS the USER is forgotten.
    assert.match(await w.cmd('PASS pw-alice'), /^-ERR Send USER first/);
    w.close();
  });

  it('closes the connection after 3 failed logins, and logs each failure with its count', async () => {
    const w = await Pop3Wire.open(f.tlsPort, true);
    for (let i = 0; i < 2; i++) {
      await w.cmd('USER bob@example.com');
      assert.match(await w.cmd('PASS wrong'), /^-ERR \[AUTH\]/);
    }
    await w.cmd('USER bob@example.com');
    w.buf = Buffer.alloc(0);
    w.send('PASS wrong\r\n');
    await w.waitClosed();
    assert.match(w.text, /^-ERR \[AUTH\] Authentication failed\r\n-ERR Too many authentication failures\r\n$/);
    const log = f.logger.lines.join('\n');
    assert.match(log, /auth-failed reason=pass user=bob@example.com failures=3/);
    assert.match(log, /too-many-auth-failures/);
  });

  it('AUTH PLAIN with an initial response, after a "+ " continuation, with "*" cancel and bad base64', async () => {
    const w = await Pop3Wire.open(f.tlsPort, true);
    assert.equal(await w.multi('AUTH'), '+OK Mechanisms follow\r\nPLAIN\r\n.\r\n');
    assert.match(await w.cmd('AUTH CRAM-MD5'), /^-ERR Unsupported/);
    assert.equal(await w.cmd('AUTH PLAIN'), '+ \r\n');
    assert.match(await w.cmd('*'), /^-ERR Authentication cancelled/);
    assert.equal(await w.cmd('AUTH PLAIN'), '+ \r\n');
    assert.match(await w.cmd('not base64!'), /^-ERR Invalid base64/);
    assert.equal(await w.cmd('AUTH PLAIN'), '+ \r\n');
    assert.match(await w.cmd(b64('\0carol@example.com\0pw-carol')), /^\+OK Logged in, 2 messages/);
    assert.match(await w.cmd('STAT'), /^\+OK 2 \d+\r\n$/);
    w.close();
    const w2 = await Pop3Wire.open(f.tlsPort, true);
    assert.match(await w2.cmd(`AUTH PLAIN ${b64('other@example.com\0dave@example.com\0pw-dave')}`), /^-ERR \[AUTH\]/);
    assert.match(await w2.cmd(`AUTH PLAIN ${b64('\0dave@example.com\0pw-dave')}`), /^\+OK Logged in/);
    w2.close();
  });
});

describe('POP3 transaction', () => {
  it('STAT, LIST, UIDL, TOP and RETR: sizes are the stored CRLF octets, RETR is dot-stuffed and un-stuffs to the stored bytes', async () => {
    const w = await Pop3Wire.login(f.tlsPort, 'erin');
    const account = (await f.store.directory.getAccount('example.com', 'erin'))!;
    const inbox = (await f.store.mailboxes.getMailbox(account.id, 'INBOX'))!;
    const [u1, u2] = await inboxUids('erin');
    assert.equal(await w.cmd('STAT'), `+OK 2 ${M1.length + M2.length}\r\n`);
    assert.equal(await w.multi('LIST'), `+OK 2 messages (${M1.length + M2.length} octets)\r\n1 ${M1.length}\r\n2 ${M2.length}\r\n.\r\n`);
    assert.equal(await w.cmd('LIST 2'), `+OK 2 ${M2.length}\r\n`);
    assert.match(await w.cmd('LIST 3'), /^-ERR No such message/);
    assert.match(await w.cmd('LIST 0'), /^-ERR No such message/);
    assert.equal(await w.multi('UIDL'), `+OK Unique-ID listing follows\r\n1 ${uidlOf(u1!, inbox.uidValidity)}\r\n2 ${uidlOf(u2!, inbox.uidValidity)}\r\n.\r\n`);
    assert.match(uidlOf(u1!, inbox.uidValidity), /^[0-9A-F]{16}$/);
    assert.equal(await w.cmd('UIDL 1'), `+OK 1 ${uidlOf(u1!, inbox.uidValidity)}\r\n`);
    assert.equal(await w.multi('TOP 1 0'), '+OK Top of message follows\r\nFrom: a@example.org\r\nSubject: one\r\n\r\n.\r\n');
    assert.equal(await w.multi('TOP 1 2'), '+OK Top of message follows\r\nFrom: a@example.org\r\nSubject: one\r\n\r\nline 1\r\n..\r\n.\r\n');
    const retr = await w.multi('RETR 1');
    assert.equal(retr, `+OK ${M1.length} octets\r\nFrom: a@example.org\r\nSubject: one\r\n\r\nline 1\r\n..\r\n... two dots\r\nline 4\r\n.\r\n`);
    w.close();
  });

  it('golden transcript: a whole session pipelined in one write, answered byte for byte', async () => {
    const w = await Pop3Wire.open(f.tlsPort, true);
    const total = M1.length + M2.length;
    w.send('USER dave@example.com\r\nPASS pw-dave\r\nSTAT\r\nLIST\r\nRETR 2\r\nDELE 1\r\nLIST 1\r\nNOOP\r\nRSET\r\nquit\r\n');
    await w.waitClosed();
    assert.equal(
      w.text,
      [
        '+OK Send your password',
        `+OK Logged in, 2 messages (${total} octets)`,
        `+OK 2 ${total}`,
        `+OK 2 messages (${total} octets)`,
        `1 ${M1.length}`,
        `2 ${M2.length}`,
        '.',
        `+OK ${M2.length} octets`,
        M2.toString().replace(/\r\n$/, ''),
        '.',
        '+OK Message 1 deleted',
        '-ERR No such message',
        '+OK',
        `+OK 2 messages (${total} octets)`,
        '+OK Logging out, 0 messages deleted',
        '',
      ].join('\r\n'),
    );
  });

  it('PIPELINING: many commands in one write are answered in order', async () => {
    const w = await Pop3Wire.open(f.tlsPort, true);
    w.send('CAPA\r\nUSER frank@example.com\r\nPASS pw-frank\r\nSTAT\r\nLIST 1\r\nRETR 2\r\nUIDL 2\r\nNOOP\r\nTOP 1 0\r\nBOGUS\r\nQUIT\r\n');
    await w.until(/\+OK Logging out[^\r]*\r\n$/);
    const t = w.text;
    const order = ['+OK Capability list follows', '+OK Send your password', '+OK Logged in', '+OK 2 ', `+OK 1 ${M1.length}`, `+OK ${M2.length} octets`, '+OK 2 ', '+OK\r\n', '+OK Top of message follows', '-ERR Unknown command', '+OK Logging out'];
    let at = 0;
    for (const o of order) {
      const i = t.indexOf(o, at);
      assert.ok(i >= at, `expected ${JSON.stringify(o)} after offset ${at} in\n${t}`);
      at = i + o.length;
    }
    await w.waitClosed();
  });

  it('deletions happen only at QUIT: a dropped connection and RSET delete nothing; DELE+QUIT expunges exactly those', async () => {
    const before = await inboxUids('gina');
    assert.equal(before.length, 2);
    // Dropped connection after DELE.
    let w = await Pop3Wire.login(f.tlsPort, 'gina');
    assert.match(await w.cmd('DELE 1'), /^\+OK/);
    assert.match(await w.cmd('DELE 1'), /^-ERR No such message/);
    assert.match(await w.cmd('RETR 1'), /^-ERR No such message/);
    assert.match(await w.cmd('STAT'), new RegExp(`^\\+OK 1 ${M2.length}\\r\\n`));
    w.close();
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await inboxUids('gina'), before);
    // RSET undoes DELE.
    w = await Pop3Wire.login(f.tlsPort, 'gina');
    await w.cmd('DELE 2');
    assert.match(await w.cmd('RSET'), /^\+OK 2 messages/);
    assert.match(await w.cmd('QUIT'), /^\+OK Logging out, 0 messages deleted/);
    await w.waitClosed();
    assert.deepEqual(await inboxUids('gina'), before);
    // DELE then QUIT.
    w = await Pop3Wire.login(f.tlsPort, 'gina');
    await w.cmd('DELE 1');
    assert.deepEqual(await inboxUids('gina'), before, 'nothing changes before QUIT');
    assert.match(await w.cmd('QUIT'), /^\+OK Logging out, 1 messages deleted/);
    await w.waitClosed();
    assert.deepEqual(await inboxUids('gina'), [before[1]]);
    assert.match(f.logger.lines.join('\n'), /update seen=0 deleted=1/);
  });

  it('the maildrop is a snapshot: mail delivered during the session shows only in the next one', async () => {
    const w = await Pop3Wire.login(f.tlsPort, 'hank');
    assert.match(await w.cmd('STAT'), /^\+OK 2 /);
    await f.deliver('hank', M2);
    assert.match(await w.cmd('STAT'), /^\+OK 2 /);
    assert.match(await w.cmd('LIST 3'), /^-ERR/);
    assert.match(await w.cmd('QUIT'), /^\+OK/);
    const w2 = await Pop3Wire.login(f.tlsPort, 'hank');
    assert.match(await w2.cmd('STAT'), /^\+OK 3 /);
    w2.close();
  });

  it('RETR sets \\Seen at QUIT (not before, not after RSET, not on a dropped connection); TOP never', async () => {
    const account = (await f.store.directory.getAccount('example.com', 'alice'))!;
    const inbox = (await f.store.mailboxes.getMailbox(account.id, 'INBOX'))!;
    const seen = async () => (await f.store.mailboxes.listMessages(inbox.id)).map((m) => m.flags.includes('\\Seen'));
    let w = await Pop3Wire.login(f.tlsPort, 'alice');
    await w.multi('RETR 1');
    w.close();
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await seen(), [false, false]);
    w = await Pop3Wire.login(f.tlsPort, 'alice');
    await w.multi('RETR 1');
    await w.multi('TOP 2 5');
    assert.deepEqual(await seen(), [false, false]);
    await w.cmd('QUIT');
    await w.waitClosed();
    assert.deepEqual(await seen(), [true, false]);
  });
});

describe('POP3 exclusive access and limits', () => {
  it('[IN-USE]: a second login to the same maildrop is refused while the first session lives, on either port', async () => {
    const first = await Pop3Wire.login(f.tlsPort, 'bob');
    const second = await Pop3Wire.open(f.tlsPort, true);
    await second.cmd('USER bob@example.com');
    assert.equal(await second.cmd('PASS pw-bob'), '-ERR [IN-USE] Mailbox is locked by another POP3 session\r\n');
    assert.match(await second.cmd('STAT'), /^-ERR/, 'still in AUTHORIZATION');
    const third = await Pop3Wire.open(f.plainPort, false);
    await third.startTls();
    assert.match(await third.cmd(`AUTH PLAIN ${b64('\0bob@example.com\0pw-bob')}`), /^-ERR \[IN-USE\]/);
    // QUIT releases the lock.
    assert.match(await first.cmd('QUIT'), /^\+OK/);
    await first.waitClosed();
    await second.cmd('USER bob@example.com');
    assert.match(await second.cmd('PASS pw-bob'), /^\+OK Logged in/);
    // A dropped connection releases it too.
    second.close();
    await new Promise((r) => setTimeout(r, 100));
    assert.match(await third.cmd(`AUTH PLAIN ${b64('\0bob@example.com\0pw-bob')}`), /^\+OK Logged in/);
    third.close();
  });

  it('closes after 10 invalid commands; over-long lines are refused without being buffered', async () => {
    const w = await Pop3Wire.open(f.tlsPort, true);
    assert.match(await w.cmd(`USER ${'x'.repeat(5000)}`), /^-ERR Line too long/);
    assert.match(await w.cmd('NOOP'), /^-ERR NOOP not allowed/);
    for (let i = 0; i < 7; i++) assert.match(await w.cmd('XYZZY'), /^-ERR Unknown command/);
    w.buf = Buffer.alloc(0);
    w.send('XYZZY\r\n');
    await w.waitClosed();
    assert.equal(w.text, '-ERR Unknown command\r\n-ERR Too many invalid commands\r\n');
  });

  it('closes a session that chats past 30 commands without logging in', async () => {
    const w = await Pop3Wire.open(f.tlsPort, true);
    w.send('CAPA\r\n'.repeat(31));
    await w.waitClosed();
    assert.equal(w.text.split('+OK Capability list follows').length - 1, 30);
    assert.match(w.text, /-ERR Too many commands before login\r\n$/);
  });

  it('an idle session is closed with -ERR and nothing it marked is deleted', async () => {
    const g = await startPop3(['ivan'], { timeouts: { preLoginMs: 300, postLoginMs: 300 } });
    try {
      await g.deliver('ivan', M1);
      const w = await Pop3Wire.login(g.tlsPort, 'ivan');
      await w.cmd('DELE 1');
      await w.waitClosed(3000);
      assert.match(w.text, /-ERR Disconnected for inactivity\r\n$/);
      const pre = await Pop3Wire.open(g.tlsPort, true);
      await pre.waitClosed(3000);
      const account = (await g.store.directory.getAccount('example.com', 'ivan'))!;
      const inbox = (await g.store.mailboxes.getMailbox(account.id, 'INBOX'))!;
      assert.equal((await g.store.mailboxes.listMessages(inbox.id)).length, 1);
    } finally {
      await g.close();
    }
  });

  it('server shutdown answers -ERR [SYS/TEMP] and deletes nothing; a missing message file answers -ERR [SYS/TEMP]', async () => {
    const g = await startPop3(['kate']);
    try {
      await g.deliver('kate', M1);
      const lost = Buffer.from('From: x@example.org\r\nSubject: lost\r\n\r\nunique body for kate\r\n');
      await g.deliver('kate', lost);
      const account = (await g.store.directory.getAccount('example.com', 'kate'))!;
      const inbox = (await g.store.mailboxes.getMailbox(account.id, 'INBOX'))!;
      const [, second] = await g.store.mailboxes.listMessages(inbox.id);
      rmSync(g.blobs.pathOf(second!.blobHash));
      const w = await Pop3Wire.login(g.tlsPort, 'kate');
      assert.equal(await w.cmd('RETR 2'), '-ERR [SYS/TEMP] Message is unavailable, try again later\r\n');
      assert.match(g.logger.lines.join('\n'), /message-unreadable uid=2/);
      assert.match(await w.cmd('DELE 1'), /^\+OK/);
      w.buf = Buffer.alloc(0);
      await g.secure.close(500);
      await w.waitClosed();
      assert.equal(w.text, '-ERR [SYS/TEMP] Server shutting down, try again later\r\n');
      assert.equal((await g.store.mailboxes.listMessages(inbox.id)).length, 2);
    } finally {
      await g.close();
    }
  });

  it('ALPN on 995: pop3 is accepted, http/1.1 alone is refused with a handshake failure', async () => {
    const w = await Pop3Wire.open(f.tlsPort, true, ['pop3']);
    assert.equal((w.sock as tls.TLSSocket).alpnProtocol, 'pop3');
    w.close();
    const err = await new Promise<Error | null>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: f.tlsPort, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
      s.once('secureConnect', () => {
        s.destroy();
        resolve(null);
      });
      s.once('error', (e) => resolve(e));
    });
    assert.ok(err, 'handshake must fail');
    assert.match(err.message, /no application protocol|alert/i);
  });

  it('a client that pipelines RETRs without reading stalls the session (one message read, bounded output); everything arrives once it reads', async () => {
    const big = Buffer.from(`From: x@example.org\r\nSubject: big\r\n\r\n${'.a line of text to make the message big.\r\n'.repeat(50_000)}`);
    let reads = 0;
    const g = await startPop3(['judy'], {
      wrapBlobs: (blobs) => ({
        get: (hash) => {
          reads++;
          return blobs.get(hash);
        },
      }),
    });
    try {
      await g.deliver('judy', big);
      const w = await Pop3Wire.login(g.tlsPort, 'judy');
      w.sock.pause();
      w.buf = Buffer.alloc(0);
      w.send('RETR 1\r\n'.repeat(10) + 'QUIT\r\n');
      await new Promise((r) => setTimeout(r, 500));
      // Each RETR is 2 MB; the next starts only once less than 1 MiB is unsent, so beyond what the kernel's
      // socket buffers absorb (a few MB on loopback) the session waits for the client instead of reading on.
      assert.ok(reads >= 1 && reads <= 4, `the session read ${reads} of 10 messages for a client that reads nothing`);
      w.sock.resume();
      await w.waitClosed(20_000);
      const stuffed = big.length + 50_000;
      const per = `+OK ${big.length} octets\r\n`.length + stuffed + 3;
      const bye = '+OK Logging out, 0 messages deleted\r\n';
      assert.equal(w.buf.length, per * 10 + bye.length);
      assert.equal(w.buf.subarray(w.buf.length - bye.length).toString(), bye);
      const status = `+OK ${big.length} octets\r\n`;
      assert.equal(w.buf.subarray(per, per + status.length).toString(), status);
    } finally {
      await g.close();
    }
  });
});
