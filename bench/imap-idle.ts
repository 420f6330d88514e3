/*
 * bench/imap-idle: what 10,000 idling IMAP clients cost Petrel, and how
 * fast one delivery reaches all of them.
 *
 *   npx tsx bench/imap-idle.ts [--connections 10000] [--sources 4]
 *                              [--concurrency 200] [--timeout 600]
 *   npm run bench:imap-idle -- --connections 1000
 *
 * The server runs in a child process (this file with --child), so its
 * memory is measured alone: a SQLite store with fsync on, the blob store,
 * one account (idle@bench.test), the IMAP endpoint on 127.0.0.1 with
 * implicit TLS, and the group committer wrapped by publishDeliveries as
 * in `petrel serve`. The per-address and per-user-and-address session
 * limits are raised to the number of connections (the bench is one user
 * on a few addresses); everything else is the endpoint's default.
 * One shortcut: the password is verified for real once and that answer
 * reused for the same credentials, since N argon2 verifications would
 * take minutes on two cores and measure the hash, not IDLE. That
 * shortcut is why the child builds the endpoint itself rather than
 * running `petrel serve`, whose [imaps] role is otherwise the same.
 *
 * The parent opens N raw TLS connections (no IMAP library: 10,000 clients
 * must cost the bench little), spread over --sources loopback addresses
 * 127.0.0.1, 127.0.0.2, ... (ephemeral ports and per-address limits), at
 * most --concurrency logging in at once (TLS handshakes dominate set-up). Each one sends LOGIN, SELECT INBOX, IDLE and waits. Then the
 * child commits one message to INBOX, and the parent records when each
 * connection sees its `* 1 EXISTS`.
 *
 * Figures:
 *   set-up           time to have all N connections idling
 *   commit           the child's commit of the message (blob, fsync, transaction)
 *   all EXISTS       from the delivery request to the last connection's EXISTS (target < 5 s)
 *   p50 / p99        the same, per connection
 *   RSS idle         the server's VmRSS with N connections idling, and per connection
 *   peak RSS         the server's VmHWM at the end (target < 1 GiB)
 *
 * Both processes need N file descriptors: the npm script raises the soft
 * limit to the hard one, and the child does the same for itself.
 *
 * Security: test traffic to 127.0.0.x only; data in a temporary directory.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { Committer } from '../src/delivery/committer.js';
import { Directory } from '../src/directory/directory.js';
import { ImapEndpoint } from '../src/endpoints/imap/index.js';
import { MailboxEvents, publishDeliveries } from '../src/mailbox/events.js';
import { indexMessage } from '../src/mime/index.js';
import { FileBlobStore } from '../src/store/blob/files.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { AccountRecord } from '../src/store/types.js';
import { createLogger } from '../src/telemetry/logger.js';
import { openCertificateRegistry } from '../src/tls/index.js';

interface Options {
  connections: number;
  sources: number;
  concurrency: number;
  timeoutSeconds: number;
}

type ChildMessage =
  | { ready: true; port: number }
  | { delivered: true; commitMs: number }
  | { memory: true; rssKiB: number; hwmKiB: number; heapKiB: number; arrayBuffersKiB: number; listeners: number };

type ParentMessage = { deliver: true } | { memory: true } | { stop: true };

const USER = 'idle@bench.test';
const PASSWORD = 'bench-password';

function parseOptions(argv: string[]): Options {
  const o: Options = { connections: 10_000, sources: 4, concurrency: 200, timeoutSeconds: 600 };
  for (let i = 0; i < argv.length; i++) {
    const v = Number(argv[i + 1]);
    switch (argv[i]) {
      case '--connections': o.connections = v; i++; break;
      case '--sources': o.sources = v; i++; break;
      case '--concurrency': o.concurrency = v; i++; break;
      case '--timeout': o.timeoutSeconds = v; i++; break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  if (!(o.connections > 0 && o.sources > 0 && o.sources < 255 && o.concurrency > 0)) throw new Error('bad options');
  return o;
}

function memory(): { rssKiB: number; hwmKiB: number; heapKiB: number; arrayBuffersKiB: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  const m = process.memoryUsage();
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM'), heapKiB: Math.round(m.heapUsed / 1024), arrayBuffersKiB: Math.round(m.arrayBuffers / 1024) };
}

// ---- the server (child) -------------------------------------------------

async function child(connections: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-bench-idle-'));
  const logger = createLogger({ level: 'error', write: (line) => process.stderr.write(line + '\n') });
  const store = await openSqliteStore({ path: join(dir, 'db.sqlite'), fsync: true });
  const blobs = await FileBlobStore.open(join(dir, 'blobs'), { fsync: true });
  // 10,000 argon2 verifications would take minutes on two cores and measure the hash, not IDLE:
  // the password is checked for real once, and that answer is reused for the same credentials.
  class OnceVerifiedDirectory extends Directory {
    private verified = new Map<string, Promise<AccountRecord | undefined>>();
    override authenticate(user: string, password: string): Promise<AccountRecord | undefined> {
      const key = `${user}\0${password}`;
      let answer = this.verified.get(key);
      if (!answer) this.verified.set(key, (answer = super.authenticate(user, password)));
      return answer;
    }
  }
  const directory = new OnceVerifiedDirectory(store.directory, { subaddressSeparator: '+', postmaster: '' });
  await directory.addDomain('bench.test');
  const account = await directory.addUser(USER, PASSWORD);
  const certificates = await openCertificateRegistry(
    { certsDir: join(dir, 'le'), certificates: [], selfSignedDir: join(dir, 'ss'), hostname: 'mail.bench.test' },
    logger,
    { watch: false },
  );
  const events = new MailboxEvents();
  const committer = publishDeliveries(new Committer(blobs, store.deliveries, logger), events);
  const endpoint = new ImapEndpoint({
    security: 'implicit',
    directory,
    store,
    blobs,
    certificates,
    logger,
    events,
    maxConnectionsPerIp: connections,
    maxConnectionsPerUserIp: connections,
  });
  await endpoint.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  const send = (m: ChildMessage) => process.send!(m);
  process.on('message', (m: ParentMessage) => {
    if ('deliver' in m) {
      const bytes = Buffer.from(`From: bench@example.org\r\nTo: ${USER}\r\nSubject: wake up\r\nMessage-ID: <bench@example.org>\r\n\r\nHello, idlers.\r\n`);
      const start = performance.now();
      void committer
        .commit({ bytes, index: JSON.stringify(indexMessage(bytes)), request: { internalDate: Date.now(), messageId: null, queueId: 'bench1', local: [{ accountId: account.id, mailbox: 'INBOX', enforceQuota: false }] } })
        .then(() => send({ delivered: true, commitMs: performance.now() - start }));
    } else if ('memory' in m) {
      send({ memory: true, ...memory(), listeners: events.size });
    } else {
      void endpoint.close(1000).then(async () => {
        certificates.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
        process.exit(0);
      });
    }
  });
  send({ ready: true, port: endpoint.port() });
}

// ---- the clients (parent) -----------------------------------------------

class IdleClient {
  readyAt = 0;
  existsAt = 0;
  private text = '';
  private step = 0;
  private socket!: tls.TLSSocket;

  constructor(
    private readonly port: number,
    private readonly source: string,
  ) {}

  /** Resolves once the connection is idling. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const raw = connect({ host: '127.0.0.1', port: this.port, localAddress: this.source });
      raw.on('error', reject);
      this.socket = tls.connect({ socket: raw, rejectUnauthorized: false, servername: 'mail.bench.test' });
      this.socket.on('error', reject);
      this.socket.setEncoding('latin1');
      this.socket.on('data', (chunk: string) => {
        // Only the unfinished tail is kept: 10,000 transcripts would be the bench's own memory problem.
        this.text += chunk;
        const lines = this.text.split('\r\n');
        this.text = lines.pop()!;
        for (const line of lines) this.onLine(line, resolve, reject);
      });
    });
  }

  private onLine(line: string, ready: () => void, fail: (e: Error) => void): void {
    if (line.startsWith('* BYE')) return fail(new Error(`server said ${line}`));
    switch (this.step) {
      case 0:
        if (line.startsWith('* OK')) {
          this.step = 1;
          this.socket.write(`a LOGIN ${USER} ${PASSWORD}\r\n`);
        }
        return;
      case 1:
        if (line.startsWith('a ')) {
          if (!line.startsWith('a OK')) return fail(new Error(line));
          this.step = 2;
          this.socket.write('b SELECT INBOX\r\n');
        }
        return;
      case 2:
        if (line.startsWith('b ')) {
          if (!line.startsWith('b OK')) return fail(new Error(line));
          this.step = 3;
          this.socket.write('c IDLE\r\n');
        }
        return;
      case 3:
        if (line.startsWith('+ ')) {
          this.step = 4;
          this.readyAt = Date.now();
          ready();
        }
        return;
      case 4:
        if (line === '* 1 EXISTS') {
          this.existsAt = performance.now();
          this.step = 5;
        }
        return;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Sends m (unless null) and resolves with the first reply want accepts. */
function request(c: ChildProcess, m: ParentMessage | null, want: (r: ChildMessage) => boolean): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const on = (r: ChildMessage) => {
      if (!want(r)) return;
      c.off('message', on);
      c.off('exit', gone);
      resolve(r);
    };
    const gone = (code: number | null) => reject(new Error(`server exited with code ${code}`));
    c.on('message', on);
    c.once('exit', gone);
    if (m) c.send(m);
  });
}

const percentile = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

async function parent(o: Options): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const server = fork(self, ['--child', String(o.connections)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = (await request(server, null, (r) => 'ready' in r)) as Extract<ChildMessage, { ready: true }>;
  const base = (await request(server, { memory: true }, (r) => 'memory' in r)) as Extract<ChildMessage, { memory: true }>;
  const deadline = setTimeout(() => {
    console.error(`timeout after ${o.timeoutSeconds} s`);
    server.kill('SIGKILL');
    process.exit(1);
  }, o.timeoutSeconds * 1000);

  console.log(`imap-idle: ${o.connections} connections from ${o.sources} source addresses, ${o.concurrency} logging in at once`);
  const clients = Array.from({ length: o.connections }, (_, i) => new IdleClient(ready.port, `127.0.0.${1 + (i % o.sources)}`));
  const setupStart = performance.now();
  let next = 0;
  let failures = 0;
  let firstError = '';
  await Promise.all(
    Array.from({ length: Math.min(o.concurrency, o.connections) }, async () => {
      while (next < clients.length) {
        const c = clients[next++]!;
        try {
          await c.open();
        } catch (err) {
          failures++;
          firstError ||= err instanceof Error ? err.message : String(err);
        }
      }
    }),
  );
  const setupMs = performance.now() - setupStart;
  if (failures) console.log(`  ${failures} connections failed (first: ${firstError}); the figures count the others`);
  const idling = clients.filter((c) => c.readyAt > 0);
  // Let the last IDLE continuations settle before measuring memory.
  await new Promise((r) => setTimeout(r, 1000));
  const idle = (await request(server, { memory: true }, (r) => 'memory' in r)) as Extract<ChildMessage, { memory: true }>;

  const t0 = performance.now();
  const delivered = (await request(server, { deliver: true }, (r) => 'delivered' in r)) as Extract<ChildMessage, { delivered: true }>;
  const waitUntil = Date.now() + 60_000;
  while (idling.some((c) => c.existsAt === 0) && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 20));
  const got = idling.filter((c) => c.existsAt > 0).map((c) => c.existsAt - t0).sort((a, b) => a - b);
  const end = (await request(server, { memory: true }, (r) => 'memory' in r)) as Extract<ChildMessage, { memory: true }>;
  clearTimeout(deadline);

  const perConnection = ((idle.rssKiB - base.rssKiB) / Math.max(1, idling.length)).toFixed(1);
  console.log(`  set-up        ${(setupMs / 1000).toFixed(1)} s for ${idling.length} idling (${idle.listeners} feed listeners)`);
  console.log(`  commit        ${delivered.commitMs.toFixed(1)} ms`);
  console.log(`  EXISTS        ${got.length}/${idling.length} connections; all within ${got.length ? (got[got.length - 1]! / 1000).toFixed(2) : '-'} s (target < 5 s)`);
  if (got.length) console.log(`  per client    p50 ${percentile(got, 50).toFixed(0)} ms, p99 ${percentile(got, 99).toFixed(0)} ms`);
  console.log(`  RSS idle      ${mib(idle.rssKiB)} (${mib(base.rssKiB)} before the clients; ${perConnection} KiB per connection)`);
  console.log(`  JS heap       ${mib(idle.heapKiB)} used, ${mib(idle.arrayBuffersKiB)} in buffers, with N idling (${mib(base.heapKiB)} / ${mib(base.arrayBuffersKiB)} before)`);
  console.log(`  peak RSS      ${mib(end.hwmKiB)} (target < 1024 MiB)`);

  for (const c of clients) c.close();
  server.send({ stop: true } satisfies ParentMessage);
  await new Promise((r) => server.once('exit', r));
  const ok = got.length === idling.length && idling.length === o.connections && got[got.length - 1]! < 5000 && end.hwmKiB < 1024 * 1024;
  process.exit(ok ? 0 : 1);
}

if (process.argv[2] === '--child') {
  void child(Number(process.argv[3])).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  void parent(parseOptions(process.argv.slice(2))).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
