/*
 * FETCH of header fields reads only the message's header from the blob
 * store, over a real TLS IMAP session on 127.0.0.1 with real message
 * files: the bytes returned are the same as from the whole message, the
 * reads are head() calls of exactly the header's length, and any item
 * that needs more (TEXT, BODY[], a part's header) still reads the whole
 * message. bench/imap-load found whole 2-50 KiB files read to list 25
 * messages' From, To, Subject and Date.
 *
 * Security: test only; 127.0.0.1; a self-signed certificate in a temp dir.
 * Standards: RFC 9051 section 6.4.5 (BODY[HEADER.FIELDS], RFC822.HEADER).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Directory } from '../../src/directory/directory.js';
import { ImapEndpoint } from '../../src/endpoints/imap/index.js';
import { indexMessage } from '../../src/mime/index.js';
import { FileBlobStore } from '../../src/store/blob/files.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { MetadataStore } from '../../src/store/types.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { openCertificateRegistry, type CertificateRegistry } from '../../src/tls/index.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-imap-header-read-'));
let store: MetadataStore;
let blobs: FileBlobStore;
let registry: CertificateRegistry;
let endpoint: ImapEndpoint;
let port: number;
const logger = createMemoryLogger('warn');

const HEADER = 'From: Carol <carol@example.org>\r\nTo: bob@example.com\r\nSubject: Report\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n';
const BODY = ['--b1', 'Content-Type: text/plain', '', 'x'.repeat(20_000), '--b1', 'Content-Type: text/html', '', '<p>hi</p>', '--b1--', ''].join('\r\n');
const MESSAGE = Buffer.from(HEADER + BODY);

/** What the session asked of the blob store: whole reads and head reads with their lengths. */
const calls: string[] = [];

before(async () => {
  store = await openSqliteStore({ path: join(dir, 'db.sqlite'), fsync: false });
  blobs = await FileBlobStore.open(join(dir, 'blobs'), { fsync: false });
  const directory = new Directory(store.directory, { subaddressSeparator: '+', postmaster: '' });
  await directory.addDomain('example.com');
  await directory.addUser('bob@example.com', 'pw-bob');
  registry = await openCertificateRegistry({ certsDir: join(dir, 'le'), certificates: [], selfSignedDir: join(dir, 'ss'), hostname: 'mail.example.com' }, logger, { watch: false });
  // The real blob store, with each call recorded on the way through.
  const recording = {
    get: (hash: string) => (calls.push('get'), blobs.get(hash)),
    head: (hash: string, length: number) => (calls.push(`head ${length}`), blobs.head(hash, length)),
  };
  endpoint = new ImapEndpoint({ directory, store, blobs: recording, certificates: registry, logger, security: 'implicit' });
  await endpoint.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  port = endpoint.port();
  const account = (await store.directory.getAccount('example.com', 'bob'))!;
  const hash = await blobs.put(MESSAGE);
  for (let n = 1; n <= 3; n++) {
    await store.deliveries.commit([
      { blob: { hash, size: MESSAGE.length, index: JSON.stringify(indexMessage(MESSAGE)) }, internalDate: Date.UTC(2026, 2, 2, 10, 0, n), messageId: null, queueId: `q-${n}`, local: [{ accountId: account.id, mailbox: 'INBOX', enforceQuota: false }] },
    ]);
  }
  // Messages 4..80: more than one read-ahead window (FETCH_HEADER_READ_AHEAD), headers of different lengths.
  for (let n = 4; n <= 80; n++) {
    const bytes = Buffer.from(`Subject: number ${n}\r\nX-Pad: ${'p'.repeat(n * 7)}\r\n\r\nbody ${n}\r\n`);
    const h = await blobs.put(bytes);
    await store.deliveries.commit([
      { blob: { hash: h, size: bytes.length, index: JSON.stringify(indexMessage(bytes)) }, internalDate: Date.UTC(2026, 2, 2, 10, 0, n), messageId: null, queueId: `q-${n}`, local: [{ accountId: account.id, mailbox: 'INBOX', enforceQuota: false }] },
    ]);
  }
});

beforeEach(() => {
  calls.length = 0;
});

after(async () => {
  await endpoint.close(500);
  registry.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One logged-in, INBOX-selected session; cmd resolves with the bytes of a command's responses. */
async function session(): Promise<{ cmd(tag: string, line: string): Promise<string>; close(): void }> {
  const sock = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  let buf = '';
  let wake: (() => void) | undefined;
  sock.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    wake?.();
  });
  const until = async (re: RegExp) => {
    const end = Date.now() + 10_000;
    while (!re.test(buf)) {
      if (Date.now() > end) throw new Error(`timeout waiting for ${re}; got ${buf.slice(-300)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        wake = () => (clearTimeout(t), r());
      });
    }
  };
  const cmd = async (tag: string, line: string) => {
    buf = '';
    sock.write(`${tag} ${line}\r\n`);
    await until(new RegExp(`^${tag} (OK|NO|BAD)[^\\r]*\\r\\n`, 'm'));
    return buf;
  };
  await until(/^\* OK/m);
  assert.match(await cmd('L', 'LOGIN bob@example.com pw-bob'), /^L OK/m);
  assert.match(await cmd('S', 'SELECT INBOX'), /^S OK/m);
  return { cmd, close: () => sock.destroy() };
}

describe('FETCH header fields read only the header', () => {
  it('BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)] of 3 messages: the right fields, three head reads of the header length', async () => {
    const s = await session();
    try {
      const out = await s.cmd('F', 'FETCH 1:3 (UID BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])');
      const fields = 'From: Carol <carol@example.org>\r\nSubject: Report\r\n\r\n';
      for (let n = 1; n <= 3; n++) assert.ok(out.includes(`* ${n} FETCH (UID ${n} BODY[HEADER.FIELDS (FROM SUBJECT)] {${fields.length}}\r\n${fields})`), out);
      assert.deepEqual(calls, [`head ${HEADER.length}`, `head ${HEADER.length}`, `head ${HEADER.length}`]);
    } finally {
      s.close();
    }
  });

  it('BODY.PEEK[HEADER] and RFC822.HEADER: the whole header, byte for byte, from one head read', async () => {
    const s = await session();
    try {
      const out = await s.cmd('F', 'FETCH 2 (BODY.PEEK[HEADER] RFC822.HEADER)');
      assert.ok(out.includes(`BODY[HEADER] {${HEADER.length}}\r\n${HEADER} RFC822.HEADER {${HEADER.length}}\r\n${HEADER})`), out);
      assert.deepEqual(calls, [`head ${HEADER.length}`]);
    } finally {
      s.close();
    }
  });

  it('80 messages, past the read-ahead window: each gets its own Subject, read by one head of its own header length', async () => {
    const s = await session();
    try {
      const out = await s.cmd('F', 'FETCH 4:80 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
      for (let n = 4; n <= 80; n++) {
        const field = `Subject: number ${n}\r\n\r\n`;
        assert.ok(out.includes(`* ${n} FETCH (BODY[HEADER.FIELDS (SUBJECT)] {${field.length}}\r\n${field})`), `message ${n}`);
      }
      assert.deepEqual(calls, Array.from({ length: 77 }, (_, i) => `head ${`Subject: number ${i + 4}\r\nX-Pad: ${'p'.repeat((i + 4) * 7)}\r\n\r\n`.length}`));
    } finally {
      s.close();
    }
  });

  it('anything beyond the header (TEXT, BODY[], a part\'s MIME header, a part) reads the whole message', async () => {
    const s = await session();
    try {
      for (const items of ['BODY.PEEK[HEADER.FIELDS (FROM)] BODY.PEEK[TEXT]', 'BODY.PEEK[]', 'BODY.PEEK[2.MIME]', 'BODY.PEEK[2]']) {
        calls.length = 0;
        assert.match(await s.cmd('F', `FETCH 1 (${items})`), /^F OK/m);
        assert.deepEqual(calls, ['get'], items);
      }
      assert.ok((await s.cmd('F', 'FETCH 1 (BODY.PEEK[2])')).includes('BODY[2] {9}\r\n<p>hi</p>)'));
    } finally {
      s.close();
    }
  });
});
