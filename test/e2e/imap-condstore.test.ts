/*
 * CONDSTORE, QRESYNC, OBJECTID, \Recent and COMPRESS=DEFLATE against the
 * real IMAP listener on 127.0.0.1 (implicit TLS, real SQLite, real blob
 * files): raw transcripts, two sessions on one mailbox, and imapflow (which
 * negotiates COMPRESS and QRESYNC itself).
 *
 * Security: test only; 127.0.0.1; a self-signed certificate in a temp dir.
 * Covers the decompression bomb (a compressed line that inflates past the
 * framer's line cap ends the session instead of growing memory).
 * Standards: RFC 7162, RFC 8474, RFC 3501 (\Recent), RFC 4978.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { Committer } from '../../src/delivery/committer.js';
import { Directory } from '../../src/directory/directory.js';
import { ImapEndpoint } from '../../src/endpoints/imap/index.js';
import { indexMessage } from '../../src/mime/index.js';
import { FileBlobStore } from '../../src/store/blob/files.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { MetadataStore } from '../../src/store/types.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { openCertificateRegistry, type CertificateRegistry } from '../../src/tls/index.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-imap-condstore-'));
let store: MetadataStore;
let blobs: FileBlobStore;
let registry: CertificateRegistry;
let endpoint: ImapEndpoint;
let committer: Committer;
let port: number;
const logger = createMemoryLogger('debug');
const USERS = ['cs', 'qr', 'two', 'oid', 'thr', 'rec', 'rev2', 'zip', 'bomb', 'flow', 'slow'];

function message(n: number, headers = ''): Buffer {
  return Buffer.from(`From: a@example.org\r\nTo: b@example.com\r\nSubject: m${n}\r\nMessage-ID: <m${n}-${Math.random()}@example.org>\r\n${headers}\r\nBody ${n}\r\n`);
}

async function deliver(user: string, bytes: Buffer, opts: { messageId?: string; threadRefs?: string[] } = {}): Promise<number> {
  const account = (await store.directory.getAccount('example.com', user))!;
  const hash = await blobs.put(bytes);
  const [r] = await store.deliveries.commit([
    {
      blob: { hash, size: bytes.length, index: JSON.stringify(indexMessage(bytes)) },
      internalDate: Date.now(),
      messageId: opts.messageId ?? null,
      threadRefs: opts.threadRefs,
      queueId: `q-${user}-${Math.random()}`,
      local: [{ accountId: account.id, mailbox: 'INBOX', enforceQuota: false }],
    },
  ]);
  const out = r!.local[0]!;
  assert.ok(out.ok);
  return out.uid;
}

before(async () => {
  store = await openSqliteStore({ path: join(dir, 'db.sqlite'), fsync: false });
  blobs = await FileBlobStore.open(join(dir, 'blobs'), { fsync: false });
  const directory = new Directory(store.directory, { subaddressSeparator: '+', postmaster: '' });
  await directory.addDomain('example.com');
  for (const u of USERS) await directory.addUser(`${u}@example.com`, `pw-${u}`);
  registry = await openCertificateRegistry(
    { certsDir: join(dir, 'le'), certificates: [], selfSignedDir: join(dir, 'ss'), hostname: 'mail.example.com' },
    logger,
    { watch: false },
  );
  // APPEND stores through the group committer, as in the server (here on the main thread, sharing the store).
  committer = new Committer(blobs, store.deliveries, logger);
  endpoint = new ImapEndpoint({ directory, store, blobs, committer, certificates: registry, logger, security: 'implicit' });
  await endpoint.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  port = endpoint.port();
  for (const u of ['cs', 'qr', 'two', 'oid', 'zip', 'flow']) for (let i = 1; i <= 4; i++) await deliver(u, message(i));
});

after(async () => {
  await endpoint.close(500);
  await committer.idle();
  registry.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw TLS client: write bytes, wait for a pattern in what came back; optionally COMPRESS DEFLATE both ways. */
class Wire {
  buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  private deflate: zlib.DeflateRaw | undefined;
  constructor(readonly sock: tls.TLSSocket) {
    sock.on('data', (d: Buffer) => {
      if (this.inflate) this.inflate.write(d);
      else this.received(d);
    });
    sock.on('close', () => {
      const done = () => {
        this.closed = true;
        this.wakeAll();
      };
      // The last compressed bytes may still be inflating when the socket closes: read them first.
      if (this.inflate && !this.inflate.destroyed) {
        this.inflate.once('close', done);
        this.inflate.end();
      } else done();
    });
    sock.on('error', () => {});
  }
  private inflate: zlib.InflateRaw | undefined;
  private received(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    this.wakeAll();
  }
  private wakeAll(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  get text(): string {
    return this.buf.toString('latin1');
  }
  static async login(user: string): Promise<Wire> {
    const w = new Wire(tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }));
    await w.until(/^\* OK .*\r\n/m);
    assert.match(await w.cmd('L', `LOGIN ${user}@example.com pw-${user}`), /^L OK/m);
    return w;
  }
  /** From now on both directions are raw DEFLATE (the client side of RFC 4978). */
  compress(): void {
    this.inflate = zlib.createInflateRaw();
    this.inflate.on('data', (d: Buffer) => this.received(d));
    this.inflate.on('error', () => {});
    this.deflate = zlib.createDeflateRaw();
    this.deflate.on('data', (d: Buffer) => this.sock.write(d));
  }
  write(data: string | Buffer): void {
    if (this.deflate) {
      this.deflate.write(data);
      this.deflate.flush(zlib.constants.Z_SYNC_FLUSH);
    } else this.sock.write(data);
  }
  async until(re: RegExp, timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (re.test(this.text)) return;
      if (this.closed) throw new Error(`closed before ${re}; got:\n${this.text.slice(-2000)}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${re}; got:\n${this.text.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  async cmd(tag: string, line: string): Promise<string> {
    const start = this.buf.length;
    this.write(`${tag} ${line}\r\n`);
    await this.until(new RegExp(`^${tag} (OK|NO|BAD)[^\\r]*\\r\\n`, 'm'));
    return this.buf.subarray(start).toString('latin1');
  }
  close(): void {
    this.sock.destroy();
  }
}

const num = (re: RegExp, text: string): number => Number(re.exec(text)?.[1] ?? NaN);

describe('CONDSTORE (RFC 7162 section 3.1)', () => {
  it('ENABLE CONDSTORE: STORE and another session\'s flag change come with UID and MODSEQ; without it they do not', async () => {
    const plain = await Wire.login('cs');
    await plain.cmd('s', 'SELECT INBOX');
    assert.match(await plain.cmd('a', 'STORE 1 +FLAGS (\\Flagged)'), /^\* 1 FETCH \(FLAGS \(\\Flagged \\Recent\)\)\r\na OK/m);
    const w = await Wire.login('cs');
    assert.match(await w.cmd('e', 'ENABLE CONDSTORE'), /^\* ENABLED CONDSTORE\r\ne OK/m);
    const sel = await w.cmd('s', 'SELECT INBOX');
    const highest = num(/\[HIGHESTMODSEQ (\d+)\]/, sel);
    assert.ok(highest > 1);
    const stored = await w.cmd('a', 'STORE 2 +FLAGS (\\Answered)');
    const modseq = num(/MODSEQ \((\d+)\)/, stored);
    assert.match(stored, /^\* 2 FETCH \(FLAGS \(\\Answered\) UID 2 MODSEQ \(\d+\)\)\r\na OK/m);
    assert.ok(modseq > highest);
    // The other session's change arrives with NOOP, with UID and MODSEQ.
    const plainStore = await plain.cmd('b', 'STORE 3 +FLAGS.SILENT (\\Seen)');
    // The session without CONDSTORE is told of w's change at the end of its own STORE (flag
    // changes and new messages may follow any command; only EXPUNGE waits), without UID or MODSEQ.
    assert.match(plainStore, /^\* 2 FETCH \(FLAGS \(\\Answered \\Recent\)\)\r\nb OK/m);
    assert.match(await w.cmd('n', 'NOOP'), /^\* 3 FETCH \(FLAGS \(\\Seen\) UID 3 MODSEQ \((\d+)\)\)\r\nn OK/m);
    // FETCH (CHANGEDSINCE) names only what changed after the given MODSEQ.
    const changed = await w.cmd('c', `FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseq})`);
    assert.match(changed, /^\* 3 FETCH \(FLAGS \(\\Seen\) MODSEQ \(\d+\)\)\r\nc OK/m);
    assert.match(await w.cmd('t', 'STATUS INBOX (HIGHESTMODSEQ)'), /^\* STATUS "INBOX" \(HIGHESTMODSEQ \d+\)/m);
    // Nothing is told twice, and a session's own STORE, answered at once, is not repeated.
    const plainNoop = await plain.cmd('n', 'NOOP');
    assert.doesNotMatch(plainNoop, /FETCH/);
    assert.doesNotMatch(plainStore, /^\* [13] FETCH/m);
    plain.close();
    w.close();
  });

  it('SELECT (CONDSTORE) and FETCH MODSEQ enable CONDSTORE; UNCHANGEDSINCE answers [MODIFIED]', async () => {
    const w = await Wire.login('cs');
    await w.cmd('s', 'SELECT INBOX (CONDSTORE)');
    assert.match(await w.cmd('a', 'STORE 4 +FLAGS ($Work)'), /^\* 4 FETCH \(FLAGS \(\$Work\) UID 4 MODSEQ \(\d+\)\)/m);
    const v = await Wire.login('cs');
    await v.cmd('s', 'EXAMINE INBOX');
    const m = num(/MODSEQ \((\d+)\)/, await v.cmd('a', 'FETCH 4 (MODSEQ)'));
    assert.match(await v.cmd('b', 'FETCH 1 FLAGS'), /^\* 1 FETCH \(FLAGS \([^)]*\) UID 1 MODSEQ \(\d+\)\)|^\* 1 FETCH \(FLAGS \([^)]*\)\)/m);
    assert.match(await w.cmd('b', `STORE 4 (UNCHANGEDSINCE ${m - 1}) +FLAGS (\\Seen)`), /^b OK \[MODIFIED 4\]/m);
    w.close();
    v.close();
  });
});

describe('QRESYNC (RFC 7162 section 3.2)', () => {
  it('SELECT (QRESYNC ...) before ENABLE QRESYNC answers BAD', async () => {
    const w = await Wire.login('qr');
    assert.match(await w.cmd('a', 'SELECT INBOX (QRESYNC (1 1))'), /^a BAD/m);
    w.close();
  });

  it('resync: VANISHED (EARLIER) and the changed messages\' FETCH come before the tagged OK; known UIDs filter; a stale UIDVALIDITY gets a full SELECT', async () => {
    const w = await Wire.login('qr');
    assert.match(await w.cmd('e', 'ENABLE QRESYNC'), /^\* ENABLED QRESYNC\r\n/m);
    const sel = await w.cmd('s', 'SELECT INBOX');
    const validity = num(/\[UIDVALIDITY (\d+)\]/, sel);
    const highest = num(/\[HIGHESTMODSEQ (\d+)\]/, sel);
    await w.cmd('u', 'UNSELECT');
    const other = await Wire.login('qr');
    await other.cmd('s', 'SELECT INBOX');
    await other.cmd('a', 'STORE 1,3 +FLAGS.SILENT (\\Deleted)');
    await other.cmd('b', 'EXPUNGE');
    await other.cmd('c', 'UID STORE 4 +FLAGS.SILENT ($Done)');
    other.close();
    const r = await w.cmd('q', `SELECT INBOX (QRESYNC (${validity} ${highest}))`);
    assert.match(r, /\* OK \[MAILBOXID \(F[0-9a-z]+-[0-9a-z]+\)\][^\r]*\r\n\* VANISHED \(EARLIER\) 1,3\r\n\* 2 FETCH \(UID 4 FLAGS \(\$Done\) MODSEQ \(\d+\)\)\r\nq OK \[READ-WRITE\]/);
    const known = await w.cmd('k', `EXAMINE INBOX (QRESYNC (${validity} ${highest} 2:3))`);
    assert.match(known, /^\* OK \[CLOSED\]/m, 'selecting another mailbox while one is selected says [CLOSED] first');
    assert.match(known, /^\* VANISHED \(EARLIER\) 3\r\n/m);
    const stale = await w.cmd('x', `SELECT INBOX (QRESYNC (${validity + 1} ${highest}))`);
    assert.doesNotMatch(stale, /VANISHED|FETCH/);
    // UID FETCH ... (CHANGEDSINCE n VANISHED): the expunged UIDs of the set, then what changed.
    const f = await w.cmd('f', `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${highest} VANISHED)`);
    assert.match(f, /^\* VANISHED \(EARLIER\) 1,3\r\n\* 2 FETCH \(UID 4 FLAGS \(\$Done\) MODSEQ \(\d+\)\)\r\nf OK/m);
    assert.match(await w.cmd('g', `UID FETCH 2:* (FLAGS) (CHANGEDSINCE ${highest} VANISHED)`), /^\* VANISHED \(EARLIER\) 3\r\n/m);
    assert.match(await w.cmd('h', `FETCH 1:* (FLAGS) (CHANGEDSINCE ${highest} VANISHED)`), /^h BAD/m, 'VANISHED needs UID FETCH');
    w.close();
  });

  it('two sessions: the QRESYNC one is told of the other\'s EXPUNGE with VANISHED, its own EXPUNGE and MOVE answer VANISHED too', async () => {
    for (let i = 5; i <= 8; i++) await deliver('two', message(i));
    const q = await Wire.login('two');
    await q.cmd('e', 'ENABLE QRESYNC');
    await q.cmd('s', 'SELECT INBOX');
    const e = await Wire.login('two');
    await e.cmd('s', 'SELECT INBOX');
    await e.cmd('a', 'UID STORE 2,5 +FLAGS.SILENT (\\Deleted)');
    assert.match(await e.cmd('b', 'EXPUNGE'), /^\* 5 EXPUNGE\r\n\* 2 EXPUNGE\r\nb OK/m, 'the non-QRESYNC session still gets EXPUNGE');
    const told = await q.cmd('n', 'NOOP');
    assert.match(told, /^\* VANISHED 2,5\r\nn OK/m);
    assert.doesNotMatch(told, /EXPUNGE/);
    await q.cmd('a', 'UID STORE 1 +FLAGS.SILENT (\\Deleted)');
    assert.match(await q.cmd('x', 'EXPUNGE'), /^\* VANISHED 1\r\nx OK/m);
    assert.match(await q.cmd('m', 'UID MOVE 7 Archive'), /^\* OK \[COPYUID \d+ 7 \d+\][^\r]*\r\n\* VANISHED 7\r\nm OK/m);
    assert.match(await q.cmd('u', 'FETCH 1:* UID'), /^\* 1 FETCH \(UID 3\)\r\n\* 2 FETCH \(UID 4\)\r\n\* 3 FETCH \(UID 6\)\r\n\* 4 FETCH \(UID 8\)\r\nu OK/m);
    assert.doesNotMatch(await q.cmd('c', 'CHECK'), /VANISHED|EXPUNGE/, 'what was announced is not announced again');
    q.close();
    e.close();
  });
});

describe('OBJECTID (RFC 8474)', () => {
  it('MAILBOXID: CREATE\'s OK, SELECT, STATUS and LIST-STATUS agree; RENAME keeps it; a re-created name gets another', async () => {
    const w = await Wire.login('oid');
    const created = await w.cmd('a', 'CREATE Projects');
    const id = /^a OK \[MAILBOXID \(([A-Za-z0-9_-]+)\)\]/m.exec(created)?.[1];
    assert.ok(id, created);
    assert.match(await w.cmd('b', 'SELECT Projects'), new RegExp(`^\\* OK \\[MAILBOXID \\(${id}\\)\\]`, 'm'));
    assert.match(await w.cmd('c', 'STATUS Projects (MESSAGES MAILBOXID)'), new RegExp(`^\\* STATUS "Projects" \\(MESSAGES 0 MAILBOXID \\(${id}\\)\\)`, 'm'));
    await w.cmd('u', 'UNSELECT');
    assert.match(await w.cmd('d', 'RENAME Projects Work'), /^d OK/m);
    assert.match(await w.cmd('e', 'STATUS Work (MAILBOXID)'), new RegExp(`MAILBOXID \\(${id}\\)`));
    assert.match(await w.cmd('f', 'LIST "" Work RETURN (STATUS (MAILBOXID))'), new RegExp(`^\\* STATUS "Work" \\(MAILBOXID \\(${id}\\)\\)`, 'm'));
    const again = /MAILBOXID \(([^)]+)\)/.exec(await w.cmd('g', 'CREATE Projects'))?.[1];
    assert.ok(again && again !== id);
    w.close();
  });

  it('EMAILID and THREADID survive COPY and MOVE', async () => {
    const w = await Wire.login('oid');
    await w.cmd('s', 'SELECT INBOX');
    const before = await w.cmd('a', 'UID FETCH 1:2 (EMAILID THREADID)');
    const ids = [...before.matchAll(/UID (\d) EMAILID \((M[0-9a-f]+)\) THREADID \((T[0-9a-f]+)\)/g)].map((m) => [m[2], m[3]]);
    assert.equal(ids.length, 2);
    assert.notEqual(ids[0]![0], ids[1]![0]);
    await w.cmd('c', 'UID COPY 1 Archive');
    await w.cmd('m', 'UID MOVE 2 Archive');
    await w.cmd('x', 'SELECT Archive');
    const after = await w.cmd('b', 'FETCH 1:* (EMAILID THREADID)');
    assert.match(after, new RegExp(`^\\* 1 FETCH \\(EMAILID \\(${ids[0]![0]}\\) THREADID \\(${ids[0]![1]}\\)\\)`, 'm'));
    assert.match(after, new RegExp(`^\\* 2 FETCH \\(EMAILID \\(${ids[1]![0]}\\) THREADID \\(${ids[1]![1]}\\)\\)`, 'm'));
    w.close();
  });

  it('THREADID: a reply (In-Reply-To in the message, or References passed by the pipeline) joins its parent\'s thread, an unrelated message does not', async () => {
    await deliver('thr', message(1, ''), { messageId: '<root@x>' });
    await deliver('thr', message(2, 'In-Reply-To: <root@x>\r\n'), { messageId: '<child@x>' });
    await deliver('thr', message(3), { messageId: '<grandchild@x>', threadRefs: ['<nobody@x>', '<child@x>'] });
    await deliver('thr', message(4), { messageId: '<other@x>' });
    const w = await Wire.login('thr');
    await w.cmd('s', 'EXAMINE INBOX');
    const r = await w.cmd('a', 'FETCH 1:* THREADID');
    const threads = [...r.matchAll(/THREADID \((T[0-9a-f]+)\)/g)].map((m) => m[1]);
    assert.equal(threads.length, 4);
    assert.equal(threads[1], threads[0]);
    assert.equal(threads[2], threads[0]);
    assert.notEqual(threads[3], threads[0]);
    // A reply the client APPENDs to Sent joins the conversation too (References in its header).
    const sent = 'From: b@example.com\r\nSubject: Re: m1\r\nMessage-ID: <sent@x>\r\nReferences: <root@x>\r\n <child@x>\r\n\r\nAgreed.\r\n';
    assert.match(await w.cmd('p', `APPEND Sent {${sent.length}+}\r\n${sent}`), /^p OK \[APPENDUID/m);
    await w.cmd('x', 'EXAMINE Sent');
    assert.match(await w.cmd('b', 'FETCH 1 THREADID'), new RegExp(`^\\* 1 FETCH \\(THREADID \\(${threads[0]}\\)\\)`, 'm'));
    w.close();
  });
});

describe('\\Recent (RFC 3501) for IMAP4rev1 sessions', () => {
  it('the first SELECT after delivery holds \\Recent; EXAMINE and STATUS see it without taking it; a later SELECT gets none; a new delivery goes to the session told first', async () => {
    await deliver('rec', message(1));
    await deliver('rec', message(2));
    const x = await Wire.login('rec');
    assert.match(await x.cmd('t', 'STATUS INBOX (RECENT MESSAGES)'), /^\* STATUS "INBOX" \(RECENT 2 MESSAGES 2\)/m);
    assert.match(await x.cmd('e', 'EXAMINE INBOX'), /^\* 2 RECENT\r\n/m);
    assert.match(await x.cmd('f', 'FETCH 1 FLAGS'), /^\* 1 FETCH \(FLAGS \(\\Recent\)\)/m);
    const a = await Wire.login('rec');
    assert.match(await a.cmd('s', 'SELECT INBOX'), /^\* 2 RECENT\r\n/m);
    assert.match(await a.cmd('f', 'FETCH 1:2 FLAGS'), /^\* 1 FETCH \(FLAGS \(\\Recent\)\)\r\n\* 2 FETCH \(FLAGS \(\\Recent\)\)/m);
    assert.match(await a.cmd('g', 'STORE 1 FLAGS (\\Seen)'), /^\* 1 FETCH \(FLAGS \(\\Seen \\Recent\)\)/m, 'STORE cannot remove \\Recent');
    const b = await Wire.login('rec');
    assert.match(await b.cmd('s', 'SELECT INBOX'), /^\* 0 RECENT\r\n/m);
    assert.match(await b.cmd('f', 'FETCH 2 FLAGS'), /^\* 2 FETCH \(FLAGS \(\)\)/m);
    assert.match(await b.cmd('t', 'STATUS INBOX (RECENT)'), /^\* STATUS "INBOX" \(RECENT 0\)/m);
    await deliver('rec', message(3));
    assert.match(await b.cmd('n1', 'NOOP'), /^\* 3 EXISTS\r\n\* 1 RECENT\r\n/m);
    assert.match(await a.cmd('n1', 'NOOP'), /^\* 3 EXISTS\r\n\* 2 RECENT\r\n/m);
    assert.match(await b.cmd('f3', 'FETCH 3 FLAGS'), /^\* 3 FETCH \(FLAGS \(\\Recent\)\)/m);
    assert.match(await a.cmd('f3', 'FETCH 3 FLAGS'), /^\* 3 FETCH \(FLAGS \(\)\)/m);
    for (const w of [x, a, b]) w.close();
  });

  it('after ENABLE IMAP4rev2 there is no RECENT response, no \\Recent flag, and nothing is claimed', async () => {
    await deliver('rev2', message(1));
    const w = await Wire.login('rev2');
    await w.cmd('e', 'ENABLE IMAP4rev2');
    const sel = await w.cmd('s', 'SELECT INBOX');
    assert.doesNotMatch(sel, /RECENT/);
    assert.match(await w.cmd('f', 'FETCH 1 FLAGS'), /^\* 1 FETCH \(FLAGS \(\)\)/m);
    const v1 = await Wire.login('rev2');
    assert.match(await v1.cmd('s', 'SELECT INBOX'), /^\* 1 RECENT\r\n/m);
    w.close();
    v1.close();
  });
});

describe('COMPRESS=DEFLATE (RFC 4978)', () => {
  it('refused before login; after OK both directions are deflated; a second COMPRESS answers NO [COMPRESSIONACTIVE]', async () => {
    const pre = new Wire(tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }));
    await pre.until(/^\* OK/m);
    assert.match(await pre.cmd('a', 'COMPRESS DEFLATE'), /^a BAD/m);
    pre.close();
    const w = await Wire.login('zip');
    assert.match(await w.cmd('c', 'CAPABILITY'), /COMPRESS=DEFLATE/);
    assert.match(await w.cmd('b', 'COMPRESS X-UNKNOWN'), /^b BAD/m);
    assert.match(await w.cmd('z', 'COMPRESS DEFLATE'), /^z OK/m);
    w.compress();
    const sel = await w.cmd('s', 'SELECT INBOX');
    assert.match(sel, /^\* 4 EXISTS\r\n/m);
    const body = await w.cmd('f', 'FETCH 1:4 (BODY.PEEK[] FLAGS)');
    assert.equal([...body.matchAll(/Body \d\r\n/g)].length, 4);
    assert.match(await w.cmd('y', 'COMPRESS DEFLATE'), /^y NO \[COMPRESSIONACTIVE\]/m);
    const start = w.buf.length;
    w.write('l LOGOUT\r\n');
    await w.until(/^l OK/m);
    assert.match(w.buf.subarray(start).toString(), /^\* BYE/m, 'the BYE is flushed through the compressor before the close');
    w.close();
  });

  it('a decompression bomb (a compressed line far beyond the line cap) ends the session without buffering it', async () => {
    const w = await Wire.login('bomb');
    await w.cmd('z', 'COMPRESS DEFLATE');
    w.compress();
    assert.match(await w.cmd('n', 'NOOP'), /^n OK/m);
    const before = process.memoryUsage().rss;
    // 200 MiB of one line, a few hundred KiB once deflated.
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 200 && !w.closed; i++) {
      w.write(chunk);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await w.until(/^\* BYE/m, 10_000).catch(() => undefined);
    assert.ok(w.closed || /\* BYE/.test(w.text), 'the session ended');
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 100 * 1024 * 1024, `memory grew by ${grown} bytes`);
    w.close();
  });
});

describe('COMPRESS=DEFLATE under load and abuse', () => {
  it('bytes that are not DEFLATE after COMPRESS end the connection', async () => {
    const w = await Wire.login('bomb');
    await w.cmd('z', 'COMPRESS DEFLATE');
    w.sock.write(Buffer.from('a NOOP\r\n\xff\xff\xff\xff garbage that is not a deflate stream', 'latin1'));
    await w.until(/$^/, 3000).catch(() => undefined);
    assert.ok(w.closed, 'the server closed the connection');
    w.close();
  });

  it('a slow reader: 2.4 MB of hardly compressible bodies arrive whole through the compressor, paced by the client', async () => {
    const bodies = [1, 2, 3].map(() => Buffer.from(`Subject: big\r\n\r\n${randomBytes(600_000).toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n`));
    for (const b of bodies) await deliver('slow', b);
    const w = await Wire.login('slow');
    await w.cmd('z', 'COMPRESS DEFLATE');
    w.compress();
    await w.cmd('s', 'EXAMINE INBOX');
    w.sock.pause();
    w.write('f FETCH 1:* BODY.PEEK[]\r\n');
    await new Promise((resolve) => setTimeout(resolve, 300));
    w.sock.resume();
    await w.until(/^f OK/m, 20_000);
    for (const b of bodies) assert.ok(w.buf.includes(b), 'a body arrived whole');
    w.close();
  });
});

describe('imapflow (COMPRESS and QRESYNC negotiated by the client)', () => {
  it('imapflow compresses, enables QRESYNC, reads EMAILID/THREADID and MODSEQ, and sees another session\'s expunge as VANISHED', async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'flow@example.com', pass: 'pw-flow' }, logger: false, qresync: true });
    await client.connect();
    try {
      assert.ok(client.enabled.has('QRESYNC'));
      assert.ok((client as unknown as { _deflate?: unknown })._deflate, 'COMPRESS was negotiated');
      const box = await client.mailboxOpen('INBOX');
      assert.ok(box.highestModseq && box.highestModseq > 0n);
      assert.ok(box.mailboxId);
      const msgs = [];
      for await (const m of client.fetch('1:*', { uid: true, flags: true, threadId: true, emailId: true } as never)) msgs.push(m);
      assert.equal(msgs.length, 4);
      assert.ok(msgs.every((m) => typeof m.emailId === 'string' && m.emailId.startsWith('M') && typeof m.threadId === 'string' && typeof m.modseq === 'bigint'));
      const vanished: Array<{ uid?: number; vanished: boolean }> = [];
      client.on('expunge', (e: { uid?: number; vanished: boolean }) => vanished.push(e));
      const other = await Wire.login('flow');
      await other.cmd('s', 'SELECT INBOX');
      await other.cmd('a', 'UID STORE 2 +FLAGS.SILENT (\\Deleted)');
      await other.cmd('b', 'UID EXPUNGE 2');
      other.close();
      await client.noop();
      assert.deepEqual(vanished.map((e) => [e.uid, e.vanished]), [[2, true]]);
    } finally {
      await client.logout();
    }
  });
});
