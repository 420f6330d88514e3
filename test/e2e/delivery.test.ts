/*
 * Local delivery over real SMTP and LMTP sessions: per-recipient LMTP
 * replies, quota at RCPT and at commit, the headers added on each hop, the
 * mailboxes created at first delivery and the MIME index stored with them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { PetrelProcess } from '../support/petrel.js';
import { message, RawSmtp } from '../support/smtp-client.js';
import { requireTools, swaks } from '../support/tools.js';

let p: PetrelProcess;

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(p.dataDir, 'petrel.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

function inbox(address: string): { uid: number; blob_hash: string; message_id: string | null }[] {
  const [local, domain] = address.split('@');
  return query(
    `SELECT m.uid, m.blob_hash, m.message_id FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id JOIN accounts a ON a.id = b.account_id
     JOIN domains d ON d.id = a.domain_id WHERE a.local = ? AND d.ascii = ? AND b.name = 'INBOX' ORDER BY m.uid`,
    local,
    domain,
  );
}

const blob = (hash: string) => readFileSync(join(p.dataDir, 'blobs', hash.slice(0, 2), hash), 'latin1');

before(async () => {
  p = await PetrelProcess.create();
  await p.start();
  await p.addDomain('example.com');
  await p.addDomain('example.org', 'example.com');
  await p.addDomain('bücher.example');
  await p.addUser('alice@example.com', 'alice-pw');
  await p.addUser('bob@example.com', 'bob-pw');
  await p.addUser('small@example.com', 'pw', '10K');
  await p.addUser('full@example.com', 'pw', '2K');
  await p.addUser('carol@bücher.example', 'pw');
  const r = await p.cli(['alias', 'add', 'sales@example.com', 'bob@example.com']);
  assert.equal(r.code, 0, r.stderr);
});
after(() => p.destroy());

describe('LMTP', () => {
  it('answers once per recipient after DATA, each with its own outcome', async () => {
    const c = await RawSmtp.open(p.ports.lmtp);
    const replies = await c.send({
      lmtp: true,
      from: 'sender@remote.test',
      to: ['alice@example.com', 'small@example.com', 'bob@example.com'],
      message: message({ Subject: 'lmtp', 'Message-ID': '<lmtp1@test>' }, 'y'.repeat(20_000)),
    });
    c.close();
    assert.deepEqual(replies.map((r) => r.code), [250, 552, 250]);
    assert.match(replies[1]!.text, /5\.2\.2/);
    assert.equal(inbox('alice@example.com').filter((m) => m.message_id === '<lmtp1@test>').length, 1);
    assert.equal(inbox('small@example.com').length, 0);
  });

  it('refuses unknown users at RCPT and HELO/EHLO altogether', async () => {
    const c = await RawSmtp.open(p.ports.lmtp);
    await c.reply();
    assert.equal((await c.command('EHLO x')).code, 500);
    assert.equal((await c.command('LHLO x')).code, 250);
    await c.command('MAIL FROM:<s@remote.test>');
    const r = await c.command('RCPT TO:<nobody@example.com>');
    assert.equal(r.code, 550);
    assert.match(r.text, /5\.1\.1/);
    c.close();
  });
});

describe('quota', () => {
  it('answers 452 4.2.2 at RCPT for a mailbox already full', async () => {
    const c = await RawSmtp.open(p.ports.lmtp);
    const first = await c.send({ lmtp: true, from: 's@remote.test', to: ['full@example.com'], message: message({ Subject: 'fill' }, 'z'.repeat(1500)) });
    assert.equal(first[0]!.code, 250, 'first message fits');
    c.close();
    const d = await RawSmtp.open(p.ports.mx);
    await d.reply();
    await d.command('EHLO client.test');
    await d.command('MAIL FROM:<s@remote.test> SIZE=500');
    const r = await d.command('RCPT TO:<full@example.com>');
    assert.equal(r.code, 452, r.text);
    assert.match(r.text, /4\.2\.2/);
    d.close();
  });
});

describe('headers and storage', () => {
  it('adds Received to MX mail and Message-ID and Date to submitted mail that lacks them', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    const mx = await swaks(['--server', `127.0.0.1:${p.ports.mx}`, '--from', 'x@remote.test', '--to', 'alice@example.com', '--header', 'Message-Id: <mx1@test>']);
    assert.equal(mx.code, 0, mx.stdout);
    const received = blob(inbox('alice@example.com').find((m) => m.message_id === '<mx1@test>')!.blob_hash);
    assert.match(received, /^Received: from client\.test|^Received: from [^\r\n]+\r\n\tby mx\.petrel\.test \(Petrel\) with ESMTP id /);
    assert.match(received, /\tfor <alice@example\.com>;/);

    const sub = await swaks([
      '--server', `127.0.0.1:${p.ports.submission}`, '-tls', '--auth', 'PLAIN', '--auth-user', 'bob@example.com', '--auth-password', 'bob-pw',
      '--from', 'bob@example.com', '--to', 'alice@example.com', '--data', 'From: bob@example.com\r\nTo: alice@example.com\r\nSubject: no ids\r\n\r\nhello\r\n',
    ]);
    assert.equal(sub.code, 0, sub.stdout);
    const latest = inbox('alice@example.com').at(-1)!;
    const text = blob(latest.blob_hash);
    assert.match(text, /with ESMTPSA id /);
    assert.match(text, /\r\nMessage-ID: <[^>]+@mx\.petrel\.test>\r\n/);
    assert.match(text, /\r\nDate: \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n/);
    assert.equal(latest.message_id, /Message-ID: (<[^>]+>)/.exec(text)![1]);
  });

  it('creates INBOX, Drafts, Sent, Junk, Trash and Archive with special-use at first delivery', () => {
    const boxes = query<{ name: string; special_use: string | null }>(
      `SELECT b.name, b.special_use FROM mailboxes b JOIN accounts a ON a.id = b.account_id WHERE a.local = 'alice' ORDER BY b.name`,
    );
    assert.deepEqual(boxes, [
      { name: 'Archive', special_use: '\\Archive' },
      { name: 'Drafts', special_use: '\\Drafts' },
      { name: 'INBOX', special_use: null },
      { name: 'Junk', special_use: '\\Junk' },
      { name: 'Sent', special_use: '\\Sent' },
      { name: 'Trash', special_use: '\\Trash' },
    ]);
  });

  it('stores the MIME index once per blob, with the parts and byte offsets', async () => {
    const c = await RawSmtp.open(p.ports.mx);
    const mime = message(
      { Subject: 'parts', 'Message-ID': '<mime1@test>', 'MIME-Version': '1.0', 'Content-Type': 'multipart/mixed; boundary="b1"' },
      '--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\nContent-Type: application/pdf; name="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b1--\r\n',
    );
    const replies = await c.send({ from: 'x@remote.test', to: ['alice@example.com', 'bob@example.com'], message: mime });
    c.close();
    assert.equal(replies[0]!.code, 250);
    const a = inbox('alice@example.com').find((m) => m.message_id === '<mime1@test>')!;
    const b = inbox('bob@example.com').find((m) => m.message_id === '<mime1@test>')!;
    assert.equal(a.blob_hash, b.blob_hash, 'one copy for both recipients');
    const [row] = query<{ mime: string }>('SELECT mime FROM blobs WHERE hash = ?', a.blob_hash);
    const index = JSON.parse(row!.mime);
    assert.equal(index.root.type, 'multipart');
    assert.equal(index.root.children.length, 2);
    const bytes = Buffer.from(blob(a.blob_hash), 'latin1');
    const pdf = index.root.children[1];
    assert.equal(bytes.subarray(pdf.bodyStart, pdf.bodyEnd).toString(), 'JVBERi0=');
    assert.equal(index.envelope?.subject ?? index.summary.subject, 'parts');
  });
});

describe('addressing', () => {
  const cases: [string, string][] = [
    ['ALICE@EXAMPLE.COM', 'alice@example.com'],
    ['alice+lists@example.com', 'alice@example.com'],
    ['alice@example.org', 'alice@example.com'],
    ['sales@example.org', 'bob@example.com'],
    ['postmaster@example.com', 'alice@example.com'],
    ['carol@xn--bcher-kva.example', 'carol@xn--bcher-kva.example'],
  ];
  for (const [to, owner] of cases) {
    it(`${to} lands in ${owner}`, async () => {
      const before = inbox(owner).length;
      const c = await RawSmtp.open(p.ports.mx);
      const replies = await c.send({ from: 'x@remote.test', to: [to], message: message({ Subject: to }, 'hi') });
      c.close();
      assert.equal(replies[0]?.code, 250, replies[0]?.text);
      assert.equal(inbox(owner).length, before + 1);
    });
  }
});

describe('submission From ownership', () => {
  const submit = (data: string) =>
    swaks([
      '--server', `127.0.0.1:${p.ports.submission}`, '-tls', '--auth', 'PLAIN', '--auth-user', 'bob@example.com', '--auth-password', 'bob-pw',
      '--from', 'bob@example.com', '--to', 'alice@example.com', '--data', data,
    ]);

  it('refuses a From header that is not the user\'s with 553 5.7.1', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    const r = await submit('From: alice@example.com\r\nSubject: forged\r\n\r\nx\r\n');
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /553 5\.7\.1 From header rejected/);
    const two = await submit('From: bob@example.com\r\nFrom: alice@example.com\r\nSubject: two\r\n\r\nx\r\n');
    assert.match(two.stdout, /553 5\.7\.1/);
  });

  it('accepts the user\'s own address and an alias that points at them in From', async (t) => {
    if (!requireTools(t, 'swaks')) return;
    for (const from of ['"Bob" <BOB@example.com>', 'sales@example.org']) {
      const r = await submit(`From: ${from}\r\nSubject: mine\r\n\r\nx\r\n`);
      assert.equal(r.code, 0, r.stdout);
    }
  });
});
