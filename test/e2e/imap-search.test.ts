/*
 * SEARCH, ESEARCH and SEARCHRES against the real IMAP listener on
 * 127.0.0.1: messages committed through the real group Committer (which
 * computes their search text) into SQLite with its FTS5 trigram index and
 * the file blob store, searched with raw socket transcripts and imapflow.
 *
 * Security: test only; 127.0.0.1; a self-signed certificate in a temp dir.
 * Standards: RFC 9051 section 6.4.4, RFC 4731, RFC 5182, RFC 7162 3.1.5,
 * RFC 5032, RFC 8514.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { WorkerCommitter } from '../../src/app/worker-committer.js';
import { SearchIndexer } from '../../src/delivery/search-indexer.js';
import { MAX_SEARCH_TEXT_KEYS } from '../../src/endpoints/imap/limits.js';
import { indexMessage } from '../../src/mime/index.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { startImap, Wire, type ImapHarness } from '../support/imap-harness.js';

let h: ImapHarness;
const logger = createMemoryLogger('debug');

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');

/** The test mailbox of alice, by UID. */
const MESSAGES: Buffer[] = [
  crlf(['From: Alice Example <alice@example.org>', 'To: bob@example.com', 'Subject: Hello there', 'Date: Mon, 2 Mar 2026 10:00:00 +0000', 'Message-ID: <m1@example.org>', '', 'First line mentions a banana.', '']),
  crlf([
    'From: Bob <bob@example.net>',
    'To: alice@example.com',
    'Subject: =?utf-8?q?R=C3=A9sum=C3=A9?= attached',
    'Date: Mon, 2 Mar 2026 23:30:00 -0500',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Un caf=E9 cr=E8me, s\'il vous pla=EEt.',
    '',
  ]),
  crlf([
    'From: Carol <carol@example.org>',
    'To: carol@example.com',
    'Cc: Dave <dave@example.com>',
    'Bcc: secret-list@example.com',
    'X-Custom: the magic-value here',
    'Subject: Figures',
    'Date: Tue, 3 Mar 2026 08:00:00 +0100',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<html><head><title>ignored-title</title></head><body><p>Quarterly <b>numbers</b> &amp; more</p></body></html>',
    '--b1',
    'Content-Type: application/pdf; name="report.pdf"',
    'Content-Disposition: attachment; filename="report.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('%PDF-1.4 binaryjunkword').toString('base64'),
    '--b1--',
    '',
  ]),
  crlf(['From: Bob <bob@example.net>', 'To: alice@example.com', 'Subject: Re: Hello there', 'Date: Tue, 3 Mar 2026 12:00:00 +0000', 'Message-ID: <m4@example.net>', 'In-Reply-To: <m1@example.org>', 'References: <m1@example.org>', '', 'Reply text.', '']),
  crlf(['From: Erin <erin@example.org>', 'To: alice@example.com', 'Subject: zebra', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '', Buffer.from('A zebra crossing, qx marks the spot.\r\n').toString('base64'), '']),
];

const SIZES = MESSAGES.map((m) => m.length);

async function deliver(user: string, bytes: Buffer, internalDate: number, n: number): Promise<number> {
  const account = (await h.store.directory.getAccount('example.com', user))!;
  const index = indexMessage(bytes);
  const r = await h.committer.commit({
    bytes,
    index: JSON.stringify(index),
    request: { internalDate, messageId: index.summary.messageId, queueId: `q-${user}-${n}`, local: [{ accountId: account.id, mailbox: 'INBOX', enforceQuota: false }] },
  });
  const out = r.local[0]!;
  assert.ok(out.ok);
  return out.uid;
}

before(async () => {
  h = await startImap({ users: ['alice', 'bob'] });
  // Internal dates 1..5 March 2026, noon UTC.
  for (let i = 0; i < MESSAGES.length; i++) await deliver('alice', MESSAGES[i]!, Date.UTC(2026, 2, i + 1, 12), i + 1);
  // bob has the same first message: a shared blob, indexed once, found in his mailbox too.
  await deliver('bob', MESSAGES[0]!, Date.UTC(2026, 2, 1, 12), 1);
});

after(() => h.close());

/** The harness's raw client, decoding replies as UTF-8 (the messages hold non-ASCII text), with SEARCH helpers. */
class SearchWire extends Wire {
  static async session(user: string, select = true): Promise<SearchWire> {
    const w = new SearchWire(tls.connect({ host: '127.0.0.1', port: h.port, rejectUnauthorized: false }), 'utf8');
    await w.until(/^\* OK .*\r\n/m);
    assert.match(await w.cmd('L', `LOGIN ${user}@example.com pw-${user}`), /^L OK/m);
    if (select) assert.match(await w.cmd('S', 'SELECT INBOX'), /^S OK/m);
    return w;
  }
  /** The numbers of the `* SEARCH` line answering line. */
  async search(line: string): Promise<string> {
    const out = await this.cmd('s', line);
    assert.match(out, /^s OK/m, out);
    const m = /^\* SEARCH([^\r]*)\r\n/m.exec(out);
    assert.ok(m, out);
    return m[1]!.trim();
  }
}

describe('IMAP SEARCH keys', () => {
  let w: SearchWire;
  before(async () => {
    w = await SearchWire.session('alice');
  });
  after(() => w.close());

  const cases: [string, string][] = [
    ['ALL', '1 2 3 4 5'],
    ['TEXT banana', '1'],
    ['TEXT BANANA', '1'],
    ['BODY "café crème"', '2'],
    ['BODY "CAFÉ CRÈME"', '2'],
    ['SUBJECT "résumé"', '2'],
    ['SUBJECT "RÉSUMÉ ATT"', '2'],
    ['SUBJECT "hello THERE"', '1 4'],
    ['FROM alice', '1'],
    ['FROM "Bob <bob@"', '2 4'],
    ['TO carol', '3'],
    ['CC dave', '3'],
    ['BCC secret-list', '3'],
    ['HEADER X-Custom magic-value', '3'],
    ['HEADER x-custom ""', '3'],
    ['HEADER CC ""', '3'],
    ['NOT HEADER Date ""', '5'],
    ['HEADER X-Custom nothing-like-it', ''],
    ['HEADER In-Reply-To m1@example', '4'],
    ['BODY quarterly', '3'],
    ['BODY "numbers & more"', '3'],
    ['BODY "<b>"', ''],
    ['BODY ignored-title', ''],
    ['TEXT report.pdf', '3'],
    ['BODY binaryjunkword', ''],
    ['TEXT zebra', '5'],
    ['BODY qx', '5'],
    ['BODY "a "', '1 5'],
    ['TEXT "Re: Hello"', '4'],
    ['NOT TEXT banana', '2 3 4 5'],
    ['OR FROM alice TO carol', '1 3'],
    ['(FROM bob SUBJECT hello)', '4'],
    ['FROM bob SUBJECT hello', '4'],
    ['2,4:5', '2 4 5'],
    ['4:*', '4 5'],
    ['UID 2:3', '2 3'],
    ['UID 9:*', '5'],
    ['ON 3-Mar-2026', '3'],
    ['BEFORE 3-Mar-2026', '1 2'],
    ['SINCE 4-Mar-2026', '4 5'],
    ['SENTON 2-Mar-2026', '1 2'],
    ['SENTON 3-Mar-2026', '3 4'],
    ['SENTBEFORE 3-Mar-2026', '1 2'],
    ['SENTSINCE 3-Mar-2026', '3 4'],
    [`LARGER ${SIZES[2]! - 1}`, '3'],
    [`SMALLER ${Math.min(...SIZES) + 1}`, String(SIZES.indexOf(Math.min(...SIZES)) + 1)],
    [`NOT SMALLER ${Math.max(...SIZES)}`, String(SIZES.indexOf(Math.max(...SIZES)) + 1)],
    // This rev1 session selected INBOX first: every message is \Recent in it.
    ['NEW', '1 2 3 4 5'],
    ['RECENT', '1 2 3 4 5'],
    ['OLD', ''],
    ['NOT RECENT', ''],
    ['OLDER 60', '1 2 3 4 5'],
    ['YOUNGER 60', ''],
    ['SAVEDATESUPPORTED', '1 2 3 4 5'],
    ['SAVEDBEFORE 1-Jan-2000', ''],
    ['CHARSET UTF-8 SUBJECT Figures', '3'],
    ['CHARSET US-ASCII SUBJECT Figures', '3'],
  ];
  // As delivered, the messages wait in the search queue and SEARCH reads them;
  // once the indexer has run, the same keys are answered from the index.
  for (const [query, want] of cases) {
    it(`SEARCH ${query} -> ${want || '(none)'} (not indexed yet)`, async () => {
      assert.equal(await w.search(`SEARCH ${query}`), want);
    });
  }
  it('the indexer empties the search queue', async () => {
    await new SearchIndexer(h.store.searchQueue, h.blobs, logger).drain();
    assert.deepEqual(await h.store.searchQueue.queued(10), []);
  });
  for (const [query, want] of cases) {
    it(`SEARCH ${query} -> ${want || '(none)'} (indexed)`, async () => {
      assert.equal(await w.search(`SEARCH ${query}`), want);
    });
  }

  it('flag keys follow STORE, and UID SEARCH answers UIDs', async () => {
    assert.match(await w.cmd('f', 'STORE 1,3 +FLAGS (\\Flagged $Label1)'), /^f OK/m);
    assert.equal(await w.search('SEARCH FLAGGED'), '1 3');
    assert.equal(await w.search('SEARCH UNFLAGGED'), '2 4 5');
    assert.equal(await w.search('SEARCH KEYWORD $label1'), '1 3');
    assert.equal(await w.search('SEARCH UNKEYWORD $Label1'), '2 4 5');
    assert.equal(await w.search('SEARCH UNSEEN NOT DELETED'), '1 2 3 4 5');
    assert.equal(await w.search('SEARCH ANSWERED'), '');
    assert.equal(await w.search('UID SEARCH FLAGGED TEXT banana'), '1');
  });

  it('EMAILID and THREADID (RFC 8474) find a message and its thread', async () => {
    const out = await w.cmd('oi', 'FETCH 1,4 (EMAILID THREADID)');
    const ids = [...out.matchAll(/^\* (\d+) FETCH \(EMAILID \(([^)]+)\) THREADID \(([^)]+)\)\)/gm)].map((m) => ({ seq: m[1], email: m[2]!, thread: m[3]! }));
    assert.equal(ids.length, 2, out);
    assert.equal(await w.search(`SEARCH EMAILID ${ids[0]!.email}`), '1');
    assert.equal(ids[0]!.thread, ids[1]!.thread, 'the reply is in the thread of the message it references');
    assert.equal(await w.search(`SEARCH THREADID ${ids[0]!.thread}`), '1 4');
    assert.equal(await w.search('SEARCH EMAILID Mnothere'), '');
  });

  it('MODSEQ reports the highest MODSEQ of the matches (RFC 7162)', async () => {
    const out = await w.cmd('m', 'SEARCH MODSEQ 1');
    const m = /^\* SEARCH 1 2 3 4 5 \(MODSEQ (\d+)\)\r$/m.exec(out);
    assert.ok(m, out);
    const none = await w.cmd('n', 'SEARCH MODSEQ 999999');
    assert.match(none, /^\* SEARCH\r$/m);
  });

  it('an unknown charset answers NO [BADCHARSET (UTF-8 US-ASCII)]', async () => {
    assert.match(await w.cmd('c', 'SEARCH CHARSET ISO-8859-1 TEXT x'), /^c NO \[BADCHARSET \(UTF-8 US-ASCII\)\]/m);
  });

  it('hostile: a SEARCH with more distinct text keys than MAX_SEARCH_TEXT_KEYS is refused, not run', async () => {
    const keys = Array.from({ length: MAX_SEARCH_TEXT_KEYS + 1 }, (_, i) => `OR BODY x${i} ALL`).join(' ');
    assert.match(await w.cmd('lim', `SEARCH ${keys}`), /^lim NO \[LIMIT\]/m);
    const same = Array.from({ length: 200 }, () => 'BODY banana').join(' ');
    assert.equal(await w.search(`SEARCH ${same}`), '1', 'repeating one key costs one query');
  });

  it('a shared blob is found from every mailbox holding it, and only there', async () => {
    const b = await SearchWire.session('bob');
    try {
      assert.equal(await b.search('SEARCH TEXT banana'), '1');
      assert.equal(await b.search('SEARCH TEXT zebra'), '');
    } finally {
      b.close();
    }
  });
});

describe('SORT and THREAD', () => {
  let w: SearchWire;
  before(async () => {
    w = await SearchWire.session('alice');
  });
  after(() => w.close());

  const line = async (tag: string, command: string, kind: 'SORT' | 'THREAD') => {
    const out = await w.cmd(tag, command);
    assert.match(out, new RegExp(`^${tag} OK`, 'm'), out);
    const m = new RegExp(`^\\* ${kind}([^\\r]*)\\r$`, 'm').exec(out);
    assert.ok(m, out);
    return m[1]!.trim();
  };
  const bySize = (reverse: boolean) => SIZES.map((n, i) => ({ n, i: i + 1 })).sort((a, b) => (reverse ? b.n - a.n : a.n - b.n) || a.i - b.i).map((x) => x.i).join(' ');

  const sorts: [string, () => string][] = [
    ['SORT (SUBJECT) UTF-8 ALL', () => '3 1 4 2 5'],
    ['SORT (DATE) UTF-8 ALL', () => '1 2 3 4 5'],
    ['SORT (REVERSE DATE) UTF-8 ALL', () => '5 4 3 2 1'],
    ['SORT (ARRIVAL) US-ASCII ALL', () => '1 2 3 4 5'],
    ['SORT (FROM) UTF-8 ALL', () => '1 2 4 3 5'],
    ['SORT (TO REVERSE ARRIVAL) UTF-8 ALL', () => '5 4 2 1 3'],
    ['SORT (CC SUBJECT) UTF-8 ALL', () => '1 4 2 5 3'],
    ['SORT (SIZE) UTF-8 ALL', () => bySize(false)],
    ['SORT (REVERSE SIZE) UTF-8 ALL', () => bySize(true)],
    ['SORT (SUBJECT DATE) UTF-8 FROM bob', () => '4 2'],
    ['UID SORT (REVERSE SUBJECT) UTF-8 NOT FROM bob', () => '5 1 3'],
  ];
  for (const [command, want] of sorts) {
    it(command, async () => {
      assert.equal(await line('o', command, 'SORT'), want());
    });
  }

  it('THREAD=REFERENCES links the reply under the message it references', async () => {
    assert.equal(await line('t1', 'THREAD REFERENCES UTF-8 ALL', 'THREAD'), '(1 4)(2)(3)(5)');
    assert.equal(await line('t2', 'UID THREAD REFERENCES UTF-8 NOT SUBJECT figures', 'THREAD'), '(1 4)(2)(5)');
    assert.equal(await line('t3', 'THREAD REFERENCES UTF-8 TEXT nothing-matches', 'THREAD'), '');
  });

  it('THREAD=ORDEREDSUBJECT groups by base subject', async () => {
    assert.equal(await line('t4', 'THREAD ORDEREDSUBJECT UTF-8 ALL', 'THREAD'), '(1 4)(2)(3)(5)');
  });

  it('refuses an unknown algorithm, an unknown charset and DISPLAYFROM', async () => {
    assert.match(await w.cmd('x1', 'THREAD XYZ UTF-8 ALL'), /^x1 BAD/m);
    assert.match(await w.cmd('x2', 'SORT (DATE) KOI8-R ALL'), /^x2 NO \[BADCHARSET \(UTF-8 US-ASCII\)\]/m);
    assert.match(await w.cmd('x3', 'SORT (DISPLAYFROM) UTF-8 ALL'), /^x3 BAD/m);
  });

  it('ESORT (RFC 5267): RETURN answers ESEARCH with MIN/MAX first/last in sort order and ALL in sort order', async () => {
    assert.match(await w.cmd('es1', 'SORT RETURN (MIN MAX COUNT) (SUBJECT) UTF-8 ALL'), /^\* ESEARCH \(TAG "es1"\) MIN 3 MAX 5 COUNT 5\r$/m);
    assert.match(await w.cmd('es2', 'SORT RETURN (ALL) (REVERSE DATE) UTF-8 ALL'), /^\* ESEARCH \(TAG "es2"\) ALL 5,4,3,2,1\r$/m);
    assert.match(await w.cmd('es3', 'UID SORT RETURN () (SUBJECT) UTF-8 ALL'), /^\* ESEARCH \(TAG "es3"\) UID ALL 3,1,4,2,5\r$/m);
    assert.match(await w.cmd('es4', 'SORT RETURN (ALL) (DATE) UTF-8 ALL'), /^\* ESEARCH \(TAG "es4"\) ALL 1:5\r$/m);
    const none = await w.cmd('es5', 'SORT RETURN (MIN COUNT) (DATE) UTF-8 TEXT nothing-matches');
    assert.match(none, /^\* ESEARCH \(TAG "es5"\) COUNT 0\r$/m);
    assert.doesNotMatch(none, /^\* SORT/m);
  });
});

describe('ESEARCH and SEARCHRES', () => {
  it('RETURN (MIN MAX COUNT ALL) answers ESEARCH with the tag, UID with UID SEARCH', async () => {
    const w = await SearchWire.session('alice');
    try {
      assert.match(await w.cmd('e1', 'SEARCH RETURN (MIN MAX COUNT) FROM bob'), /^\* ESEARCH \(TAG "e1"\) MIN 2 MAX 4 COUNT 2\r$/m);
      assert.match(await w.cmd('e2', 'UID SEARCH RETURN () NOT FROM bob'), /^\* ESEARCH \(TAG "e2"\) UID ALL 1,3,5\r$/m);
      assert.match(await w.cmd('e3', 'SEARCH RETURN (COUNT) TEXT nothing-matches'), /^\* ESEARCH \(TAG "e3"\) COUNT 0\r$/m);
      assert.match(await w.cmd('e4', 'SEARCH RETURN (MIN) TEXT nothing-matches'), /^\* ESEARCH \(TAG "e4"\)\r$/m);
    } finally {
      w.close();
    }
  });

  it('an IMAP4rev2 session gets ESEARCH for a plain SEARCH', async () => {
    const w = await SearchWire.session('alice', false);
    try {
      assert.match(await w.cmd('en', 'ENABLE IMAP4rev2'), /^en OK/m);
      await w.cmd('S', 'SELECT INBOX');
      const out = await w.cmd('r2', 'SEARCH FROM bob');
      assert.match(out, /^\* ESEARCH \(TAG "r2"\) ALL 2,4\r$/m);
      assert.doesNotMatch(out, /^\* SEARCH/m);
      // IMAP4rev2 has no \Recent.
      assert.match(await w.cmd('r3', 'SEARCH RETURN (COUNT) RECENT'), /^\* ESEARCH \(TAG "r3"\) COUNT 0\r$/m);
      assert.match(await w.cmd('r4', 'SEARCH RETURN (COUNT) OLD'), /^\* ESEARCH \(TAG "r4"\) COUNT 5\r$/m);
    } finally {
      w.close();
    }
  });

  it('SAVE keeps the result as $ for FETCH, STORE, SEARCH and UID commands; SELECT empties it', async () => {
    const w = await SearchWire.session('alice');
    try {
      const saved = await w.cmd('v1', 'SEARCH RETURN (SAVE) FROM bob');
      assert.doesNotMatch(saved, /ESEARCH/, 'SAVE alone sends no ESEARCH');
      const fetched = await w.cmd('v2', 'FETCH $ (UID)');
      assert.deepEqual([...fetched.matchAll(/^\* (\d+) FETCH \(UID (\d+)\)/gm)].map((m) => `${m[1]}:${m[2]}`), ['2:2', '4:4']);
      assert.equal(await w.search('SEARCH $ SUBJECT hello'), '4');
      assert.equal(await w.search('SEARCH NOT $'), '1 3 5');
      assert.equal(await w.search('SEARCH UID $'), '2 4');
      assert.match(await w.cmd('v3', 'UID STORE $ +FLAGS.SILENT (\\Answered)'), /^v3 OK/m);
      assert.equal(await w.search('SEARCH ANSWERED'), '2 4');
      // SAVE with MIN alone saves only the minimum (RFC 5182 2.4).
      assert.match(await w.cmd('v4', 'SEARCH RETURN (SAVE MIN) ALL'), /^\* ESEARCH \(TAG "v4"\) MIN 1\r$/m);
      assert.equal(await w.search('SEARCH $'), '1');
      // A failed SEARCH ... SAVE empties $.
      assert.match(await w.cmd('v5', 'SEARCH RETURN (SAVE) CHARSET KOI8-R ALL'), /^v5 NO \[BADCHARSET/m);
      assert.equal(await w.search('SEARCH $'), '');
      await w.cmd('v6', 'SEARCH RETURN (SAVE) ALL');
      assert.match(await w.cmd('S2', 'SELECT INBOX'), /^S2 OK/m);
      const after = await w.cmd('v7', 'FETCH $ (UID)');
      assert.match(after, /^v7 OK/m);
      assert.doesNotMatch(after, /FETCH \(UID/);
    } finally {
      w.close();
    }
  });

  it('imapflow searches by body, subject and flags', async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port: h.port, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: 'pw-alice' }, logger: false });
    await client.connect();
    try {
      await client.mailboxOpen('INBOX');
      assert.deepEqual(await client.search({ body: 'quarterly' }, { uid: true }), [3]);
      assert.deepEqual(await client.search({ subject: 'hello' }), [1, 4]);
      assert.deepEqual(await client.search({ or: [{ from: 'erin' }, { to: 'carol' }] }), [3, 5]);
    } finally {
      await client.logout();
    }
  });
});

describe('APPEND', () => {
  it('a message stored by APPEND (through the committer) is searchable at once', async () => {
    const w = await SearchWire.session('alice', false);
    try {
      const bytes = crlf(['From: draft@example.org', 'Subject: appended draft', '', 'Text only an APPEND carried: kumquat.', '']);
      w.sock.write(`ap APPEND Drafts (\\Draft) {${bytes.length}+}\r\n`);
      w.sock.write(Buffer.concat([bytes, Buffer.from('\r\n')]));
      await w.until(/^ap OK/m);
      assert.match(await w.cmd('sd', 'SELECT Drafts'), /^sd OK/m);
      assert.equal(await w.search('SEARCH BODY kumquat DRAFT'), '1');
      assert.equal(await w.search('SEARCH SUBJECT "appended draft"'), '1');
    } finally {
      w.close();
    }
  });
});

describe('the commit worker thread', () => {
  it('indexes what the commit worker commits once deliveries pause (the server\'s delivery path), and blobs stored without keys', async () => {
    // A message stored without search keys.
    const bob = (await h.store.directory.getAccount('example.com', 'bob'))!;
    const old = crlf(['From: o@example.org', 'Subject: from before the index', '', 'Persimmon text.', '']);
    await h.store.deliveries.commit([{ blob: { hash: await h.blobs.put(old), size: old.length, index: JSON.stringify(indexMessage(old)) }, internalDate: Date.now(), messageId: null, queueId: 'q-old', local: [{ accountId: bob.id, mailbox: 'INBOX', enforceQuota: false }] }]);
    // And one whose file is gone: the worker's indexer reports it to the main thread's log and marks it done.
    await h.store.deliveries.commit([{ blob: { hash: 'e'.repeat(64), size: 1, index: '{"v":1}' }, internalDate: Date.now(), messageId: null, queueId: 'q-lost', local: [{ accountId: bob.id, mailbox: 'Archive', enforceQuota: false }] }]);
    const worker = new WorkerCommitter({ database: h.dbPath, blobs: join(h.dir, 'blobs'), fsync: false }, logger);
    await worker.start();
    try {
      const bytes = crlf(['From: w@example.org', 'Subject: via the worker', '', 'Only-in-the-worker-message text.', '']);
      const r = await worker.commit({ bytes, index: JSON.stringify(indexMessage(bytes)), request: { internalDate: Date.now(), messageId: null, queueId: 'q-worker', local: [{ accountId: bob.id, mailbox: 'INBOX', enforceQuota: false }] } });
      assert.ok(r.local[0]!.ok);
      // The worker's indexer empties the queue after the deliveries (INDEX_IDLE_MS).
      const deadline = Date.now() + 5000;
      while ((await h.store.searchQueue.queued(10)).length > 0) {
        assert.ok(Date.now() < deadline, 'the commit worker indexes the queue');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await worker.close();
    }
    assert.ok(logger.lines.some((l) => / error petrel "search text failed" blob=e{64} reason=/.test(l)), logger.lines.filter((l) => / error /.test(l)).join('\n'));
    const b = await SearchWire.session('bob');
    try {
      assert.equal(await b.search('SEARCH BODY only-in-the-worker'), '3');
      assert.equal(await b.search('SEARCH SUBJECT "the worker"'), '3');
      assert.equal(await b.search('SEARCH BODY persimmon'), '2', 'indexed by the worker');
    } finally {
      b.close();
    }
  });
});
