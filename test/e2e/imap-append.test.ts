/*
 * APPEND and MULTIAPPEND against the real IMAP listener on 127.0.0.1 with
 * the real group committer, SQLite and file blobs: raw transcripts and
 * imapflow. Flags, internal date, APPENDUID, TRYCREATE, OVERQUOTA, TOOBIG,
 * literal8, UTF8 (literal), EXISTS to the selected mailbox, atomic
 * MULTIAPPEND, and OK only once the row is visible to another connection.
 *
 * Security: test only; 127.0.0.1; a self-signed certificate in a temp dir.
 * Standards: RFC 9051 6.3.12, RFC 3502, RFC 4315, RFC 7889, RFC 9208,
 * RFC 3516, RFC 6855.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ImapFlow } from 'imapflow';
import type { AtomicDeliveryResult, DeliveryRequest, DeliveryResult, DeliveryStore } from '../../src/store/types.js';
import { startImap, Wire, type ImapHarness } from '../support/imap-harness.js';

const MSG = 'From: a@example.org\r\nSubject: hi\r\nMessage-ID: <ap1@example.org>\r\n\r\nbody\r\n';
const lit = (s: string | Buffer) => `{${Buffer.byteLength(s)}}\r\n`;

/** The real delivery store, slowed down, recording when each commit became durable. */
class SlowDeliveries implements DeliveryStore {
  committedAt: number[] = [];
  /** Thrown by the next commit instead of committing (a disk that fails). */
  failNext: Error | undefined;
  constructor(private readonly inner: DeliveryStore, private readonly delayMs: number) {}
  async commit(requests: readonly DeliveryRequest[]): Promise<DeliveryResult[]> {
    await new Promise((r) => setTimeout(r, this.delayMs));
    const fail = this.failNext;
    this.failNext = undefined;
    if (fail) throw fail;
    const out = await this.inner.commit(requests);
    this.committedAt.push(Date.now());
    return out;
  }
  async commitAtomic(requests: readonly DeliveryRequest[]): Promise<AtomicDeliveryResult> {
    await new Promise((r) => setTimeout(r, this.delayMs));
    const out = await this.inner.commitAtomic(requests);
    this.committedAt.push(Date.now());
    return out;
  }
}

let h: ImapHarness;
let slow: SlowDeliveries;

before(async () => {
  h = await startImap({
    users: ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'],
    quota: { carol: 300 },
    wrapDeliveries: (d) => (slow = new SlowDeliveries(d, 150)),
  });
});

after(async () => {
  await h.close();
});

describe('IMAP APPEND', () => {
  it('advertises MULTIAPPEND and APPENDLIMIT equal to the literal limit', async () => {
    const w = await h.login('alice');
    const caps = await w.cmd('C', 'CAPABILITY');
    assert.match(caps, / MULTIAPPEND/);
    assert.match(caps, / APPENDLIMIT=67108864[ \r]/);
    w.close();
  });

  it('stores flags, internal date and the bytes (bare LF repaired to CRLF), and answers APPENDUID', async () => {
    const w = await h.login('alice');
    const body = 'Subject: bare\nX: y\r\n\r\nline one\nline two\r\n';
    const r = await w.withLiterals('A1', [`APPEND INBOX (\\Seen $Label) "02-Mar-2026 10:11:12 +0100" ${lit(body)}`, `${body}\r\n`]);
    const m = /^A1 OK \[APPENDUID (\d+) (\d+)\]/m.exec(r);
    assert.ok(m, r);
    const inbox = (await h.store.mailboxes.getMailbox((await h.directory.findAccount('alice@example.com'))!.id, 'INBOX'))!;
    assert.equal(Number(m[1]), inbox.uidValidity);
    await w.cmd('S', 'SELECT INBOX');
    const f = await w.cmd('F', `UID FETCH ${m[2]} (FLAGS INTERNALDATE BODY.PEEK[])`);
    // A raw session is IMAP4rev1: the APPENDed message is \Recent for the first SELECT (RFC 3501).
    assert.match(f, /FLAGS \(\\Seen \$Label \\Recent\)/);
    // The instant is kept; FETCH gives it in UTC.
    assert.match(f, /INTERNALDATE "02-Mar-2026 09:11:12 \+0000"/);
    const stored = body.replace(/\r?\n/g, '\r\n');
    assert.ok(f.includes(`BODY[] {${stored.length}}\r\n${stored})`), f);
    w.close();
  });

  it('answers NO [TRYCREATE] for a missing mailbox and creates nothing', async () => {
    const w = await h.login('alice');
    const r = await w.withLiterals('A2', [`APPEND Nowhere ${lit(MSG)}`, `${MSG}\r\n`]);
    assert.match(r, /^A2 NO \[TRYCREATE\]/m);
    assert.match(await w.cmd('L', 'LIST "" Nowhere'), /^L OK/m);
    assert.doesNotMatch(w.text, /LIST .*Nowhere/);
    w.close();
  });

  it('refuses \\Recent (BAD) and too long keywords (NO [LIMIT]) like STORE', async () => {
    const w = await h.login('alice');
    assert.match(await w.raw('A3', `A3 APPEND INBOX (\\Recent) {4+}\r\nabcd\r\n`), /^A3 BAD/m);
    assert.match(await w.raw('A4', `A4 APPEND INBOX (${'k'.repeat(101)}) {4+}\r\nabcd\r\n`), /^A4 NO \[LIMIT\]/m);
    w.close();
  });

  it('answers NO [OVERQUOTA] when the message does not fit the quota', async () => {
    const w = await h.login('carol');
    const big = 'Subject: big\r\n\r\n' + 'x'.repeat(400) + '\r\n';
    const r = await w.raw('A5', `A5 APPEND INBOX {${big.length}+}\r\n${big}\r\n`);
    assert.match(r, /^A5 NO \[OVERQUOTA\]/m);
    w.close();
  });

  it('answers NO [TOOBIG] to a literal over APPENDLIMIT before sending +', async () => {
    const w = await h.login('alice');
    const start = w.buf.length;
    w.sock.write('A6 APPEND INBOX {67108865}\r\n');
    await w.until(/^A6 (NO|BAD|OK)[^\r]*\r\n/m, 5000, start);
    const r = w.buf.subarray(start).toString('latin1');
    assert.match(r, /^A6 NO \[TOOBIG\]/m);
    assert.doesNotMatch(r, /^\+ /m);
    w.close();
  });

  it('MULTIAPPEND stores every message with consecutive UIDs, or none when one fails', async () => {
    const w = await h.login('carol');
    const small = (n: number) => `Subject: m${n}\r\n\r\n${'y'.repeat(50)}\r\n`;
    const ok = await w.raw('M1', `M1 APPEND Archive (\\Seen) {${small(1).length}+}\r\n${small(1)} {${small(2).length}+}\r\n${small(2)}\r\n`);
    assert.match(ok, /^M1 OK \[APPENDUID \d+ 1:2\]/m);
    const third = 'Subject: m3\r\n\r\n' + 'z'.repeat(200) + '\r\n';
    const refused = await w.raw('M2', `M2 APPEND Archive {${small(3).length}+}\r\n${small(3)} {${third.length}+}\r\n${third}\r\n`);
    assert.match(refused, /^M2 NO \[OVERQUOTA\]/m);
    assert.match(await w.cmd('S', 'STATUS Archive (MESSAGES UIDNEXT)'), /MESSAGES 2 UIDNEXT 3/);
    w.close();
  });

  it('MULTIAPPEND answers NO [TOOBIG] to a second synchronising literal over APPENDLIMIT, stores nothing, and keeps the session', async () => {
    const w = await h.login('carol');
    const before = await w.cmd('S0', 'STATUS Archive (MESSAGES)');
    const first = `Subject: m4\r\n\r\n${'y'.repeat(20)}\r\n`;
    const start = w.buf.length;
    w.sock.write(`M3 APPEND Archive {${first.length}}\r\n`);
    await w.until(/^\+ /m, 5000, start);
    w.sock.write(`${first} {67108865}\r\n`);
    await w.until(/^M3 (NO|BAD|OK)[^\r]*\r\n/m, 5000, start);
    const r = w.buf.subarray(start).toString('latin1');
    assert.match(r, /^M3 NO \[TOOBIG\]/m);
    assert.doesNotMatch(r, /^\* BYE/m);
    assert.equal(await w.cmd('S1', 'STATUS Archive (MESSAGES)'), before.replace(/S0 OK/, 'S1 OK'), 'nothing stored, and the session goes on');
    w.close();
  });

  it('announces the new message with EXISTS before OK when appending to the selected mailbox', async () => {
    const w = await h.login('dave');
    assert.match(await w.cmd('S', 'SELECT INBOX'), /\* 0 EXISTS/);
    const r = await w.raw('A7', `A7 APPEND INBOX {${MSG.length}+}\r\n${MSG}\r\n`);
    // rev1: the session told first of the new message holds it as \Recent (RFC 3501).
    assert.match(r, /^\* 1 EXISTS\r\n\* 1 RECENT\r\nA7 OK \[APPENDUID \d+ 1\]/m);
    const f = await w.cmd('F', 'FETCH 1 (UID)');
    assert.match(f, /\* 1 FETCH \(UID 1\)/);
    w.close();
  });

  it('keeps NUL in a literal8 message, refuses it in a plain literal, and takes UTF8 (literal) only after ENABLE UTF8=ACCEPT', async () => {
    const w = await h.login('erin');
    const bin = Buffer.concat([Buffer.from('Subject: bin\r\n\r\n'), Buffer.from([0, 1, 2, 0]), Buffer.from('\r\n')]);
    const r = await w.raw('B1', Buffer.concat([Buffer.from(`B1 APPEND INBOX ~{${bin.length}+}\r\n`), bin, Buffer.from('\r\n')]));
    assert.match(r, /^B1 OK \[APPENDUID \d+ 1\]/m);
    const plain = await w.raw('B2', Buffer.concat([Buffer.from(`B2 APPEND INBOX {${bin.length}+}\r\n`), bin, Buffer.from('\r\n')]));
    assert.match(plain, /^B2 BAD/m);
    await w.cmd('S', 'SELECT INBOX');
    const f = await w.cmd('F', 'FETCH 1 BINARY.PEEK[]');
    assert.ok(w.buf.includes(Buffer.concat([Buffer.from(`~{${bin.length}}\r\n`), bin])), f);
    const u = 'Subject: caf\u00e9\r\n\r\nd\u00e9j\u00e0\r\n';
    const ub = Buffer.from(u);
    const before = await w.raw('B3', Buffer.concat([Buffer.from(`B3 APPEND INBOX UTF8 (~{${ub.length}+}\r\n`), ub, Buffer.from(')\r\n')]));
    assert.match(before, /^B3 BAD/m);
    assert.match(await w.cmd('U', 'UNSELECT'), /^U OK/m);
    assert.match(await w.cmd('E', 'ENABLE UTF8=ACCEPT'), /^E OK/m);
    const after = await w.raw('B4', Buffer.concat([Buffer.from(`B4 APPEND INBOX UTF8 (~{${ub.length}+}\r\n`), ub, Buffer.from(')\r\n')]));
    assert.match(after, /^B4 OK \[APPENDUID \d+ 2\]/m);
    w.close();
  });

  it('answers OK only after the message row is committed and visible from another SQLite connection', async () => {
    const w = await h.login('frank');
    const other = new Database(h.dbPath, { readonly: true });
    try {
      const count = () => (other.prepare("SELECT COUNT(*) AS n FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id JOIN accounts a ON a.id = b.account_id WHERE a.local = 'frank'").get() as { n: number }).n;
      assert.equal(count(), 0);
      const sent = Date.now();
      const r = await w.raw('D1', `D1 APPEND INBOX {${MSG.length}+}\r\n${MSG}\r\n`);
      const okAt = Date.now();
      assert.match(r, /^D1 OK/m);
      assert.equal(count(), 1, 'the row is there the moment OK is read');
      const committed = slow.committedAt.filter((t) => t >= sent);
      assert.equal(committed.length, 1);
      assert.ok(okAt >= committed[0]!, 'OK came after the (slowed) commit finished');
      assert.ok(okAt - sent >= 150, 'OK waited for the commit');
    } finally {
      other.close();
      w.close();
    }
  });

  it('answers NO [OVERQUOTA] for a full disk and NO [SERVERBUG] for another storage failure, storing nothing', async () => {
    const w = await h.login('frank');
    await w.cmd('S', 'SELECT Archive');
    slow.failNext = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    assert.match(await w.raw('E1', `E1 APPEND Archive {${MSG.length}+}\r\n${MSG}\r\n`), /^E1 NO \[OVERQUOTA\] Not enough disk space/m);
    slow.failNext = new Error('disk I/O error');
    const r = await w.raw('E2', `E2 APPEND Archive {${MSG.length}+}\r\n${MSG}\r\n`);
    assert.match(r, /^E2 NO \[SERVERBUG\]/m);
    assert.doesNotMatch(r, /disk I\/O error/, 'the detail goes to the log, not the client');
    assert.match(await w.cmd('N', 'NOOP'), /^N OK/m);
    assert.doesNotMatch(w.text, /\* [1-9]\d* EXISTS/, 'nothing was stored');
    w.close();
  });

  it('imapflow: append returns the UID and UIDVALIDITY, and the message reads back', async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port: h.port, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'bob@example.com', pass: 'pw-bob' }, logger: false });
    await client.connect();
    try {
      const res = await client.append('Drafts', Buffer.from(MSG), ['\\Draft'], new Date('2026-01-05T08:00:00Z'));
      assert.ok(res && typeof res === 'object');
      assert.equal(res.uid, 1);
      assert.ok(res.uidValidity && Number(res.uidValidity) > 0);
      const lock = await client.getMailboxLock('Drafts');
      try {
        const msg = await client.fetchOne('1', { source: true, flags: true, internalDate: true });
        assert.ok(msg);
        assert.equal(msg.source?.toString(), MSG);
        assert.ok(msg.flags?.has('\\Draft'));
        assert.equal(new Date(msg.internalDate!).toISOString(), '2026-01-05T08:00:00.000Z');
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  });
});
