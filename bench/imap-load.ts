/*
 * bench/imap-load: IMAP commands per second from a population of busy
 * clients, each on its own mailbox, against a real `petrel serve`.
 *
 *   npx tsx bench/imap-load.ts [--clients 10,50] [--seconds 30] [--warmup 3]
 *                              [--messages 200] [--template DIR]
 *                              [--weights FETCH-HEADERS=25,LOGOUT=0,...]
 *                              [--cpu-prof DIR]
 *   npm run bench:imap-load
 *
 * Set-up, once: a `petrel serve` with fsync off fills the template data
 * directory: one domain (bench.test), one account per client (c1 .. cN,
 * N the largest --clients), and --messages messages in each INBOX,
 * delivered over LMTP (8 connections) as an MTA would: log-uniform sizes
 * from 2 to 50 KiB, plain text, multipart/alternative and, from 8 KiB,
 * multipart/mixed with a base64 attachment (bench/lib/corpus.ts).
 *
 * Each configuration copies the template afresh and starts its own
 * `petrel serve` with fsync on (APPEND answers OK after its fsyncs).
 * A probe connection first tries every operation once: a command the
 * server answers with BAD "not implemented"/"Unknown command" is reported
 * as unsupported and left out of the mix (it is not an error, and it comes
 * back into the mix by itself once the server implements it).
 *
 * Load: C clients, each a loop on one connection (implicit TLS) over its
 * own account: connect, LOGIN, SELECT INBOX, then operations drawn at
 * random with these weights until the run ends:
 *
 *   FETCH-HEADERS  25  FETCH s:s+24 (UID FLAGS RFC822.SIZE
 *                      BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])
 *   FETCH-BODY     20  FETCH n BODY[] (a whole message, sets \Seen)
 *   STORE          20  STORE n +FLAGS (\Seen) or -FLAGS (\Seen), half each
 *   SELECT          8  SELECT INBOX again (as a client switching folders)
 *   APPEND          6  APPEND INBOX (\Seen) of a 2-4 KiB message (LITERAL+)
 *   SEARCH-UNSEEN   6  UID SEARCH UNSEEN
 *   SEARCH-TEXT     4  UID SEARCH TEXT kittiwake (about 1 % of messages)
 *   EXPUNGE         5  STORE +FLAGS (\Deleted) on the newest message (timed
 *                      as a STORE), then EXPUNGE; only while the mailbox
 *                      holds more than 90 % of its first count, so with
 *                      APPEND it removes what the client appended
 *   LOGOUT          1  LOGOUT, then connect, LOGIN and SELECT again
 *
 * Clients connect from 127.0.0.2, .3, ... (ten per address) to the server
 * on 127.0.0.1, as a population arrives from many addresses; the server
 * allows 20 connections per address (endpoints/imap/limits.ts).
 *
 * One command at a time per connection, through the lean client in
 * bench/lib/imap-wire.ts; its CPU per operation is printed next to the
 * server's, so it shows when the client, on the same two cores, weighs.
 * The first --warmup seconds run the same load unmeasured.
 *
 * Figures, per configuration and operation: count, operations per second,
 * p50 and p99 latency (ms, from writing the command to reading its tagged
 * reply), errors (NO, BAD, wrong response, timeout, closed connection).
 * The total counts IMAP commands (CONNECT, the TCP and TLS set-up with the
 * greeting, is shown but not counted). Server CPU ms/op from
 * /proc/<pid>/stat, peak RSS from VmHWM.
 *
 * --cpu-prof DIR writes a V8 CPU profile of each measured server process
 * (node --cpu-prof; open it in Chrome DevTools or read it with
 * scripts like bench/lib/profile-top.ts).
 *
 * Security: test traffic to 127.0.0.1 only; data in a temporary directory.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeMessage, messageSize, mulberry32, SEARCH_WORD, type Rng } from './lib/corpus.js';
import { existsCount, expungeCount, ImapClient, type CommandResult } from './lib/imap-wire.js';
import { cpuMs, deliverLmtp, peakRssMb, percentile } from './lib/populate.js';
import type { PetrelProcess } from '../test/support/petrel.js';
import { addUsers, BENCH_DOMAIN, BENCH_PASSWORD, startImapPetrel } from './lib/server.js';

const OPERATIONS = ['FETCH-HEADERS', 'FETCH-BODY', 'STORE', 'SELECT', 'APPEND', 'SEARCH-UNSEEN', 'SEARCH-TEXT', 'EXPUNGE', 'LOGOUT'] as const;
type Operation = (typeof OPERATIONS)[number];
/** What the table reports: the operations plus the steps of a (re)connection. */
type Measured = Operation | 'CONNECT' | 'LOGIN';

const DEFAULT_WEIGHTS: Record<Operation, number> = {
  'FETCH-HEADERS': 25,
  'FETCH-BODY': 20,
  STORE: 20,
  SELECT: 8,
  APPEND: 6,
  'SEARCH-UNSEEN': 6,
  'SEARCH-TEXT': 4,
  EXPUNGE: 5,
  LOGOUT: 1,
};
const HEADER_RANGE = 25;

interface Options {
  clients: number[];
  seconds: number;
  warmup: number;
  messages: number;
  template?: string;
  weights: Record<Operation, number>;
  /** Write a CPU profile of each measured server process here. */
  cpuProf?: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { clients: [10, 50], seconds: 30, warmup: 3, messages: 200, weights: { ...DEFAULT_WEIGHTS } };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const int = (v: string, min = 1) => {
      const x = Number(v);
      if (!Number.isInteger(x) || x < min) throw new Error(`${arg}: "${v}" is not an integer >= ${min}`);
      return x;
    };
    if (arg === '--clients') options.clients = value().split(',').map((v) => int(v));
    else if (arg === '--seconds') options.seconds = int(value());
    else if (arg === '--warmup') options.warmup = int(value(), 0);
    else if (arg === '--messages') options.messages = int(value(), 30);
    else if (arg === '--template') options.template = value();
    else if (arg === '--cpu-prof') options.cpuProf = value();
    else if (arg === '--weights') {
      for (const pair of value().split(',')) {
        const [name, w] = pair.split('=');
        if (!(OPERATIONS as readonly string[]).includes(name!)) throw new Error(`--weights: unknown operation "${name}" (known: ${OPERATIONS.join(' ')})`);
        options.weights[name as Operation] = int(w ?? '', 0);
      }
    } else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

const user = (i: number) => `c${i + 1}`;

/** Fills the template: accounts c1..cN and `messages` messages in each INBOX, over LMTP with fsync off. */
async function prepareTemplate(users: number, messages: number, dir: string | undefined): Promise<{ dataDir: string; destroy(): void }> {
  // The marker records what the template holds; one with at least `users` accounts of `messages` messages serves.
  const marker = (d: string) => join(d, 'imap-load.json');
  if (dir && existsSync(marker(dir))) {
    const held = JSON.parse(readFileSync(marker(dir), 'utf8')) as { users: number; messages: number };
    if (held.users >= users && held.messages === messages) return { dataDir: dir, destroy: () => {} };
    throw new Error(`${dir} holds ${held.users} accounts of ${held.messages} messages, not ${users} of ${messages}: name another --template`);
  }
  const dataDir = dir ?? mkdtempSync(join(tmpdir(), 'petrel-bench-imap-'));
  mkdirSync(dataDir, { recursive: true });
  let petrel: PetrelProcess | undefined;
  try {
    petrel = (await startImapPetrel({ dataDir, fsync: false })).petrel;
    await petrel.addDomain(BENCH_DOMAIN);
    await addUsers(petrel, Array.from({ length: users }, (_, i) => user(i)));
    const rng = mulberry32(20261128);
    const start = Date.UTC(2026, 0, 1) / 1000;
    const total = users * messages;
    const t0 = Date.now();
    // Round-robin over the users, so every mailbox fills at the same pace.
    await deliverLmtp(petrel.ports.lmtp, total, (i) => {
      const to = `${user(i % users)}@${BENCH_DOMAIN}`;
      return { to, message: makeMessage(rng, { to, size: messageSize(rng, 2048, 51200), date: start + i * 60, searchWord: rng() < 0.01, id: `m${i}` }) };
    }, 8, (n) => process.stderr.write(`  ${n}/${total} delivered\r`));
    process.stderr.write(`  ${total} messages delivered over LMTP in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  } catch (err) {
    // A temporary template that failed to fill is removed; a named one is kept to look at.
    await petrel?.stop();
    petrel = undefined;
    if (!dir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  } finally {
    await petrel?.stop();
  }
  if (dir) writeFileSync(marker(dir), JSON.stringify({ users, messages }));
  return { dataDir, destroy: () => (dir ? undefined : rmSync(dataDir, { recursive: true, force: true })) };
}

/** A small message for APPEND, 2-4 KiB. */
function appendMessage(rng: Rng, to: string, n: number): Buffer {
  return makeMessage(rng, { to, size: 2048 + Math.floor(rng() * 2048), date: Math.floor(Date.now() / 1000), searchWord: false, id: `a${n}-${Math.floor(rng() * 1e9)}` });
}

/** Why a command outcome is wrong, or undefined when it is right. */
type Check = (r: CommandResult) => string | undefined;
const ok: Check = (r) => (r.status === 'OK' ? undefined : `${r.status} ${r.text}`);

const UNSUPPORTED = /not implemented|unknown command/i;

class Stats {
  readonly latencies = new Map<Measured, number[]>();
  readonly errors = new Map<Measured, number>();
  readonly examples: string[] = [];
  recording = false;

  record(op: Measured, ms: number, error?: string): void {
    if (!this.recording) return;
    if (error) {
      this.errors.set(op, (this.errors.get(op) ?? 0) + 1);
      if (this.examples.length < 10) this.examples.push(`${op}: ${error}`);
      return;
    }
    let list = this.latencies.get(op);
    if (!list) this.latencies.set(op, (list = []));
    list.push(ms);
  }
}

/** One simulated client: its own account, one connection at a time, operations until `until`. */
class Client {
  private conn: ImapClient | undefined;
  private exists = 0;
  private firstCount = 0;
  private appended = 0;

  constructor(
    private readonly port: number,
    private readonly index: number,
    private readonly mix: Operation[],
    private readonly stats: Stats,
    private readonly rng: Rng,
  ) {}

  /** Times one command; an unexpected outcome or a thrown error counts as an error and, if the connection is gone, drops it. */
  private async timed(op: Measured, line: string, check: Check = ok, literal?: Buffer): Promise<CommandResult | undefined> {
    const conn = this.conn!;
    const t0 = performance.now();
    try {
      const r = await conn.command(line, literal);
      const ms = performance.now() - t0;
      const n = existsCount(r.untagged);
      if (n !== undefined) this.exists = n;
      this.exists -= expungeCount(r.untagged);
      const error = check(r);
      this.stats.record(op, ms, error);
      return error ? undefined : r;
    } catch (err) {
      this.stats.record(op, performance.now() - t0, err instanceof Error ? err.message : String(err));
      if (conn.closed) this.conn = undefined;
      return undefined;
    }
  }

  private async connect(): Promise<boolean> {
    const t0 = performance.now();
    try {
      // Ten clients per source address: the server allows 20 connections per address.
      this.conn = await ImapClient.connect(this.port, { localAddress: `127.0.0.${2 + Math.floor(this.index / 10)}` });
      this.stats.record('CONNECT', performance.now() - t0);
    } catch (err) {
      this.stats.record('CONNECT', performance.now() - t0, err instanceof Error ? err.message : String(err));
      return false;
    }
    if (!(await this.timed('LOGIN', `LOGIN ${user(this.index)}@${BENCH_DOMAIN} ${BENCH_PASSWORD}`))) return this.drop();
    const selected = await this.timed('SELECT', 'SELECT INBOX');
    if (!selected) return this.drop();
    if (this.firstCount === 0) this.firstCount = this.exists;
    return true;
  }

  private drop(): false {
    this.conn?.destroy();
    this.conn = undefined;
    return false;
  }

  private seq(): number {
    return 1 + Math.floor(this.rng() * this.exists);
  }

  async run(until: number): Promise<void> {
    while (performance.now() < until) {
      if (!this.conn && !(await this.connect())) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      let op = this.mix[Math.floor(this.rng() * this.mix.length)]!;
      if (op === 'EXPUNGE' && this.exists <= Math.ceil(this.firstCount * 0.9)) op = 'STORE';
      await this.operation(op);
    }
    if (this.conn) {
      await this.conn.command('LOGOUT').catch(() => undefined);
      this.drop();
    }
  }

  private async operation(op: Operation): Promise<void> {
    switch (op) {
      case 'FETCH-HEADERS': {
        const from = Math.max(1, Math.min(this.seq(), this.exists - HEADER_RANGE + 1));
        const to = Math.min(this.exists, from + HEADER_RANGE - 1);
        await this.timed(op, `FETCH ${from}:${to} (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])`, (r) => {
          if (r.status !== 'OK') return `${r.status} ${r.text}`;
          const fetched = r.untagged.filter((u) => / FETCH \(/.test(u.text) && u.literals.length === 1).length;
          return fetched === to - from + 1 ? undefined : `${fetched} FETCH responses with a header literal for ${from}:${to}`;
        });
        return;
      }
      case 'FETCH-BODY': {
        const n = this.seq();
        await this.timed(op, `FETCH ${n} BODY[]`, (r) => {
          if (r.status !== 'OK') return `${r.status} ${r.text}`;
          const body = r.untagged.find((u) => u.text.startsWith(`* ${n} FETCH (`) && u.literals.length === 1);
          return body && body.literals[0]!.length > 100 ? undefined : `no BODY[] literal for ${n}`;
        });
        return;
      }
      case 'STORE':
        await this.timed(op, `STORE ${this.seq()} ${this.rng() < 0.5 ? '+' : '-'}FLAGS (\\Seen)`);
        return;
      case 'SELECT':
        await this.timed(op, 'SELECT INBOX');
        return;
      case 'APPEND': {
        const to = `${user(this.index)}@${BENCH_DOMAIN}`;
        const message = appendMessage(this.rng, to, ++this.appended);
        await this.timed(op, `APPEND INBOX (\\Seen) {${message.length}+}`, ok, message);
        // The new message is announced with EXISTS in this reply or the next one.
        return;
      }
      case 'SEARCH-UNSEEN':
        await this.timed(op, 'UID SEARCH UNSEEN', (r) => (r.status === 'OK' && r.untagged.some((u) => u.text.startsWith('* SEARCH')) ? undefined : `${r.status} ${r.text}`));
        return;
      case 'SEARCH-TEXT':
        await this.timed(op, `UID SEARCH TEXT ${SEARCH_WORD}`, (r) => (r.status === 'OK' && r.untagged.some((u) => u.text.startsWith('* SEARCH')) ? undefined : `${r.status} ${r.text}`));
        return;
      case 'EXPUNGE': {
        if (!(await this.timed('STORE', `STORE ${this.exists} +FLAGS.SILENT (\\Deleted)`))) return;
        const before = this.exists;
        await this.timed(op, 'EXPUNGE', (r) => {
          if (r.status !== 'OK') return `${r.status} ${r.text}`;
          return this.exists === before - 1 ? undefined : `EXPUNGE left ${this.exists} of ${before} messages, expected one fewer`;
        });
        return;
      }
      case 'LOGOUT':
        await this.timed(op, 'LOGOUT', (r) => (r.status === 'OK' && r.untagged.some((u) => u.text.startsWith('* BYE')) ? undefined : `${r.status} ${r.text}`));
        this.drop();
        return;
    }
  }
}

/** Tries each operation once on a probe connection: which ones the server does not implement. */
async function probe(port: number): Promise<Map<Operation, string>> {
  const unsupported = new Map<Operation, string>();
  const conn = await ImapClient.connect(port);
  try {
    const must = async (line: string) => {
      const r = await conn.command(line);
      if (r.status !== 'OK') throw new Error(`probe: ${line} -> ${r.status} ${r.text}`);
      return r;
    };
    await must(`LOGIN ${user(0)}@${BENCH_DOMAIN} ${BENCH_PASSWORD}`);
    await must('SELECT INBOX');
    const message = appendMessage(mulberry32(1), `${user(0)}@${BENCH_DOMAIN}`, 0);
    const tries: [Operation, string, Buffer?][] = [
      ['FETCH-HEADERS', 'FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (FROM)])'],
      ['FETCH-BODY', 'FETCH 1 BODY.PEEK[]'],
      ['STORE', 'STORE 1 FLAGS.SILENT ()'],
      ['APPEND', `APPEND INBOX (\\Seen) {${message.length}+}`, message],
      ['SEARCH-UNSEEN', 'UID SEARCH UNSEEN'],
      ['SEARCH-TEXT', `UID SEARCH TEXT ${SEARCH_WORD}`],
      ['EXPUNGE', 'EXPUNGE'],
    ];
    for (const [op, line, literal] of tries) {
      const r = await conn.command(line, literal);
      if (r.status === 'BAD' && UNSUPPORTED.test(r.text)) unsupported.set(op, `BAD ${r.text}`);
      else if (r.status !== 'OK') throw new Error(`probe: ${op}: ${line} -> ${r.status} ${r.text}`);
    }
    await conn.command('LOGOUT');
  } finally {
    conn.destroy();
  }
  return unsupported;
}

interface Row {
  op: Measured;
  count: number;
  perSec: number;
  p50: number;
  p99: number;
  errors: number;
  unsupported?: string;
}

interface Result {
  clients: number;
  seconds: number;
  rows: Row[];
  totalOps: number;
  totalErrors: number;
  serverCpuMsPerOp: number;
  clientCpuMsPerOp: number;
  peakRssMb: number;
  examples: string[];
}

async function measure(template: string, clients: number, options: Options): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), 'petrel-bench-imap-run-'));
  let petrel: PetrelProcess | undefined;
  try {
    cpSync(template, dataDir, { recursive: true });
    const started = await startImapPetrel({ dataDir, fsync: true, cpuProfDir: options.cpuProf });
    petrel = started.petrel;
    const imapPort = started.imapPort;
    const pid = petrel.child!.pid!;
    const unsupported = await probe(imapPort);
    const mix: Operation[] = [];
    for (const op of OPERATIONS) if (!unsupported.has(op)) for (let i = 0; i < options.weights[op]; i++) mix.push(op);
    if (mix.length === 0) throw new Error('no operation left in the mix');

    const stats = new Stats();
    const population = Array.from({ length: clients }, (_, i) => new Client(imapPort, i, mix, stats, mulberry32(1000 + i)));
    const t0 = performance.now();
    const warmEnd = t0 + options.warmup * 1000;
    const end = warmEnd + options.seconds * 1000;
    let cpuBefore = 0;
    let clientBefore = process.cpuUsage();
    const startRecording = setTimeout(() => {
      stats.recording = true;
      cpuBefore = cpuMs(pid);
      clientBefore = process.cpuUsage();
    }, options.warmup * 1000);
    await Promise.all(population.map((c) => c.run(end)));
    clearTimeout(startRecording);
    const seconds = (performance.now() - warmEnd) / 1000;
    const serverCpu = cpuMs(pid) - cpuBefore;
    const clientUsage = process.cpuUsage(clientBefore);

    const rows: Row[] = [];
    for (const op of ['CONNECT', 'LOGIN', ...OPERATIONS] as Measured[]) {
      const reason = unsupported.get(op as Operation);
      const list = (stats.latencies.get(op) ?? []).sort((a, b) => a - b);
      rows.push({ op, count: list.length, perSec: list.length / seconds, p50: percentile(list, 50), p99: percentile(list, 99), errors: stats.errors.get(op) ?? 0, unsupported: reason });
    }
    const commands = rows.filter((r) => r.op !== 'CONNECT');
    const totalOps = commands.reduce((a, r) => a + r.count, 0);
    return {
      clients,
      seconds,
      rows,
      totalOps,
      totalErrors: rows.reduce((a, r) => a + r.errors, 0),
      serverCpuMsPerOp: serverCpu / totalOps,
      clientCpuMsPerOp: (clientUsage.user + clientUsage.system) / 1000 / totalOps,
      peakRssMb: peakRssMb(pid),
      examples: stats.examples,
    };
  } finally {
    await petrel?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function table(r: Result): string {
  const ms = (x: number) => (Number.isNaN(x) ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(1));
  const lines = r.rows.map((row) =>
    row.unsupported
      ? [row.op, 'unsupported', '-', '-', '-', `server answers ${row.unsupported}`]
      : [row.op + (row.op === 'CONNECT' ? ' (TCP+TLS+greeting, not in total)' : ''), String(row.count), row.perSec.toFixed(0), ms(row.p50), ms(row.p99), String(row.errors)],
  );
  lines.push(['**total (commands)**', String(r.totalOps), `**${(r.totalOps / r.seconds).toFixed(0)}**`, '', '', String(r.totalErrors)]);
  const header = ['operation', 'count', 'ops/s', 'p50 ms', 'p99 ms', 'errors'];
  return [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const users = Math.max(...options.clients);
  process.stderr.write(`preparing ${users} accounts with ${options.messages} messages each...\n`);
  const template = await prepareTemplate(users, options.messages, options.template);
  const results: Result[] = [];
  try {
    for (const clients of options.clients) {
      process.stderr.write(`${clients} clients, ${options.warmup} s warm-up + ${options.seconds} s...\n`);
      const r = await measure(template.dataDir, clients, options);
      process.stderr.write(`  ${(r.totalOps / r.seconds).toFixed(0)} ops/s, ${r.totalErrors} errors\n`);
      results.push(r);
    }
  } finally {
    template.destroy();
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  process.stdout.write(`imap-load: fsync on, log level warn, ${options.messages} messages (2-50 KiB) per mailbox, one mailbox per client; load average after the run ${load}\n`);
  for (const r of results) {
    process.stdout.write(`\n### ${r.clients} clients, ${r.seconds.toFixed(1)} s\n\n${table(r)}\n\n`);
    process.stdout.write(`server CPU ${r.serverCpuMsPerOp.toFixed(3)} ms/op, bench client CPU ${r.clientCpuMsPerOp.toFixed(3)} ms/op, server peak RSS ${r.peakRssMb.toFixed(0)} MB\n`);
    if (r.examples.length) process.stdout.write(`first errors:\n${r.examples.map((e) => `  ${e}`).join('\n')}\n`);
  }
  if (results.some((r) => r.totalErrors > 0)) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
