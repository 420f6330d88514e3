/*
 * bench/smtp-ingest: how fast Petrel's MX accepts mail and delivers it into
 * mailboxes, driven by Postfix's own load generator, smtp-source.
 *
 *   npx tsx bench/smtp-ingest.ts [--sessions 1,10,50] [--sizes 4096,65536]
 *                                [--messages 5000] [--seconds 20]
 *                                [--connections session,message] [--template DIR]
 *                                [--repeat 3]
 *   npm run bench:smtp-ingest
 *
 * Set-up, once: a real `petrel serve` (test/support/petrel.ts) with fsync on
 * and log level warn, one domain (bench.test) and 100 accounts named
 * 1u@bench.test .. 100u@bench.test. That data directory is then copied
 * afresh for every configuration, so each run starts from the same store
 * and its own process (peak RSS is per configuration).
 *
 * Load: for S sessions, S "lanes" run at once; each lane runs
 * `smtp-source -s 1 -m 100 -N -t u@bench.test -l SIZE` again and again.
 * -N numbers the recipient of each message 1u, 2u, ... 100u, so every
 * message has one recipient and the 100 users receive the same share
 * from every session. Two connection patterns, both run by default:
 * `session` passes -d, so each lane keeps one connection for its 100
 * messages (the store and commit path under load); `message` is
 * smtp-source's default, a new connection (banner, HELO) per message, as
 * MX traffic arrives. A run stops starting rounds after --seconds, so the
 * slow patterns send fewer messages than --messages.
 * smtp-source stops with an error at any refusal, so a completed lane
 * means every one of its messages got 250.
 *
 * Each configuration first sends one unmeasured round (warm-up: the JIT,
 * the commit worker's first transaction). Each configuration runs --repeat
 * times (3 by default) and the table shows the median run, with the range.
 *
 * Figures, per configuration:
 *   accepted/s   messages sent / wall time of the smtp-source phase
 *   delivered/s  rows in `messages` / (last row's save_date - start); the
 *                run fails unless rows == messages sent and every user got
 *                its share
 *   CPU ms/msg   (utime + stime) of the petrel process over the run, from
 *                /proc/<pid>/stat, divided by messages (all threads, so
 *                libuv's file system pool is included)
 *   indexed after s  seconds from the end of the run until no search text
 *                is left pending: the commit worker fills the full-text
 *                index when deliveries pause (src/delivery/search-indexer.ts)
 *   CPU ms/msg with indexing  the same CPU figure taken at that moment,
 *                so it includes what indexing the messages cost
 *   peak RSS     VmHWM from /proc/<pid>/status after the run
 *
 * Security: test traffic to 127.0.0.1 only; data in a temporary directory.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PetrelProcess } from '../test/support/petrel.js';
import { hasTool, run } from '../test/support/tools.js';

const DOMAIN = 'bench.test';
/** Messages one smtp-source invocation sends: one to each user. */
const ROUND = 100;
const CLOCK_TICKS = 100; // USER_HZ on Linux

type Connection = 'session' | 'message';

interface Options {
  sessions: number[];
  sizes: number[];
  messages: number;
  /** 'session': one connection per smtp-source session (-d); 'message': a new connection per message. */
  connections: Connection[];
  /** No lane starts a new round after this many seconds. */
  seconds: number;
  /** Keep the prepared data directory here and reuse it on the next run. */
  template?: string;
  /** Runs per configuration; the table shows the run with the median delivered rate. */
  repeat: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { sessions: [1, 10, 50], sizes: [4096, 65536], messages: 5000, connections: ['session', 'message'], seconds: 20, repeat: 3 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const numbers = (v: string) => v.split(',').map((n) => {
      const x = Number(n);
      if (!Number.isInteger(x) || x <= 0) throw new Error(`${arg}: "${n}" is not a positive integer`);
      return x;
    });
    if (arg === '--sessions') options.sessions = numbers(value());
    else if (arg === '--sizes') options.sizes = numbers(value());
    else if (arg === '--messages') options.messages = numbers(value())[0]!;
    else if (arg === '--connections') {
      options.connections = value().split(',').map((c) => {
        if (c !== 'session' && c !== 'message') throw new Error(`--connections: "${c}" is neither session nor message`);
        return c;
      });
    }
    else if (arg === '--seconds') options.seconds = numbers(value())[0]!;
    else if (arg === '--template') options.template = value();
    else if (arg === '--repeat') options.repeat = numbers(value())[0]!;
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

/** utime + stime of a process in milliseconds. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

function peakRssMb(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function prepareTemplate(users: number, dir: string | undefined): Promise<{ dataDir: string; destroy(): Promise<void> }> {
  if (dir && existsSync(join(dir, 'petrel.db'))) return { dataDir: dir, destroy: async () => {} };
  if (dir) mkdirSync(dir, { recursive: true });
  const petrel = await PetrelProcess.create({ fsync: true, logLevel: 'warn', hostname: 'mx.bench.test', dataDir: dir });
  await petrel.start();
  await petrel.addDomain(DOMAIN);
  const names = Array.from({ length: users }, (_, i) => `${i + 1}u@${DOMAIN}`);
  // A few CLI processes at a time: each is a node start plus an Argon2id hash.
  for (let i = 0; i < names.length; i += 4) await Promise.all(names.slice(i, i + 4).map((n) => petrel.addUser(n, 'bench-password')));
  await petrel.stop();
  return dir ? { dataDir: dir, destroy: async () => {} } : petrel;
}

interface Figures {
  connection: Connection;
  size: number;
  sessions: number;
  messages: number;
  seconds: number;
  acceptedPerSec: number;
  deliveredPerSec: number;
  cpuMsPerMsg: number;
  /** Seconds from the end of the run until the full-text index held every message. */
  indexedSeconds: number;
  /** CPU per message up to that point: delivery and its share of indexing. */
  cpuIndexedMsPerMsg: number;
  peakRssMb: number;
  /** Lowest and highest delivered rate over the repeated runs. */
  range?: string;
}

/** Shared by the lanes of one run: rounds still to start, and the time after which none starts. */
interface Budget {
  rounds: number;
  deadline: number;
}

async function lane(port: number, size: number, budget: Budget, connection: Connection): Promise<number> {
  let done = 0;
  // Every lane runs at least one round; each round gives every user one message.
  while (done === 0 || (budget.rounds > 0 && Date.now() < budget.deadline)) {
    budget.rounds--;
    const args = ['-s', '1', '-m', String(ROUND), '-N', '-t', `u@${DOMAIN}`, '-f', 'sender@source.test', '-M', 'source.test', '-l', String(size), ...(connection === 'session' ? ['-d'] : []), `127.0.0.1:${port}`];
    const result = await run('smtp-source', args, { timeoutMs: 600_000 });
    if (result.code !== 0) throw new Error(`smtp-source ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    done++;
  }
  return done;
}

async function measure(template: string, size: number, sessions: number, connection: Connection, options: Options): Promise<Figures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'petrel-bench-'));
  cpSync(template, dataDir, { recursive: true });
  const petrel = await PetrelProcess.create({
    dataDir,
    fsync: true,
    logLevel: 'warn',
    hostname: 'mx.bench.test',
    smtp: `max_connections_per_ip = ${Math.max(20, sessions * 2)}\nmax_connections = ${Math.max(1000, sessions * 2)}`,
  });
  try {
    await petrel.start();
    const pid = petrel.child!.pid!;
    // Warm-up, not measured: one round (a message to each user) starts the
    // delivery worker and lets the JIT compile the hot paths.
    await lane(petrel.ports.mx, size, { rounds: 1, deadline: Infinity }, connection);
    const budget: Budget = { rounds: Math.max(sessions, Math.round(options.messages / ROUND)), deadline: 0 };
    const cpuBefore = cpuMs(pid);
    const start = Date.now();
    budget.deadline = start + options.seconds * 1000;
    const rounds = await Promise.all(Array.from({ length: sessions }, () => lane(petrel.ports.mx, size, budget, connection)));
    const end = Date.now();
    const sent = rounds.reduce((a, b) => a + b, 0) * ROUND;
    const cpu = cpuMs(pid) - cpuBefore;

    const db = new Database(join(dataDir, 'petrel.db'), { readonly: true, fileMustExist: true });
    // The full-text index is filled when deliveries pause (src/delivery/search-indexer.ts):
    // wait for it, so the CPU that indexing costs is counted too.
    const pendingText = db.prepare('SELECT count(*) AS n FROM search_queue');
    while ((pendingText.get() as { n: number }).n > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const indexedSeconds = (Date.now() - end) / 1000;
    const cpuIndexed = cpuMs(pid) - cpuBefore;
    const rss = peakRssMb(pid);
    let rows: { n: number; last: number | null; mailboxes: number; least: number; most: number };
    const warmup = ROUND;
    try {
      rows = db
        .prepare(
          `SELECT count(*) AS n, max(save_date) AS last, count(DISTINCT mailbox_id) AS mailboxes,
                  (SELECT min(c) FROM (SELECT count(*) AS c FROM messages GROUP BY mailbox_id)) AS least,
                  (SELECT max(c) FROM (SELECT count(*) AS c FROM messages GROUP BY mailbox_id)) AS most
             FROM messages`,
        )
        .get() as typeof rows;
    } finally {
      db.close();
    }
    if (rows.n !== sent + warmup) throw new Error(`${sent + warmup} messages accepted but ${rows.n} rows in messages`);
    const share = (sent + warmup) / ROUND;
    if (rows.mailboxes !== ROUND || rows.least !== share || rows.most !== share) {
      throw new Error(`expected ${share} messages in each of ${ROUND} mailboxes, got ${rows.mailboxes} mailboxes holding ${rows.least}..${rows.most}`);
    }
    const deliveredSeconds = Math.max(1, (rows.last ?? end) - start) / 1000;
    return {
      connection,
      size,
      sessions,
      messages: sent,
      seconds: (end - start) / 1000,
      acceptedPerSec: sent / ((end - start) / 1000),
      deliveredPerSec: (rows.n - warmup) / deliveredSeconds,
      cpuMsPerMsg: cpu / sent,
      cpuIndexedMsPerMsg: cpuIndexed / sent,
      indexedSeconds,
      peakRssMb: rss,
    };
  } finally {
    await petrel.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function table(rows: Figures[]): string {
  const header = ['connections', 'size', 'sessions', 'messages', 'seconds', 'accepted msg/s', 'delivered msg/s', 'range over runs', 'CPU ms/msg', 'indexed after s', 'CPU ms/msg with indexing', 'peak RSS MB'];
  const lines = rows.map((r) => [
    r.connection === 'session' ? 'per session' : 'per message',
    r.size >= 1024 ? `${r.size / 1024} KiB` : `${r.size} B`,
    String(r.sessions),
    String(r.messages),
    r.seconds.toFixed(2),
    r.acceptedPerSec.toFixed(0),
    r.deliveredPerSec.toFixed(0),
    r.range ?? '-',
    r.cpuMsPerMsg.toFixed(2),
    r.indexedSeconds.toFixed(1),
    r.cpuIndexedMsPerMsg.toFixed(2),
    r.peakRssMb.toFixed(0),
  ]);
  const out = [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`);
  return out.join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!hasTool('smtp-source')) throw new Error('smtp-source not found: run scripts/install-test-deps.sh (Debian package postfix)');
  process.stderr.write(`preparing ${ROUND} users in ${DOMAIN}...\n`);
  const template = await prepareTemplate(ROUND, options.template);
  const results: Figures[] = [];
  try {
    for (const connection of options.connections) {
      for (const size of options.sizes) {
        for (const sessions of options.sessions) {
          process.stderr.write(`connection per ${connection}, size ${size}, ${sessions} session(s)...\n`);
          // The machine is a shared VM whose figures move by 10 % from run to
          // run: each configuration runs `repeat` times and the median counts.
          const runs: Figures[] = [];
          for (let r = 0; r < options.repeat; r++) {
            const figures = await measure(template.dataDir, size, sessions, connection, options);
            process.stderr.write(`  ${figures.deliveredPerSec.toFixed(0)} delivered msg/s\n`);
            runs.push(figures);
          }
          runs.sort((a, b) => a.deliveredPerSec - b.deliveredPerSec);
          const median = runs[Math.floor(runs.length / 2)]!;
          median.range = `${runs[0]!.deliveredPerSec.toFixed(0)}-${runs[runs.length - 1]!.deliveredPerSec.toFixed(0)}`;
          results.push(median);
        }
      }
    }
  } finally {
    await template.destroy();
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  process.stdout.write(`smtp-ingest: fsync on, log level warn, 1 recipient per message over ${ROUND} users; load average after the run ${load}\n\n`);
  process.stdout.write(table(results) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
