/*
 * A POP3 test fixture: a real SQLite store and blob store in a temp dir, a
 * directory with users `<name>@example.com` / `pw-<name>`, a self-signed
 * certificate registry, and both POP3 endpoints (110-style STLS and
 * 995-style implicit TLS) on 127.0.0.1 sharing one lock table; messages are
 * put in through the store's delivery commit, as the committer does. Also
 * Pop3Wire, a raw client that can upgrade to TLS mid-stream.
 *
 * Exports: startPop3, Pop3Fixture, Pop3Wire.
 * Security: test only; 127.0.0.1; keys in a temp dir removed at close().
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { Directory } from '../../src/directory/directory.js';
import { MaildropLocks, Pop3Endpoint } from '../../src/endpoints/pop3/index.js';
import type { SessionTimeouts } from '../../src/endpoints/pop3/session.js';
import type { BlobReader } from '../../src/mailbox/index.js';
import { indexMessage } from '../../src/mime/index.js';
import { FileBlobStore } from '../../src/store/blob/files.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { MetadataStore } from '../../src/store/types.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { openCertificateRegistry, type CertificateRegistry } from '../../src/tls/index.js';

export interface Pop3Fixture {
  dir: string;
  store: MetadataStore;
  blobs: FileBlobStore;
  directory: Directory;
  registry: CertificateRegistry;
  logger: ReturnType<typeof createMemoryLogger>;
  plain: Pop3Endpoint;
  secure: Pop3Endpoint;
  plainPort: number;
  tlsPort: number;
  /** Delivers bytes to the user's INBOX through deliveries.commit; returns the UID. */
  deliver(user: string, bytes: Buffer): Promise<number>;
  close(): Promise<void>;
}

let deliveries = 0;

export interface Pop3FixtureOptions {
  timeouts?: Partial<SessionTimeouts>;
  /** Wraps the real blob store the endpoints read from (a test counting reads). */
  wrapBlobs?: (blobs: BlobReader) => BlobReader;
}

export async function startPop3(users: string[], options: Pop3FixtureOptions = {}): Promise<Pop3Fixture> {
  const { timeouts } = options;
  const dir = mkdtempSync(join(tmpdir(), 'petrel-pop3-'));
  const logger = createMemoryLogger('debug');
  const store = await openSqliteStore({ path: join(dir, 'db.sqlite'), fsync: false });
  const blobs = await FileBlobStore.open(join(dir, 'blobs'), { fsync: false });
  const directory = new Directory(store.directory, { subaddressSeparator: '+', postmaster: '' });
  await directory.addDomain('example.com');
  for (const u of users) await directory.addUser(`${u}@example.com`, `pw-${u}`);
  const registry = await openCertificateRegistry({ certsDir: join(dir, 'le'), certificates: [], selfSignedDir: join(dir, 'ss'), hostname: 'mail.example.com' }, logger, { watch: false });
  const locks = new MaildropLocks();
  const reader = options.wrapBlobs ? options.wrapBlobs(blobs) : blobs;
  const common = { directory, store, blobs: reader, certificates: registry, logger, locks, timeouts };
  const plain = new Pop3Endpoint({ ...common, security: 'starttls' });
  const secure = new Pop3Endpoint({ ...common, security: 'implicit' });
  await plain.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  await secure.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  return {
    dir,
    store,
    blobs,
    directory,
    registry,
    logger,
    plain,
    secure,
    plainPort: plain.port(),
    tlsPort: secure.port(),
    async deliver(user, bytes) {
      const account = (await store.directory.getAccount('example.com', user))!;
      const hash = await blobs.put(bytes);
      const n = ++deliveries;
      const [r] = await store.deliveries.commit([
        {
          blob: { hash, size: bytes.length, index: JSON.stringify(indexMessage(bytes)) },
          internalDate: Date.UTC(2026, 10, 1, 10, 0, n % 60),
          messageId: null,
          queueId: `q-${user}-${n}`,
          local: [{ accountId: account.id, mailbox: 'INBOX', enforceQuota: false }],
        },
      ]);
      const out = r!.local[0]!;
      assert.ok(out.ok);
      return out.uid;
    },
    async close() {
      await plain.close(200);
      await secure.close(200);
      registry.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A raw POP3 client: write bytes, wait for a pattern in what came back. */
export class Pop3Wire {
  private chunks: Buffer[] = [];
  closed = false;
  private waiters: Array<() => void> = [];

  constructor(public sock: Socket) {
    this.attach(sock);
  }

  attach(sock: Socket): void {
    this.sock = sock;
    sock.on('data', (d: Buffer) => {
      this.chunks.push(d);
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('error', () => {});
  }

  /** Everything received since the last reset (chunks are joined only when asked). */
  get buf(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  set buf(value: Buffer) {
    this.chunks = [value];
  }

  get text(): string {
    return this.buf.toString('latin1');
  }

  static async open(port: number, secure: boolean, alpn?: string[]): Promise<Pop3Wire> {
    const sock = secure ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: alpn }) : connect(port, '127.0.0.1');
    const w = new Pop3Wire(sock);
    await w.until(/^\+OK .*\r\n/);
    w.buf = Buffer.alloc(0);
    return w;
  }

  /** Opens on the implicit-TLS port and logs in with USER/PASS. */
  static async login(port: number, user: string): Promise<Pop3Wire> {
    const w = await Pop3Wire.open(port, true);
    assert.match(await w.cmd(`USER ${user}@example.com`), /^\+OK/);
    assert.match(await w.cmd(`PASS pw-${user}`), /^\+OK/);
    return w;
  }

  async until(re: RegExp, timeoutMs = 5000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (re.test(this.text)) return this.text;
      if (this.closed) throw new Error(`closed before ${re}; got:\n${this.text.slice(0, 2000)}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${re}; got:\n${this.text.slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves when the server has closed the connection. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > end) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  send(s: string | Buffer): void {
    this.sock.write(s);
  }

  /** Sends one command and returns its single-line response. */
  async cmd(line: string): Promise<string> {
    this.buf = Buffer.alloc(0);
    this.send(`${line}\r\n`);
    await this.until(/^(\+OK|-ERR|\+ )[^\r\n]*\r\n/);
    return this.text;
  }

  /** Sends one command whose +OK answer is multi-line and returns everything up to the terminator. */
  async multi(line: string): Promise<string> {
    this.buf = Buffer.alloc(0);
    this.send(`${line}\r\n`);
    await this.until(/^-ERR[^\r\n]*\r\n|^\+OK[^]*?\r\n\.\r\n/);
    return this.text;
  }

  async startTls(): Promise<void> {
    assert.match(await this.cmd('STLS'), /^\+OK/);
    const secure = tls.connect({ socket: this.sock, rejectUnauthorized: false });
    this.sock.removeAllListeners('data');
    this.buf = Buffer.alloc(0);
    this.attach(secure);
    await new Promise((resolve) => secure.once('secureConnect', resolve));
  }

  close(): void {
    this.sock.destroy();
  }
}
