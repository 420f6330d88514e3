/*
 * A real IMAP endpoint for end-to-end tests: SQLite store and file blobs in
 * a temp directory, the in-thread group Committer on its own SQLite
 * connection (as the commit worker has), implicit TLS on 127.0.0.1 with a
 * self-signed certificate, and a raw TLS client (Wire) that writes bytes
 * and waits for patterns.
 *
 * Security: test only; 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { Committer } from '../../src/delivery/committer.js';
import { Directory } from '../../src/directory/directory.js';
import { ImapEndpoint } from '../../src/endpoints/imap/index.js';
import { FileBlobStore } from '../../src/store/blob/files.js';
import { SqlDeliveryStore } from '../../src/store/sql/deliveries.js';
import { SqliteDriver, openSqliteStore } from '../../src/store/sqlite/index.js';
import type { DeliveryStore, MetadataStore } from '../../src/store/types.js';
import { createMemoryLogger } from '../../src/telemetry/logger.js';
import { openCertificateRegistry } from '../../src/tls/index.js';
import { ImapWire } from './imap-wire.js';

export interface ImapHarness {
  dir: string;
  dbPath: string;
  store: MetadataStore;
  directory: Directory;
  blobs: FileBlobStore;
  committer: Committer;
  port: number;
  login(user: string): Promise<Wire>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  users: string[];
  /** Per-user quota in bytes (0: none). */
  quota?: Record<string, number>;
  fsync?: boolean;
  /** Wraps the committer's delivery store (a test may slow the real commit down). */
  wrapDeliveries?: (d: DeliveryStore) => DeliveryStore;
}

export async function startImap(options: HarnessOptions): Promise<ImapHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-imap-h-'));
  const dbPath = join(dir, 'db.sqlite');
  const fsync = options.fsync ?? false;
  const logger = createMemoryLogger('debug');
  const store = await openSqliteStore({ path: dbPath, fsync });
  const blobs = await FileBlobStore.open(join(dir, 'blobs'), { fsync });
  const commitDriver = new SqliteDriver({ path: dbPath, fsync });
  const deliveries = new SqlDeliveryStore(commitDriver, Date.now);
  const committer = new Committer(blobs, options.wrapDeliveries ? options.wrapDeliveries(deliveries) : deliveries, logger);
  const directory = new Directory(store.directory, { subaddressSeparator: '+', postmaster: '' });
  await directory.addDomain('example.com');
  for (const u of options.users) await directory.addUser(`${u}@example.com`, `pw-${u}`, options.quota?.[u] ?? 0);
  const registry = await openCertificateRegistry({ certsDir: join(dir, 'le'), certificates: [], selfSignedDir: join(dir, 'ss'), hostname: 'mail.example.com' }, logger, { watch: false });
  const endpoint = new ImapEndpoint({ directory, store, blobs, committer, certificates: registry, logger, security: 'implicit' });
  await endpoint.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  const port = endpoint.port();
  return {
    dir,
    dbPath,
    store,
    directory,
    blobs,
    committer,
    port,
    login: (user) => Wire.login(port, user),
    async close() {
      await endpoint.close(500);
      await committer.idle();
      registry.close();
      blobs.close();
      await commitDriver.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A raw TLS client: write bytes, wait for a pattern in what came back. */
/** The raw client (support/imap-wire.ts) with the helpers these tests use: TLS connect and login, raw bytes, literals. */
export class Wire extends ImapWire {
  static async connect(port: number): Promise<Wire> {
    const w = new Wire(tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }));
    await w.until(/^\* OK .*\r\n/m);
    return w;
  }
  static async login(port: number, user: string): Promise<Wire> {
    const w = await Wire.connect(port);
    assert.match(await w.cmd('L', `LOGIN ${user}@example.com pw-${user}`), /^L OK/m);
    return w;
  }
  /** Sends raw bytes (which end one command) and waits for the tagged reply of tag. */
  async raw(tag: string, bytes: Buffer | string): Promise<string> {
    const start = this.buf.length;
    this.sock.write(bytes);
    await this.until(new RegExp(`^${tag} (OK|NO|BAD)[^\\r]*\\r\\n`, 'm'), 10_000, start);
    return this.buf.subarray(start).toString(this.encoding);
  }
  override cmd(tag: string, line: string): Promise<string> {
    return this.raw(tag, `${tag} ${line}\r\n`);
  }
  /** A command with synchronising literals: sends each part after the server's `+`. */
  async withLiterals(tag: string, parts: (string | Buffer)[]): Promise<string> {
    const start = this.buf.length;
    for (let i = 0; i < parts.length; i++) {
      const before = this.buf.length;
      this.sock.write(i === 0 ? Buffer.concat([Buffer.from(`${tag} `), Buffer.from(parts[i]!)]) : parts[i]!);
      if (i < parts.length - 1) await this.until(/^(\+ [^\r]*|\S+ (NO|BAD) [^\r]*)\r\n/m, 5000, before);
      if (new RegExp(`^${tag} (NO|BAD)`, 'm').test(this.buf.subarray(start).toString('latin1'))) break;
    }
    await this.until(new RegExp(`^${tag} (OK|NO|BAD)[^\\r]*\\r\\n`, 'm'), 10_000, start);
    return this.buf.subarray(start).toString('latin1');
  }
}
