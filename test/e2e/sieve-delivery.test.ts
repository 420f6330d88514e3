/*
 * Sieve at delivery, end to end over real protocols: a script uploaded
 * over ManageSieve (STARTTLS, AUTHENTICATE PLAIN, PUTSCRIPT, SETACTIVE)
 * files an SMTP message into a folder with a flag, which IMAP shows (FETCH
 * FLAGS); vacation answers from <> once per sender, not again within the
 * period, and never to a list message or to <>; redirect reaches a remote
 * MX (a scripted peer on 127.0.0.21, through a route) via the outbound
 * queue from the original envelope sender, ARC-sealed by the user's
 * domain, marked against loops; a message that comes back marked is kept,
 * not redirected again; reject refuses the recipient (LMTP per recipient,
 * SMTP for the message); a runtime error keeps the message in INBOX;
 * discard stores nothing.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ImapFlow } from 'imapflow';
import { SieveWire } from '../support/managesieve.js';
import { freePort, PetrelProcess } from '../support/petrel.js';
import { startScriptedSmtp, type ScriptedSmtp } from '../support/scripted-smtp.js';
import { message, RawSmtp } from '../support/smtp-client.js';

let p: PetrelProcess;
let peer: ScriptedSmtp;

function mailbox(address: string, name: string): { uid: number; flags: string }[] {
  const [local, domain] = address.split('@');
  const db = new Database(join(p.dataDir, 'petrel.db'), { readonly: true });
  try {
    return db
      .prepare(
        `SELECT m.uid, m.flags FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id JOIN accounts a ON a.id = b.account_id
         JOIN domains d ON d.id = a.domain_id WHERE a.local = ? AND d.ascii = ? AND b.name = ? ORDER BY m.uid`,
      )
      .all(local, domain, name) as { uid: number; flags: string }[];
  } finally {
    db.close();
  }
}

async function putScript(user: string, source: string): Promise<void> {
  const put = await p.cli(['sieve', 'put', user, 'main', '-'], source);
  assert.equal(put.code, 0, put.stderr);
  const act = await p.cli(['sieve', 'activate', user, 'main']);
  assert.equal(act.code, 0, act.stderr);
}

async function smtp(from: string, to: string[], text: string): Promise<{ code: number; text: string }[]> {
  const c = await RawSmtp.open(p.ports.mx);
  try {
    return await c.send({ from, to, message: text });
  } finally {
    c.close();
  }
}

const mail = (to: string, subject: string, extra: Record<string, string> = {}) =>
  message({ From: 'Bob <bob@remote.test>', To: to, Subject: subject, 'Message-ID': `<${Math.random().toString(36).slice(2)}@remote.test>`, ...extra }, 'Hello.\r\n');

/** Sessions of the remote peer that delivered to this address. */
const sessionsTo = (address: string) => peer.sessions.filter((s) => s.lines.some((l) => l.toLowerCase().startsWith(`rcpt to:<${address}>`)));

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  const port = await freePort();
  peer = await startScriptedSmtp({ host: '127.0.0.21', port });
  const route = (domain: string) => `[[outbound.route]]\ndomain = "${domain}"\nhost = "127.0.0.21"\nport = ${port}\nmx = false\ntls = "none"`;
  p = await PetrelProcess.create({ outbound: 'connect_timeout = "2s"', extraToml: [route('remote.test'), route('far.test')].join('\n') });
  await p.start();
  await p.addDomain('example.com');
  for (const u of ['ann', 'vic', 'rex', 'rej', 'err', 'dis', 'oth']) await p.addUser(`${u}@example.com`, `${u}-pw`);
});
after(async () => {
  await p?.destroy();
  await peer?.close();
});

describe('Sieve at delivery', () => {
  it('a script uploaded over ManageSieve files an SMTP message into a folder with a flag, seen over IMAP', async () => {
    const script = 'require ["fileinto", "imap4flags", "mailbox"];\r\nif header :contains "subject" "report" {\r\n  fileinto :create :flags ["\\\\Flagged", "$Report"] "Reports";\r\n}\r\n';
    const w = await SieveWire.login(p.ports.managesieve, 'ann@example.com', 'ann-pw');
    assert.match(await w.cmd(`PUTSCRIPT "filing" {${Buffer.byteLength(script)}+}\r\n${script}`), /^OK/);
    assert.match(await w.cmd('SETACTIVE "filing"'), /^OK/);
    w.close();

    const [reply] = await smtp('bob@remote.test', ['ann@example.com'], mail('ann@example.com', 'Monthly report'));
    assert.equal(reply!.code, 250, reply!.text);
    const client = new ImapFlow({ host: '127.0.0.1', port: p.ports.imaps, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'ann@example.com', pass: 'ann-pw' }, logger: false });
    await client.connect();
    try {
      const lock = await client.getMailboxLock('Reports');
      try {
        const flags: string[][] = [];
        for await (const m of client.fetch('1:*', { flags: true, envelope: true })) flags.push([...(m.flags ?? [])].sort());
        assert.deepEqual(flags, [['$Report', '\\Flagged']]);
      } finally {
        lock.release();
      }
      const inbox = await client.status('INBOX', { messages: true });
      assert.equal(inbox && inbox.messages, 0, 'fileinto cancelled the implicit keep');
    } finally {
      await client.logout();
    }
  });

  it('vacation answers once from <> with Auto-Submitted, not again within the period, never to a list message or to <>', async () => {
    await putScript('vic@example.com', 'require "vacation";\r\nvacation :days 7 :subject "Away" "I am away until Monday.";\r\n');
    assert.equal((await smtp('bob@remote.test', ['vic@example.com'], mail('vic@example.com', 'Meeting')))[0]!.code, 250);
    await until('the vacation reply at the remote MX', () => sessionsTo('bob@remote.test').length === 1);
    const s = sessionsTo('bob@remote.test')[0]!;
    assert.ok(s.lines.some((l) => l.startsWith('MAIL FROM:<>')), s.lines.join('\n'));
    const text = s.data[0]!.toString('latin1');
    assert.match(text, /^Auto-Submitted: auto-replied\r$/m);
    assert.match(text, /^Subject: Away\r$/m);
    assert.match(text, /^In-Reply-To: <[^>]+@remote\.test>\r$/m);

    assert.equal((await smtp('bob@remote.test', ['vic@example.com'], mail('vic@example.com', 'Meeting, again')))[0]!.code, 250);
    await p.waitForLog(/sieve reply not sent: this sender was answered within the period/, 10_000);
    assert.equal((await smtp('list-bounces@lists.remote.test', ['vic@example.com'], mail('vic@example.com', 'Digest', { 'List-Id': '<news.lists.remote.test>' })))[0]!.code, 250);
    await p.waitForLog(/sieve vacation: no reply"? .*to=<list-bounces@lists\.remote\.test>/, 10_000);
    assert.equal((await smtp('', ['vic@example.com'], mail('vic@example.com', 'Undeliverable')))[0]!.code, 250);
    await p.waitForLog(/sieve vacation: no reply"? .*reason="?the sender is the null reverse path/, 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(sessionsTo('bob@remote.test').length, 1, 'one answer to bob');
    assert.equal(sessionsTo('list-bounces@lists.remote.test').length, 0);
    assert.equal(mailbox('vic@example.com', 'INBOX').length, 4, 'every message was still kept');
  });

  it('redirect reaches the remote MX through the queue from the original sender, marked; a message that comes back marked is kept, not redirected again', async () => {
    await putScript('rex@example.com', 'redirect "dan@far.test";\r\n');
    assert.equal((await smtp('bob@remote.test', ['rex@example.com'], mail('rex@example.com', 'Forward me')))[0]!.code, 250);
    await until('the redirected copy at the remote MX', () => sessionsTo('dan@far.test').length === 1);
    const s = sessionsTo('dan@far.test')[0]!;
    assert.ok(s.lines.some((l) => l.startsWith('MAIL FROM:<bob@remote.test>')), s.lines.join('\n'));
    const text = s.data[0]!.toString('latin1');
    assert.match(text, /^X-Sieve-Redirected-From: <rex@example\.com>\r$/m);
    assert.match(text, /^Subject: Forward me\r$/m);
    // Forwarding breaks SPF for bob@remote.test (no SRS here): the outbound worker seals it with the user's domain.
    assert.match(text, /^ARC-Seal: i=1; a=rsa-sha256; t=\d+; cv=none;\s+d=example\.com;/m);
    assert.equal(mailbox('rex@example.com', 'INBOX').length, 0, 'redirect without :copy keeps nothing');

    const back = `X-Sieve-Redirected-From: <rex@example.com>\r\n${mail('rex@example.com', 'Came back')}`;
    assert.equal((await smtp('dan@far.test', ['rex@example.com'], back))[0]!.code, 250);
    await p.waitForLog(/sieve redirect loop, not redirected again"? .*user=rex@example\.com/, 10_000);
    assert.equal(mailbox('rex@example.com', 'INBOX').length, 1, 'the looping message is kept');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(sessionsTo('dan@far.test').length, 1, 'and not sent out a second time');
  });

  it('reject refuses the recipient while the session is open: 550 5.7.1 with the reason over LMTP per recipient and over SMTP', async () => {
    await putScript('rej@example.com', 'require "reject";\r\nreject "I do not accept mail from you";\r\n');
    const c = await RawSmtp.open(p.ports.lmtp);
    const replies = await c.send({ lmtp: true, from: 'bob@remote.test', to: ['rej@example.com', 'oth@example.com'], message: mail('rej@example.com', 'Hi') });
    c.close();
    assert.deepEqual(replies.map((r) => r.code), [550, 250]);
    assert.match(replies[0]!.text, /5\.7\.1 I do not accept mail from you/);
    const [single] = await smtp('bob@remote.test', ['rej@example.com'], mail('rej@example.com', 'Hi again'));
    assert.equal(single!.code, 550);
    assert.match(single!.text, /5\.7\.1 I do not accept mail from you/);
    assert.equal(mailbox('rej@example.com', 'INBOX').length, 0);
    assert.equal(mailbox('oth@example.com', 'INBOX').length, 1);
    assert.equal(sessionsTo('bob@remote.test').filter((s) => s.lines.some((l) => l.startsWith('MAIL FROM:<>'))).length <= 1, true, 'no bounce to the sender');
  });

  it('a runtime error falls back to keep in INBOX and is logged', async () => {
    await putScript('err@example.com', 'require ["include", "fileinto"];\r\nfileinto "Elsewhere";\r\ninclude "missing-script";\r\n');
    assert.equal((await smtp('bob@remote.test', ['err@example.com'], mail('err@example.com', 'Still here')))[0]!.code, 250);
    await p.waitForLog(/sieve runtime error, keeping the message"? .*user=err@example\.com/, 10_000);
    assert.equal(mailbox('err@example.com', 'INBOX').length, 1);
  });

  it('discard stores nothing, and the sender still gets 250', async () => {
    await putScript('dis@example.com', 'discard;\r\n');
    assert.equal((await smtp('bob@remote.test', ['dis@example.com'], mail('dis@example.com', 'Gone')))[0]!.code, 250);
    await p.waitForLog(/sieve discard"? .*user=dis@example\.com/, 10_000);
    assert.equal(mailbox('dis@example.com', 'INBOX').length, 0);
  });

  it('petrel sieve test SCRIPT MESSAGE prints the actions of a dry run and delivers nothing; a runtime error exits 1 with the fallback', async () => {
    const script = join(p.dataDir, 'dry.sieve');
    const msg = join(p.dataDir, 'dry.eml');
    writeFileSync(script, 'require ["fileinto", "imap4flags", "vacation"];\nif address :is "from" "bob@remote.test" { fileinto :flags "\\\\Seen" "Bob"; }\nvacation :days 2 "Out";\nredirect "x@far.test";\n');
    writeFileSync(msg, mail('ann@example.com', 'Dry'));
    const r = await p.cli(['sieve', 'test', script, msg]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['fileinto Bob [\\Seen]', 'vacation 172800s Out', 'redirect x@far.test']);
    writeFileSync(script, 'require "include"; include "absent";');
    const e = await p.cli(['sieve', 'test', script, msg]);
    assert.equal(e.code, 1);
    assert.match(e.stdout, /^error: line 1, column 20: .*falling back to keep\)\nkeep \(implicit\)/);
    assert.equal(sessionsTo('x@far.test').length, 0, 'a dry run sends nothing');
  });
});
