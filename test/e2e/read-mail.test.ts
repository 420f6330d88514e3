/*
 * IMAP and POP3 in the running server (`petrel serve` with the [imap],
 * [imaps], [pop3] and [pop3s] roles): a message sent through SMTP is read
 * back byte for byte by real clients, imapflow over implicit TLS, Python's
 * imaplib after STARTTLS, curl with an imap:// URL and --ssl-reqd, and
 * Python's poplib over implicit TLS and after STLS; the STARTTLS listener
 * refuses a login before TLS.
 *
 * Security: test only; 127.0.0.1; the server's own self-signed certificate.
 * Standards: RFC 9051, RFC 1939, RFC 2595, RFC 8314.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ImapFlow } from 'imapflow';
import { PetrelProcess } from '../support/petrel.js';
import { message, RawSmtp } from '../support/smtp-client.js';
import { requireTools, run } from '../support/tools.js';

let p: PetrelProcess;
/** The stored bytes of the message sent in before(), as the mailbox holds them. */
let stored: Buffer;

const BODY = 'Grüße aus Zürich.\r\n' + 'A long line '.repeat(40) + '\r\n.leading dot\r\n';

before(async () => {
  p = await PetrelProcess.create({ logLevel: 'info' });
  await p.start();
  await p.addDomain('example.com');
  await p.addUser('alice@example.com', 'alice-pw');
  const c = await RawSmtp.open(p.ports.mx);
  const replies = await c.send({
    from: 'sender@remote.test',
    to: ['alice@example.com'],
    message: message({ Subject: 'read me back', 'Message-ID': '<imap-e2e@remote.test>', 'Content-Type': 'text/plain; charset=utf-8' }, BODY),
  });
  c.close();
  assert.equal(replies.at(-1)!.code, 250);
  const db = new Database(join(p.dataDir, 'petrel.db'), { readonly: true });
  const row = db.prepare(`SELECT blob_hash FROM messages WHERE message_id = ?`).get('<imap-e2e@remote.test>') as { blob_hash: string };
  db.close();
  stored = readFileSync(join(p.dataDir, 'blobs', row.blob_hash.slice(0, 2), row.blob_hash));
  assert.ok(stored.includes(Buffer.from('Grüße aus Zürich.')), 'the message as sent is what is stored');
});
after(() => p.destroy());

describe('POP3 in petrel serve', () => {
  for (const mode of ['pop3s', 'pop3+STLS'] as const) {
    it(`serves the delivered message byte for byte to Python poplib (${mode})`, async (t) => {
      if (!requireTools(t, 'python3')) return;
      const connect =
        mode === 'pop3s'
          ? `m = poplib.POP3_SSL("127.0.0.1", ${p.ports.pop3s}, context=ctx)`
          : `m = poplib.POP3("127.0.0.1", ${p.ports.pop3}); m.stls(context=ctx)`;
      const script = [
        'import poplib, ssl, sys',
        'ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE',
        connect,
        'm.user("alice@example.com"); m.pass_("alice-pw")',
        'resp, lines, octets = m.retr(1)',
        'sys.stdout.buffer.write(b"\\r\\n".join(lines) + b"\\r\\n")',
        'm.quit()',
      ].join('\n');
      const r = await run('python3', ['-c', script], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdoutBytes, stored);
    });
  }
});

describe('IMAP in petrel serve', () => {
  it('serves the delivered message byte for byte to imapflow over implicit TLS', async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port: p.ports.imaps, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: 'alice-pw' }, logger: false });
    await client.connect();
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        const msg = await client.fetchOne('1', { source: true, envelope: true });
        assert.ok(msg);
        assert.equal(msg.envelope?.subject, 'read me back');
        assert.deepEqual(msg.source, stored);
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  });

  it('serves it to Python imaplib after STARTTLS on the plaintext listener', async (t) => {
    if (!requireTools(t, 'python3')) return;
    const script = [
      'import imaplib, ssl, sys',
      `m = imaplib.IMAP4("127.0.0.1", ${p.ports.imap})`,
      'ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE',
      'm.starttls(ssl_context=ctx)',
      'm.login("alice@example.com", "alice-pw")',
      'm.select("INBOX", readonly=True)',
      'typ, data = m.fetch("1", "(BODY.PEEK[])")',
      'sys.stdout.buffer.write(data[0][1])',
      'm.logout()',
    ].join('\n');
    const r = await run('python3', ['-c', script], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdoutBytes, stored);
  });

  it('serves it to curl with an imap:// URL and --ssl-reqd (STARTTLS)', async (t) => {
    if (!requireTools(t, 'curl')) return;
    const r = await run('curl', ['-sS', '--ssl-reqd', '-k', '--user', 'alice@example.com:alice-pw', `imap://127.0.0.1:${p.ports.imap}/INBOX;UID=1`], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdoutBytes, stored);
  });

  it('refuses LOGIN before STARTTLS and advertises LOGINDISABLED', async () => {
    const socket = connect(p.ports.imap, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    const until = async (re: RegExp) => {
      for (let i = 0; i < 100 && !re.test(text); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(text, re);
    };
    await until(/^\* OK .*\r\n/);
    assert.match(text, /LOGINDISABLED/);
    assert.match(text, /STARTTLS/);
    socket.write('a LOGIN alice@example.com alice-pw\r\n');
    await until(/a NO /);
    assert.match(text, /a NO \[PRIVACYREQUIRED\]/);
    socket.destroy();
  });
});
