/*
 * A real clamd (Debian's clamav-daemon) on 127.0.0.1 for the tests. No
 * signatures can be downloaded here, so the test hands in its own: each
 * sample given becomes an MD5 hash signature (.hdb, "md5:size:name") in a
 * temporary DatabaseDirectory, which is all clamd loads. clamd runs in
 * the foreground with its own clamd.conf (TCPSocket on a free port and a
 * LocalSocket in its directory,
 * StreamMaxLength small enough to test the limit, ScanMail and
 * ScanArchive on, so attachments and zip members are matched), logging to
 * the directory; ready when it answers PING with PONG.
 *
 * It can be made to hang (SIGSTOP: connections are still accepted by the
 * kernel, nothing is read or answered), resumed (SIGCONT), and stopped.
 *
 * Also EICAR: the anti-virus test file, put together at run time so that
 * no scanner on a developer's machine flags this source file.
 *
 * Exports: startClamd, ClamdServer, ClamdSample, EICAR.
 * Security: listens on loopback only. As root clamd keeps root (no User
 * line: it changes user only when told to), so the directory is only
 * made readable, not handed to the clamav user.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClamdClient } from '../../src/filters/clamav/client.js';
import { freePorts } from './petrel.js';

/** The 68-octet EICAR test file, assembled here rather than written out. */
export const EICAR = Buffer.from(['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE', '!$H+H*'].join(''), 'latin1');

export interface ClamdSample {
  /** The signature name clamd reports (with ".UNOFFICIAL" appended, the databases being unsigned). */
  name: string;
  bytes: Buffer;
}

export interface ClamdServer {
  /** "127.0.0.1:port" */
  address: string;
  /** The path of its unix socket (LocalSocket), which it listens on too. */
  socket: string;
  pid: number;
  /** clamd's log so far. */
  log(): string;
  /** SIGSTOP: clamd hangs. */
  hang(): void;
  /** SIGCONT. */
  resume(): void;
  /** Ends clamd and removes its directory; later connections are refused. */
  stop(): Promise<void>;
}

export async function startClamd(options: { samples: ClamdSample[]; streamMaxLength?: string }): Promise<ClamdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-clamd-'));
  chmodSync(dir, 0o755);
  const db = join(dir, 'db');
  mkdirSync(db, { mode: 0o755 });
  const hdb = options.samples.map((s) => `${createHash('md5').update(s.bytes).digest('hex')}:${s.bytes.length}:${s.name}\n`).join('');
  writeFileSync(join(db, 'petrel-test.hdb'), hdb, { mode: 0o644 });
  const [port] = await freePorts(1);
  const logFile = join(dir, 'clamd.log');
  const conf = join(dir, 'clamd.conf');
  writeFileSync(conf, [
    `DatabaseDirectory ${db}`,
    'TCPAddr 127.0.0.1',
    `TCPSocket ${port}`,
    `LocalSocket ${join(dir, 'clamd.sock')}`,
    'LocalSocketMode 666',
    'Foreground yes',
    `LogFile ${logFile}`,
    'LogTime yes',
    `PidFile ${join(dir, 'clamd.pid')}`,
    `StreamMaxLength ${options.streamMaxLength ?? '1M'}`,
    'ScanMail yes',
    'ScanArchive yes',
    // Its own database only: no self-check reloading it under the test, no bytecode from elsewhere.
    'SelfCheck 0',
    'Bytecode no',
    '',
  ].join('\n'));
  const child = spawn('/usr/sbin/clamd', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (running()) {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const address = `127.0.0.1:${port}`;
  const client = new ClamdClient({ address, timeoutMs: 1000, connectTimeoutMs: 1000, idleTimeoutMs: 1000 });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!running()) {
      const why = `clamd exited (${child.exitCode ?? child.signalCode}):\n${stderr}\n${log()}`;
      await stop();
      throw new Error(why);
    }
    if (await client.ping()) break;
    if (Date.now() > deadline) {
      const why = `clamd does not answer PING on ${address}:\n${stderr}\n${log()}`;
      await stop();
      throw new Error(why);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    address,
    socket: join(dir, 'clamd.sock'),
    pid: child.pid!,
    log,
    hang: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    stop,
  };
}
