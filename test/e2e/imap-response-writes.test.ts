/*
 * How the IMAP session writes its responses, over a real TLS socket on
 * 127.0.0.1: a command's untagged responses leave with its tagged reply in
 * one write (one TLS record, so one chunk at the client), and a run of
 * commands is not slowed by Nagle's algorithm waiting for the client's
 * delayed ACK (40 ms a command on Linux), the regression bench/imap-load
 * found: every SELECT, STORE and FETCH of several messages took 40 ms.
 *
 * Security: test only; 127.0.0.1; a self-signed certificate in a temp dir.
 * Standards: RFC 9051 (responses), RFC 896 / RFC 1122 4.2.3.2 (Nagle,
 * delayed ACK).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
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

const dir = mkdtempSync(join(tmpdir(), 'petrel-imap-writes-'));
let store: MetadataStore;
let blobs: FileBlobStore;
let registry: CertificateRegistry;
let endpoint: ImapEndpoint;
let port: number;
const logger = createMemoryLogger('warn');
const MESSAGES = 30;

function message(n: number, bodyBytes: number): Buffer {
  const line = `Line ${n} of a test message, long enough to fill a body quickly.\r\n`;
  return Buffer.from(`From: a${n}@example.org\r\nTo: bob@example.com\r\nSubject: Message ${n}\r\n\r\n${line.repeat(Math.ceil(bodyBytes / line.length))}`);
}

before(async () => {
  store = await openSqliteStore({ path: join(dir, 'db.sqlite'), fsync: false });
  blobs = await FileBlobStore.open(join(dir, 'blobs'), { fsync: false });
  const directory = new Directory(store.directory, { subaddressSeparator: '+', postmaster: '' });
  await directory.addDomain('example.com');
  await directory.addUser('bob@example.com', 'pw-bob');
  registry = await openCertificateRegistry({ certsDir: join(dir, 'le'), certificates: [], selfSignedDir: join(dir, 'ss'), hostname: 'mail.example.com' }, logger, { watch: false });
  endpoint = new ImapEndpoint({ directory, store, blobs, certificates: registry, logger, security: 'implicit' });
  await endpoint.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  port = endpoint.port();
  const account = (await store.directory.getAccount('example.com', 'bob'))!;
  for (let n = 1; n <= MESSAGES; n++) {
    // The last message is large: its FETCH BODY[] is written in several pieces.
    const bytes = message(n, n === MESSAGES ? 300_000 : 2000);
    const hash = await blobs.put(bytes);
    await store.deliveries.commit([
      {
        blob: { hash, size: bytes.length, index: JSON.stringify(indexMessage(bytes)) },
        internalDate: Date.UTC(2026, 2, 2, 10, 0, n),
        messageId: null,
        queueId: `q-${n}`,
        local: [{ accountId: account.id, mailbox: 'INBOX', enforceQuota: false }],
      },
    ]);
  }
});

after(async () => {
  await endpoint.close(500);
  registry.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A TLS client that keeps each decrypted chunk as it arrived (one per TLS record). */
class Client {
  chunks: Buffer[] = [];
  private waiter: (() => void) | undefined;
  constructor(readonly sock: tls.TLSSocket) {
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.waiter?.();
    });
    sock.on('error', () => {});
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }
  static async open(): Promise<Client> {
    const c = new Client(tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }));
    await c.until(/^\* OK/m);
    assert.match(await c.cmd('L', 'LOGIN bob@example.com pw-bob'), /^L OK/m);
    return c;
  }
  async until(re: RegExp): Promise<void> {
    const end = Date.now() + 10_000;
    while (!re.test(this.text)) {
      if (Date.now() > end) throw new Error(`timeout waiting for ${re}; got ${this.text.slice(-500)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.waiter = () => (clearTimeout(t), resolve());
      });
    }
  }
  /** Sends a command; resolves with the response text once the tagged reply is in. */
  async cmd(tag: string, line: string): Promise<string> {
    this.chunks = [];
    this.sock.write(`${tag} ${line}\r\n`);
    await this.until(new RegExp(`^${tag} (OK|NO|BAD)[^\\r]*\\r\\n`, 'm'));
    return this.text;
  }
}

describe('IMAP response writes', () => {
  it('FETCH 1:25 (FLAGS): 25 untagged responses and the tagged OK arrive in one TLS record', async () => {
    const c = await Client.open();
    try {
      await c.cmd('S', 'SELECT INBOX');
      const text = await c.cmd('F', 'FETCH 1:25 (FLAGS)');
      assert.equal(text.match(/^\* \d+ FETCH/gm)?.length, 25);
      assert.equal(c.chunks.length, 1, `responses came in ${c.chunks.length} records`);
    } finally {
      c.sock.destroy();
    }
  });

  it('SELECT: its untagged responses and the tagged OK arrive in one TLS record', async () => {
    const c = await Client.open();
    try {
      const text = await c.cmd('S', 'SELECT INBOX');
      assert.match(text, new RegExp(`^\\* ${MESSAGES} EXISTS`, 'm'));
      assert.equal(c.chunks.length, 1, `responses came in ${c.chunks.length} records`);
    } finally {
      c.sock.destroy();
    }
  });

  it('Nagle and delayed ACK: 40 commands of several responses, a large FETCH among them, take far less than 40 ms each', async () => {
    const c = await Client.open();
    try {
      await c.cmd('S', 'SELECT INBOX');
      // Warm the code paths first: only the steady state is timed.
      for (let i = 0; i < 5; i++) await c.cmd(`W${i}`, 'FETCH 1:10 (FLAGS UID)');
      const t0 = performance.now();
      for (let i = 0; i < 40; i++) {
        if (i % 4 === 0) assert.match(await c.cmd(`B${i}`, `FETCH ${MESSAGES} BODY.PEEK[]`), /BODY\[\] \{\d{6}\}/);
        else await c.cmd(`T${i}`, i % 2 ? 'STORE 1:5 +FLAGS (\\Flagged)' : 'FETCH 1:10 (FLAGS UID)');
      }
      const ms = performance.now() - t0;
      // A stall is at least 40 ms a command (1,600 ms in all); without one
      // this takes some tens of ms, so 1,100 ms leaves room for a loaded machine.
      assert.ok(ms < 1100, `40 commands took ${ms.toFixed(0)} ms`);
    } finally {
      c.sock.destroy();
    }
  });
});
