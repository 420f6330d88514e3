/*
 * FETCH, STORE and EXPUNGE against the real IMAP listener on 127.0.0.1:
 * messages delivered through the store's deliveries.commit with a real
 * MIME index and blob, read back byte for byte by Python's imaplib and by
 * raw sockets; sequence numbers per session; read-only EXAMINE refusals.
 *
 * Security: test only; 127.0.0.1; a self-signed certificate in a temp dir.
 * Standards: RFC 9051 sections 6.4.3-6.4.6, RFC 3516, RFC 4315, RFC 7162.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { Directory } from '../../src/directory/directory.js';
import { ImapEndpoint } from '../../src/endpoints/imap/index.js';
import { indexMessage } from '../../src/mime/index.js';
import { FileBlobStore } from '../../src/store/blob/files.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { MetadataStore } from '../../src/store/types.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { openCertificateRegistry, type CertificateRegistry } from '../../src/tls/index.js';
import { Wire } from '../support/imap-harness.js';
import { requireTools, run } from '../support/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-imap-fetch-'));
let store: MetadataStore;
let blobs: FileBlobStore;
let registry: CertificateRegistry;
let endpoint: ImapEndpoint;
let port: number;
const logger = createMemoryLogger('debug');

const SIMPLE = Buffer.from(
  'From: Alice <alice@example.org>\r\nTo: bob@example.com\r\nSubject: Hello there\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <m1@example.org>\r\n\r\nFirst line\r\nSecond line\r\n',
);
const MULTI = Buffer.from(
  [
    'From: Carol <carol@example.org>',
    'To: bob@example.com',
    'Subject: With attachment',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'The text part.',
    '--b1',
    'Content-Type: application/octet-stream; name="x.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from([0, 1, 2, 3, 255]).toString('base64'),
    '--b1--',
    '',
  ].join('\r\n'),
);

async function deliver(user: string, bytes: Buffer, n: number): Promise<number> {
  const account = (await store.directory.getAccount('example.com', user))!;
  const hash = await blobs.put(bytes);
  const [r] = await store.deliveries.commit([
    {
      blob: { hash, size: bytes.length, index: JSON.stringify(indexMessage(bytes)) },
      internalDate: Date.UTC(2026, 2, 2, 10, 0, n),
      messageId: null,
      queueId: `q-${user}-${n}`,
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
  for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina']) await directory.addUser(`${u}@example.com`, `pw-${u}`);
  registry = await openCertificateRegistry(
    { certsDir: join(dir, 'le'), certificates: [], selfSignedDir: join(dir, 'ss'), hostname: 'mail.example.com' },
    logger,
    { watch: false },
  );
  endpoint = new ImapEndpoint({ directory, store, blobs, certificates: registry, logger, security: 'implicit' });
  await endpoint.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  port = endpoint.port();
  await deliver('alice', SIMPLE, 1);
  await deliver('alice', MULTI, 2);
  for (const u of ['bob', 'carol', 'dave', 'erin', 'frank']) for (let i = 1; i <= 4; i++) await deliver(u, SIMPLE, i);
});

after(async () => {
  await endpoint.close(500);
  registry.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const PY_CTX = 'import imaplib, ssl, json, sys\nctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE\n';

async function python(script: string): Promise<string> {
  const r = await run('/usr/bin/python3', ['-c', PY_CTX + script], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, `python failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('IMAP FETCH', () => {
  it('imaplib: BODY[] reads a delivered message back byte for byte, and marks it \\Seen', async (t) => {
    if (!requireTools(t, '/usr/bin/python3')) return;
    const out = await python(`
m = imaplib.IMAP4_SSL('127.0.0.1', ${port}, ssl_context=ctx)
m.login('alice@example.com', 'pw-alice')
m.select('INBOX')
typ, data = m.fetch('1', '(FLAGS)')
print(json.dumps({'before': data[0].decode()}))
typ, data = m.fetch('1', '(BODY[])')
sys.stdout.flush()
sys.stdout.buffer.write(b'BODY:' + data[0][1] + b':END\\n')
print(json.dumps({'head': data[0][0].decode(), 'tail': data[1].decode() if isinstance(data[1], bytes) else ''}))
m.logout()
`);
    assert.ok(out.includes('BODY:' + SIMPLE.toString('latin1') + ':END'), out);
    // imaplib is a rev1 client and this is the first SELECT since delivery: \Recent (RFC 3501).
    assert.match(out, /"before": "1 \(FLAGS \(\\\\Recent\)\)"/);
    assert.match(out, /\\\\Seen/);
  });

  it('imaplib: BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)] gives those fields and leaves \\Seen unset', async (t) => {
    if (!requireTools(t, '/usr/bin/python3')) return;
    const out = await python(`
m = imaplib.IMAP4_SSL('127.0.0.1', ${port}, ssl_context=ctx)
m.login('alice@example.com', 'pw-alice')
m.select('INBOX')
typ, data = m.fetch('2', '(BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])')
print(json.dumps({'name': data[0][0].decode(), 'value': data[0][1].decode()}))
typ, data = m.fetch('2', '(FLAGS)')
print(json.dumps({'flags': data[0].decode()}))
m.logout()
`);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    assert.match(lines[0]!.name!, /BODY\[HEADER\.FIELDS \(SUBJECT FROM\)\]/);
    assert.equal(lines[0]!.value, 'From: Carol <carol@example.org>\r\nSubject: With attachment\r\n\r\n');
    assert.equal(lines[1]!.flags, '2 (FLAGS ())');
  });

  it('imaplib: BODYSTRUCTURE of a multipart parses, and BODY.PEEK[1] and BINARY.PEEK[2] give its parts', async (t) => {
    if (!requireTools(t, '/usr/bin/python3')) return;
    const out = await python(`
m = imaplib.IMAP4_SSL('127.0.0.1', ${port}, ssl_context=ctx)
m.login('alice@example.com', 'pw-alice')
m.select('INBOX')
typ, data = m.uid('FETCH', '2', '(BODYSTRUCTURE)')
print(json.dumps({'typ': typ, 'bs': data[0].decode()}))
typ, data = m.fetch('2', '(BODY.PEEK[1] BINARY.PEEK[2] BINARY.SIZE[2])')
print(json.dumps({'part1': data[0][1].decode(), 'name2': data[1][0].decode(), 'part2': list(data[1][1]), 'tail': data[2].decode()}))
m.logout()
`);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines[0]!.typ, 'OK');
    assert.match(String(lines[0]!.bs), /^2 \(UID 2 BODYSTRUCTURE \(\("text" "plain" \("charset" "utf-8"\) NIL NIL "7bit" 14 1 .*\)\("application" "octet-stream" \("name" "x.bin"\) NIL NIL "base64" 8 .*\) "mixed" \("boundary" "b1"\)/);
    assert.equal(lines[1]!.part1, 'The text part.');
    assert.match(String(lines[1]!.name2), /BINARY\[2\] ~\{5\}/);
    assert.deepEqual(lines[1]!.part2, [0, 1, 2, 3, 255]);
    assert.match(String(lines[1]!.tail), /BINARY\.SIZE\[2\] 5\)/);
  });

  it('FLAGS, UID, INTERNALDATE, RFC822.SIZE, ENVELOPE, MODSEQ, PREVIEW, RFC822.HEADER and a partial over a raw socket', async () => {
    const w = await Wire.login(port, 'alice');
    await w.cmd('s', 'EXAMINE INBOX');
    const r = await w.cmd('f', 'FETCH 1 (UID INTERNALDATE RFC822.SIZE ENVELOPE MODSEQ PREVIEW BODY.PEEK[TEXT]<6.6>)');
    assert.match(r, /^\* 1 FETCH \(UID 1 INTERNALDATE "02-Mar-2026 10:00:01 \+0000" RFC822\.SIZE \d+ ENVELOPE \("Mon, 2 Mar 2026 10:00:00 \+0000" "Hello there" \(\("Alice" NIL "alice" "example\.org"\)\)/m);
    assert.match(r, new RegExp(`RFC822\\.SIZE ${SIMPLE.length} `));
    assert.match(r, /MODSEQ \(\d+\) PREVIEW "First line Second line" BODY\[TEXT\]<6> \{6\}\r\nline\r\n\)/);
    const h = await w.cmd('h', 'FETCH 2 (RFC822.HEADER)');
    assert.match(h, /^\* 2 FETCH \(RFC822\.HEADER \{\d+\}\r\nFrom: Carol/m);
    assert.doesNotMatch(h, /FLAGS/, 'EXAMINE: no \\Seen is set, so no FLAGS are sent');
    w.close();
  });

  it('macros ALL, FAST and FULL, and UID FETCH with UID ranges and *', async () => {
    const w = await Wire.login(port, 'alice');
    await w.cmd('s', 'EXAMINE INBOX');
    const fast = await w.cmd('a', 'FETCH 1:* FAST');
    assert.match(fast, /^\* 1 FETCH \(FLAGS \([^)]*\) INTERNALDATE "[^"]+" RFC822\.SIZE \d+\)\r\n\* 2 FETCH/m);
    assert.match(await w.cmd('b', 'FETCH 2 ALL'), /^\* 2 FETCH \(FLAGS \(\) INTERNALDATE "[^"]+" RFC822\.SIZE \d+ ENVELOPE \(/m);
    assert.match(await w.cmd('c', 'FETCH 2 FULL'), /ENVELOPE \(.*\) BODY \(\(/);
    const uid = await w.cmd('d', 'UID FETCH 2:* FLAGS');
    assert.match(uid, /^\* 2 FETCH \(UID 2 FLAGS \(\)\)\r\nd OK/m);
    assert.match(await w.cmd('e', 'UID FETCH 50:60 FLAGS'), /^e OK/m);
    w.close();
  });

  it('a sequence number beyond the mailbox answers BAD; FETCH outside the selected state answers BAD; CHANGEDSINCE filters and adds MODSEQ', async () => {
    const w = await Wire.login(port, 'alice');
    assert.match(await w.cmd('a', 'FETCH 1 FLAGS'), /^a BAD/m);
    await w.cmd('s', 'EXAMINE INBOX');
    assert.match(await w.cmd('b', 'FETCH 3 FLAGS'), /^b BAD/m);
    assert.match(await w.cmd('c', 'FETCH 1 (EMAILID THREADID)'), /^\* 1 FETCH \(EMAILID \(M[0-9a-f]{64}\) THREADID \(T[0-9a-f]{64}\)\)\r\nc OK/m);
    assert.match(await w.cmd('d', 'UID FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)'), /^d BAD/m);
    const changed = await w.cmd('e', 'FETCH 1:* FLAGS (CHANGEDSINCE 1)');
    assert.match(changed, /^\* \d FETCH \(FLAGS \([^)]*\) MODSEQ \(\d+\)\)/m);
    assert.doesNotMatch(await w.cmd('g', 'FETCH 1:* FLAGS (CHANGEDSINCE 999999)'), /FETCH \(/);
    w.close();
  });
});

describe('IMAP STORE', () => {
  it('imaplib: +FLAGS and -FLAGS answer with the new FLAGS', async (t) => {
    if (!requireTools(t, '/usr/bin/python3')) return;
    const out = await python(`
m = imaplib.IMAP4_SSL('127.0.0.1', ${port}, ssl_context=ctx)
m.login('bob@example.com', 'pw-bob')
m.select('INBOX')
typ, data = m.store('1:2', '+FLAGS', '(\\\\Flagged $Label)')
print(json.dumps({'typ': typ, 'data': [d.decode() for d in data]}))
typ, data = m.store('2', '-FLAGS', '\\\\Flagged')
print(json.dumps({'typ': typ, 'data': [d.decode() for d in data]}))
m.logout()
`);
    const [add, remove] = out.trim().split('\n').map((l) => JSON.parse(l) as { typ: string; data: string[] });
    assert.equal(add!.typ, 'OK');
    assert.equal(add!.data.length, 2);
    for (const d of add!.data) assert.match(d, /^\d \(FLAGS \((?=.*\\Flagged)(?=.*\$Label)[^)]*\)\)$/);
    assert.deepEqual(remove!.data, ['2 (FLAGS ($Label \\Recent))']);
  });

  it('.SILENT sends nothing; UID STORE replaces and reports UID; a flag read back by FETCH', async () => {
    const w = await Wire.login(port, 'bob');
    await w.cmd('s', 'SELECT INBOX');
    const silent = await w.cmd('a', 'STORE 3 +FLAGS.SILENT (\\Answered)');
    assert.doesNotMatch(silent, /FETCH/);
    assert.match(silent, /^a OK/m);
    assert.match(await w.cmd('b', 'UID STORE 3 FLAGS (\\Draft)'), /^\* 3 FETCH \(FLAGS \(\\Draft\) UID 3\)\r\nb OK/m);
    assert.match(await w.cmd('c', 'FETCH 3 FLAGS'), /^\* 3 FETCH \(FLAGS \(\\Draft\)\)/m);
    assert.match(await w.cmd('d', 'STORE 1 +FLAGS (\\Recent)'), /^d BAD/m);
    w.close();
  });

  it('UNCHANGEDSINCE: a message modified since is left alone and reported as [MODIFIED]', async () => {
    const w = await Wire.login(port, 'bob');
    await w.cmd('s', 'SELECT INBOX');
    const m = /MODSEQ \((\d+)\)/.exec(await w.cmd('a', 'FETCH 4 MODSEQ'))!;
    const modseq = Number(m[1]);
    const stale = await w.cmd('b', `STORE 4 (UNCHANGEDSINCE ${modseq - 1}) +FLAGS (\\Seen)`);
    assert.match(stale, /^b OK \[MODIFIED 4\]/m);
    assert.doesNotMatch(stale, /FETCH/);
    const fresh = await w.cmd('c', `UID STORE 4 (UNCHANGEDSINCE ${modseq}) +FLAGS.SILENT (\\Seen)`);
    assert.match(fresh, /^\* 4 FETCH \(UID 4 MODSEQ \(\d+\)\)\r\nc OK/m);
    w.close();
  });

  it('keyword flooding: a keyword too long or more than 64 keywords on a message answer NO [LIMIT]', async () => {
    const w = await Wire.login(port, 'bob');
    await w.cmd('s', 'SELECT INBOX');
    assert.match(await w.cmd('a', `STORE 1 +FLAGS (k${'x'.repeat(200)})`), /^a NO \[LIMIT\]/m);
    const first = Array.from({ length: 40 }, (_, i) => `$a${i}`).join(' ');
    assert.match(await w.cmd('b', `STORE 1 +FLAGS.SILENT (${first})`), /^b OK/m);
    const more = Array.from({ length: 40 }, (_, i) => `$b${i}`).join(' ');
    assert.match(await w.cmd('c', `STORE 1 +FLAGS.SILENT (${more})`), /^c NO \[LIMIT\]/m);
    assert.doesNotMatch(await w.cmd('d', 'FETCH 1 FLAGS'), /\$b0/);
    assert.match(await w.cmd('e', `STORE 1 -FLAGS.SILENT (${first})`), /^e OK/m);
    w.close();
  });

  it('STORE on a mailbox opened with EXAMINE is refused with NO and changes nothing', async () => {
    const w = await Wire.login(port, 'bob');
    await w.cmd('s', 'EXAMINE INBOX');
    assert.match(await w.cmd('a', 'STORE 1 +FLAGS (\\Deleted)'), /^a NO/m);
    assert.doesNotMatch(await w.cmd('b', 'FETCH 1 FLAGS'), /\\Deleted/);
    w.close();
  });
});

describe('IMAP EXPUNGE', () => {
  it('EXPUNGE sends untagged EXPUNGE highest sequence number first, and later numbers shift down', async () => {
    const w = await Wire.login(port, 'carol');
    await w.cmd('s', 'SELECT INBOX');
    await w.cmd('a', 'STORE 2,4 +FLAGS.SILENT (\\Deleted)');
    const r = await w.cmd('b', 'EXPUNGE');
    assert.match(r, /^\* 4 EXPUNGE\r\n\* 2 EXPUNGE\r\nb OK/m);
    assert.match(await w.cmd('c', 'FETCH 1:* UID'), /^\* 1 FETCH \(UID 1\)\r\n\* 2 FETCH \(UID 3\)\r\nc OK/m);
    assert.match(await w.cmd('d', 'FETCH 3 UID'), /^d BAD/m);
    w.close();
  });

  it('UID EXPUNGE removes only the named \\Deleted messages; imaplib reads the EXPUNGE responses', async (t) => {
    if (!requireTools(t, '/usr/bin/python3')) return;
    const out = await python(`
m = imaplib.IMAP4_SSL('127.0.0.1', ${port}, ssl_context=ctx)
m.login('dave@example.com', 'pw-dave')
m.select('INBOX')
m.store('1:3', '+FLAGS.SILENT', '\\\\Deleted')
typ, data = m.uid('EXPUNGE', '2:3')
print(json.dumps({'typ': typ, 'expunged': [d.decode() for d in m.response('EXPUNGE')[1] if d]}))
typ, data = m.fetch('1:*', '(UID FLAGS)')
print(json.dumps({'left': [d.decode() for d in data]}))
m.logout()
`);
    const [ex, left] = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(ex!.typ, 'OK');
    assert.deepEqual(ex!.expunged, ['3', '2']);
    assert.deepEqual(left!.left, ['1 (UID 1 FLAGS (\\Deleted \\Recent))', '2 (UID 4 FLAGS (\\Recent))']);
  });

  it('EXPUNGE on a mailbox opened with EXAMINE is refused with NO', async () => {
    const w = await Wire.login(port, 'carol');
    await w.cmd('s', 'EXAMINE INBOX');
    assert.match(await w.cmd('a', 'EXPUNGE'), /^a NO/m);
    assert.match(await w.cmd('b', 'UID EXPUNGE 1:*'), /^b NO/m);
    w.close();
  });
});

describe('IMAP COPY and MOVE', () => {
  it('COPY answers [COPYUID], the copies are in the target, the source keeps its messages', async () => {
    const w = await Wire.login(port, 'erin');
    await w.cmd('s', 'SELECT INBOX');
    const r = await w.cmd('a', 'COPY 1:2 Archive');
    assert.match(r, /^a OK \[COPYUID \d+ 1:2 1:2\]/m);
    assert.match(await w.cmd('b', 'FETCH 1:* UID'), /^\* 4 FETCH/m);
    await w.cmd('c', 'EXAMINE Archive');
    const archived = await w.cmd('d', 'FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
    assert.match(archived, /^\* 1 FETCH \(UID 1 BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{\d+\}\r\nSubject: Hello there/m);
    assert.match(archived, /^\* 2 FETCH \(UID 2 /m);
    w.close();
  });

  it('UID MOVE sends COPYUID in an untagged OK, then EXPUNGE, and the message leaves the source', async () => {
    const w = await Wire.login(port, 'erin');
    await w.cmd('s', 'SELECT INBOX');
    const r = await w.cmd('a', 'UID MOVE 3 Trash');
    assert.match(r, /^\* OK \[COPYUID \d+ 3 1\] [^\r]*\r\n\* 3 EXPUNGE\r\na OK/m);
    assert.match(await w.cmd('b', 'FETCH 1:* UID'), /^\* 1 FETCH \(UID 1\)\r\n\* 2 FETCH \(UID 2\)\r\n\* 3 FETCH \(UID 4\)\r\nb OK/m);
    w.close();
  });

  it('a missing target answers NO [TRYCREATE]; MOVE from EXAMINE answers NO; COPY into the selected mailbox sends EXISTS', async () => {
    const w = await Wire.login(port, 'erin');
    await w.cmd('s', 'EXAMINE INBOX');
    assert.match(await w.cmd('a', 'COPY 1 Nowhere'), /^a NO \[TRYCREATE\]/m);
    assert.match(await w.cmd('b', 'MOVE 1 Trash'), /^b NO/m);
    await w.cmd('c', 'SELECT INBOX');
    const r = await w.cmd('d', 'COPY 1 INBOX');
    assert.match(r, /^\* 4 EXISTS\r\nd OK \[COPYUID \d+ 1 5\]/m);
    assert.match(await w.cmd('e', 'FETCH 4 UID'), /^\* 4 FETCH \(UID 5\)/m);
    w.close();
  });

  it('imaplib: copy and MOVE work as a client calls them', async (t) => {
    if (!requireTools(t, '/usr/bin/python3')) return;
    const out = await python(`
m = imaplib.IMAP4_SSL('127.0.0.1', ${port}, ssl_context=ctx)
m.login('erin@example.com', 'pw-erin')
m.select('INBOX')
typ, data = m.copy('1', 'Drafts')
print(json.dumps({'copy': typ}))
typ, data = m._simple_command('MOVE', '1', 'Drafts')
print(json.dumps({'move': typ}))
typ, data = m.select('Drafts')
print(json.dumps({'drafts': data[0].decode()}))
m.logout()
`);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    assert.deepEqual(lines, [{ copy: 'OK' }, { move: 'OK' }, { drafts: '2' }]);
  });
});

describe('IMAP sessions on one mailbox', () => {
  it('NOOP tells a session of another session\'s EXPUNGE and flag change and of a new delivery, and renumbers', async () => {
    const a = await Wire.login(port, 'frank');
    const b = await Wire.login(port, 'frank');
    await a.cmd('s', 'SELECT INBOX');
    await b.cmd('s', 'SELECT INBOX');
    await b.cmd('a', 'STORE 2 +FLAGS.SILENT (\\Deleted)');
    await b.cmd('b', 'STORE 1 +FLAGS.SILENT (\\Flagged)');
    assert.match(await b.cmd('c', 'EXPUNGE'), /^\* 2 EXPUNGE\r\n/m);
    const f = await a.cmd('f', 'FETCH 2 UID');
    // No EXPUNGE during FETCH: the number stays valid (its data is gone, so none is returned);
    // the flag change may be told, and is.
    assert.match(f, /^\* 1 FETCH \(FLAGS \(\\Flagged \\Recent\)\)\r\nf OK/m);
    assert.doesNotMatch(f, /EXPUNGE/);
    await deliver('frank', SIMPLE, 9);
    const r = await a.cmd('n', 'NOOP');
    // a selected first, so it holds \Recent for the three left and for the new delivery it is told of.
    assert.match(r, /^\* 2 EXPUNGE\r\n\* 4 EXISTS\r\n\* 4 RECENT\r\nn OK/m);
    assert.match(await a.cmd('u', 'FETCH 1:* UID'), /^\* 1 FETCH \(UID 1\)\r\n\* 2 FETCH \(UID 3\)\r\n\* 3 FETCH \(UID 4\)\r\n\* 4 FETCH \(UID 5\)\r\nu OK/m);
    assert.doesNotMatch(await a.cmd('m', 'CHECK'), /EXISTS|EXPUNGE|FETCH/);
    a.close();
    b.close();
  });
});

describe('IMAP FETCH output bounds', () => {
  it('a slow reader: FETCH 1:* BODY[] of 6 MB is sent paced by the client and arrives whole', async () => {
    const big = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.from(('x'.repeat(998) + '\r\n').repeat(2000))]);
    for (let i = 1; i <= 3; i++) await deliver('gina', big, i);
    const w = await Wire.login(port, 'gina');
    await w.cmd('s', 'EXAMINE INBOX');
    w.sock.pause();
    w.sock.write('f FETCH 1:* BODY.PEEK[]\r\n');
    await new Promise((resolve) => setTimeout(resolve, 300));
    w.sock.resume();
    await w.until(/^f OK/m, 20_000);
    const lengths = [...w.text.matchAll(/BODY\[\] \{(\d+)\}/g)].map((m) => Number(m[1]));
    assert.deepEqual(lengths, [big.length, big.length, big.length]);
    assert.ok(w.buf.includes(big));
    w.close();
  });
});
