/*
 * bench/smtp-outbound: how fast Petrel delivers its outbound queue to the
 * world, DKIM signing on, against Postfix's disk-less SMTP sink.
 *
 *   npx tsx bench/smtp-outbound.ts [--messages 20000] [--size 4096]
 *                                  [--domains 10] [--repeat 3] [--mode queued,live]
 *                                  [--cpu-prof DIR]
 *   npm run bench:smtp-outbound
 *
 * Set-up: a real BIND on loopback serves 10 destination domains, each with
 * an MX host on its own loopback address (127.0.0.110 + i), where one
 * `smtp-sink` process per domain listens (all on one port, which Petrel
 * is told is the SMTP port, [outbound] port). A real `petrel serve` (fsync
 * on, log level warn) hosts bench.test, whose RSA-2048 DKIM key signs
 * every message (the From domain is bench.test); no per-user sending limit.
 *
 * Load: N messages of SIZE bytes are submitted on port 587 (STARTTLS,
 * AUTH PLAIN) over 20 connections with nodemailer's SMTP client, each
 * message to one recipient, the domains in turn.
 *
 * Modes:
 *   queued  the messages are submitted while outbound delivery is off
 *           ([outbound] enabled = false), then Petrel is restarted with it
 *           on: the delivery rate of a full queue, alone on the machine.
 *   live    delivery is on while the messages are submitted: submission,
 *           signing and delivery share the two cores.
 *
 * Figures (the median run of --repeat, with the range):
 *   delivered/s  messages / (time the queue became empty - time the first
 *                message left it), the queue read from the database every
 *                50 ms (a row leaves once its 250 is recorded durably); in
 *                live mode from the first submission on
 *   submitted/s  messages / the time the 20 submission connections took
 *   CPU ms/msg   (utime + stime) of the petrel process, all threads, over
 *                that time, per message; smtp-sink's CPU is separate
 *   peak RSS     VmHWM of the petrel process
 * Each run checks that the sinks counted every message.
 *
 * Security: test traffic to loopback only (127.0.0.0/8); data in a
 * temporary directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { startBind, type BindServer } from '../test/support/bind.js';
import { freePort, PetrelProcess } from '../test/support/petrel.js';
import { hasTool } from '../test/support/tools.js';
import { cpuMs, median, peakRssMb } from './lib/populate.js';

const SENDER = 'sender@bench.test';
const PASSWORD = 'bench-password';
const CONNECTIONS = 20;

type Mode = 'queued' | 'live';

interface Options {
  messages: number;
  size: number;
  domains: number;
  repeat: number;
  modes: Mode[];
  /** Write CPU profiles of every petrel thread here (node --cpu-prof). */
  cpuProfDir?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { messages: 20_000, size: 4096, domains: 10, repeat: 3, modes: ['queued', 'live'] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--messages') o.messages = Number(value());
    else if (arg === '--size') o.size = Number(value());
    else if (arg === '--domains') o.domains = Number(value());
    else if (arg === '--repeat') o.repeat = Number(value());
    else if (arg === '--mode') o.modes = value().split(',') as Mode[];
    else if (arg === '--cpu-prof') o.cpuProfDir = value();
    else throw new Error(`unknown argument ${arg}`);
  }
  if (![o.messages, o.size, o.domains, o.repeat].every((n) => Number.isInteger(n) && n > 0) || o.modes.some((m) => m !== 'queued' && m !== 'live')) {
    throw new Error('usage: smtp-outbound [--messages N] [--size BYTES] [--domains N] [--repeat N] [--mode queued,live]');
  }
  return o;
}

const domain = (i: number) => `d${i}.outbound.bench`;

/** A message of about size bytes from SENDER: plain text lines, no line starting with a dot. */
function message(n: number, to: string, size: number): Buffer {
  const header = `From: Bench Sender <${SENDER}>\r\nTo: <${to}>\r\nSubject: outbound benchmark ${n}\r\nDate: ${new Date().toUTCString()}\r\nMessage-ID: <bench-${n}@bench.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n`;
  const line = 'The quick brown fox jumps over the lazy dog while the queue drains to the sinks.\r\n';
  const body = line.repeat(Math.max(1, Math.ceil((size - header.length) / line.length)));
  return Buffer.from(header + body);
}

async function submitAll(p: PetrelProcess, o: Options): Promise<void> {
  let next = 0;
  const lane = async () => {
    const c = new SMTPConnection({ host: '127.0.0.1', port: p.ports.submission, requireTLS: true, tls: { rejectUnauthorized: false }, logger: false });
    await new Promise<void>((resolve, reject) => {
      c.once('error', reject);
      c.connect(() => resolve());
    });
    await new Promise<void>((resolve, reject) => c.login({ user: SENDER, pass: PASSWORD }, (err) => (err ? reject(err) : resolve())));
    for (let n = next++; n < o.messages; n = next++) {
      const to = `user${n}@${domain(n % o.domains)}`;
      await new Promise<void>((resolve, reject) => c.send({ from: SENDER, to: [to] }, message(n, to, o.size), (err) => (err ? reject(err) : resolve())));
    }
    c.quit();
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, lane));
}

interface Sink {
  child: ChildProcess;
  /** The last value of its -c counter. */
  count(): number;
}

/** smtp-sink on host:port, counting messages (-c), dropping privileges to postfix (it refuses to run as root otherwise). */
function startSink(host: string, port: number): Sink {
  const child = spawn('smtp-sink', ['-c', '-u', 'postfix', `${host}:${port}`, '1024'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let last = 0;
  child.stdout!.on('data', (d: Buffer) => {
    // -c rewrites one line with CR: "sess=N quit=N mesg=N".
    for (const m of d.toString().matchAll(/mesg=(\d+)/g)) last = Number(m[1]);
  });
  return { child, count: () => last };
}

interface Run {
  mode: Mode;
  rate: number;
  /** Messages accepted per second on 587 while they were submitted. */
  submitted: number;
  cpuMsPerMsg: number;
  sinkCpuMsPerMsg: number;
  rssMb: number;
  seconds: number;
}

async function oneRun(o: Options, mode: Mode, bind: BindServer, port: number): Promise<Run> {
  const sinks = Array.from({ length: o.domains }, (_, i) => startSink(`127.0.0.${110 + i}`, port));
  await new Promise((r) => setTimeout(r, 300));
  const p = await PetrelProcess.create({
    hostname: 'mx.bench.test',
    fsync: true,
    logLevel: 'warn',
    smtp: 'user_messages_per_hour = 0\nuser_recipients_per_hour = 0\nmax_connections_per_ip = 200',
    outbound: `port = ${port}\nmta_sts = false\ndane = false`,
    dns: `resolvers = ["${bind.address}"]\ntimeout = "1s"\ntries = 2`,
    nodeArgs: o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : [],
  });
  const setEnabled = (on: boolean) => writeFileSync(p.configFile, readFileSync(p.configFile, 'utf8').replace(/\[outbound\]\nenabled = \w+/, `[outbound]\nenabled = ${on}`));
  try {
    await p.addDomain('bench.test');
    await p.addUser(SENDER, PASSWORD);
    const db = () => new Database(`${p.dataDir}/petrel.db`, { readonly: true, fileMustExist: true });
    let started = 0;
    let cpuStart = 0;
    let sinkCpuStart = 0;
    const sinkCpu = () => sinks.reduce((sum, s) => sum + (s.child.pid ? cpuMs(s.child.pid) : 0), 0);
    let submitSeconds = 0;
    const timedSubmit = async () => {
      const t0 = Date.now();
      await submitAll(p, o);
      submitSeconds = (Date.now() - t0) / 1000;
    };
    if (mode === 'queued') {
      setEnabled(false);
      await p.start();
      await timedSubmit();
      await p.stop();
      setEnabled(true);
      await p.start();
    } else {
      setEnabled(true);
      await p.start();
      started = Date.now();
      cpuStart = cpuMs(p.child!.pid!);
      sinkCpuStart = sinkCpu();
      await timedSubmit();
    }
    const reader = db();
    const queued = reader.prepare('SELECT COUNT(*) AS n FROM queue');
    let first = mode === 'live' ? started : 0;
    for (;;) {
      const n = Number((queued.get() as { n: number }).n);
      if (first === 0 && n < o.messages) {
        first = Date.now();
        cpuStart = cpuMs(p.child!.pid!);
        sinkCpuStart = sinkCpu();
      }
      if (n === 0 && (mode === 'live' || first > 0)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (Date.now() - first) / 1000;
    const cpu = cpuMs(p.child!.pid!) - cpuStart;
    const sinkCpuUsed = sinkCpu() - sinkCpuStart;
    reader.close();
    await new Promise((r) => setTimeout(r, 500));
    const counted = sinks.reduce((sum, s) => sum + s.count(), 0);
    if (counted !== o.messages) throw new Error(`the sinks counted ${counted} messages, not ${o.messages}`);
    const rssMb = peakRssMb(p.child!.pid!);
    return { mode, rate: o.messages / seconds, submitted: o.messages / submitSeconds, cpuMsPerMsg: cpu / o.messages, sinkCpuMsPerMsg: sinkCpuUsed / o.messages, rssMb, seconds };
  } finally {
    if (o.cpuProfDir) await p.stop();
    await p.destroy();
    for (const s of sinks) s.child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  for (const tool of ['named', 'smtp-sink']) if (!hasTool(tool)) throw new Error(`missing ${tool}: run scripts/install-test-deps.sh`);
  const port = await freePort();
  const zone = Array.from({ length: o.domains }, (_, i) => `d${i}.outbound IN MX 10 mx.d${i}.outbound.bench.\nmx.d${i}.outbound IN A 127.0.0.${110 + i}`).join('\n');
  const bind = await startBind({ bench: zone });
  try {
    console.log(`smtp-outbound: ${o.messages} messages of ${o.size} bytes to ${o.domains} domains (smtp-sink each), DKIM RSA-2048 on, fsync on, ${o.repeat} runs per mode`);
    console.log('mode     delivered/s (range)        submitted/s  CPU ms/msg  sink CPU ms/msg  peak RSS MB');
    for (const mode of o.modes) {
      const runs: Run[] = [];
      for (let r = 0; r < o.repeat; r++) {
        runs.push(await oneRun(o, mode, bind, port));
        process.stderr.write(`  ${mode} run ${r + 1}: ${runs[r]!.rate.toFixed(0)} msg/s in ${runs[r]!.seconds.toFixed(1)} s\n`);
      }
      const rates = runs.map((x) => x.rate);
      const mid = runs.find((x) => x.rate === median(rates)) ?? runs[0]!;
      console.log(`${mode.padEnd(8)} ${mid.rate.toFixed(0).padStart(6)} (${Math.min(...rates).toFixed(0)}-${Math.max(...rates).toFixed(0)})`.padEnd(36) + `${mid.submitted.toFixed(0).padStart(6)}       ${mid.cpuMsPerMsg.toFixed(2).padStart(6)}      ${mid.sinkCpuMsPerMsg.toFixed(2).padStart(6)}           ${mid.rssMb.toFixed(0)}`);
    }
  } finally {
    await bind.stop();
  }
}

await main();
