/*
 * A private Postfix instance for interoperability tests: its own
 * configuration directory, queue, data directory and log file under one
 * temporary directory, listening on 127.0.0.1 only, never touching the
 * system's Postfix (/etc/postfix/main.cf, /var/spool/postfix).
 *
 * How it is put together (Postfix 3.7 from Debian; runs as root, with the
 * `postfix` user and the `postdrop` group the package creates):
 *   <tmp>/etc/main.cf      written from our base settings plus the test's;
 *                          `postfix -c <tmp>/etc` selects it everywhere
 *   <tmp>/etc/master.cf    our own: every service with chroot off (the
 *                          queue is not a chroot jail, so a chrooted smtpd
 *                          could not even resolve loopback), smtpd on a
 *                          free loopback port, and postlogd
 *   <tmp>/spool, <tmp>/data   queue_directory, data_directory; `postfix
 *                          check` creates their subdirectories with the
 *                          owners Postfix wants
 *   <tmp>/maillog          maillog_file, written by postlogd (Postfix
 *                          >= 3.4) instead of syslog, which a container
 *                          lacks; maillog_file_prefixes must allow the path
 *   no DNS                 smtp/lmtp_dns_support_level = disabled; next
 *                          hops are numeric ([127.0.0.1]:port, inet:...)
 *
 * Waiting is bounded polling: waitForLog() rereads the maillog, and
 * waitForQueueEmpty() runs `postqueue -p` until "Mail queue is empty".
 * stop() runs `postfix stop` and waits for the master process to exit
 * (SIGKILL to that one pid after a deadline); call it from `after` so a
 * failing test leaves no Postfix behind.
 *
 * Security: test only; binds 127.0.0.1; runs daemons as user postfix.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './petrel.js';
import { hasTool, run, type RunResult } from './tools.js';

export type PostfixSettings = Record<string, string>;

export interface PostfixOptions {
  /** main.cf settings added to (or replacing) the base ones. */
  main?: PostfixSettings;
  myhostname?: string;
}

/** Why a Postfix instance cannot run here, or undefined when it can. */
export function postfixUnavailable(): string | undefined {
  const missing = ['postfix', 'postconf', 'postqueue', 'swaks'].filter((t) => !hasTool(t));
  if (missing.length > 0) return `missing ${missing.join(', ')}: run scripts/install-test-deps.sh`;
  if (process.getuid?.() !== 0) return 'a private Postfix instance needs root (its daemons switch to user postfix)';
  return undefined;
}

// Services Postfix needs to receive, relay (with STARTTLS: tlsmgr), deliver
// by LMTP and bounce; no chroot (5th column n), no local delivery agents.
const MASTER_CF = (port: number) => `# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:${port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

export class PostfixInstance {
  private started = false;

  private constructor(
    readonly root: string,
    readonly configDir: string,
    readonly queueDir: string,
    readonly logFile: string,
    /** Port of this instance's smtpd on 127.0.0.1. */
    readonly smtpPort: number,
  ) {}

  static async create(options: PostfixOptions = {}): Promise<PostfixInstance> {
    const root = mkdtempSync(join(tmpdir(), 'petrel-postfix-'));
    // Daemons run as user postfix and must reach the queue below this directory.
    chmodSync(root, 0o755);
    const configDir = join(root, 'etc');
    const queueDir = join(root, 'spool');
    const logFile = join(root, 'maillog');
    mkdirSync(configDir);
    mkdirSync(queueDir);
    const smtpPort = await freePort();
    const myhostname = options.myhostname ?? 'relay.postfix.test';
    const main: PostfixSettings = {
      compatibility_level: '3.6',
      queue_directory: queueDir,
      data_directory: join(root, 'data'),
      mail_owner: 'postfix',
      setgid_group: 'postdrop',
      myhostname,
      mydomain: 'postfix.test',
      myorigin: '$myhostname',
      mydestination: '',
      inet_interfaces: '127.0.0.1',
      inet_protocols: 'ipv4',
      mynetworks: '127.0.0.0/8',
      smtp_dns_support_level: 'disabled',
      lmtp_dns_support_level: 'disabled',
      maillog_file: logFile,
      maillog_file_prefixes: root,
      alias_maps: '',
      alias_database: '',
      local_recipient_maps: '',
      biff: 'no',
      // Retry deferred mail quickly; tests wait seconds, not minutes.
      queue_run_delay: '2s',
      minimal_backoff_time: '2s',
      maximal_backoff_time: '4s',
      ...options.main,
    };
    writeFileSync(join(configDir, 'main.cf'), Object.entries(main).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
    writeFileSync(join(configDir, 'master.cf'), MASTER_CF(smtpPort));
    return new PostfixInstance(root, configDir, queueDir, logFile, smtpPort);
  }

  private async postfix(args: string[], command = 'postfix'): Promise<RunResult> {
    return run(command, ['-c', this.configDir, ...args], { timeoutMs: 30_000 });
  }

  /** `postfix check` (creates the queue directories) then `postfix start`; resolves when smtpd answers. */
  async start(): Promise<void> {
    for (const args of [['check'], ['start']]) {
      const r = await this.postfix(args);
      if (r.code !== 0) throw new Error(`postfix ${args[0]} failed (${r.code}): ${r.stderr}${r.stdout}\n${this.log()}`);
    }
    this.started = true;
    await this.waitForLog(/daemon started/, 10_000);
  }

  /** Changes main.cf settings (postconf -e) and reloads a running instance. */
  async configure(settings: PostfixSettings): Promise<void> {
    const r = await this.postfix(['-e', ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)], 'postconf');
    if (r.code !== 0) throw new Error(`postconf failed: ${r.stderr}`);
    if (this.started) await this.postfix(['reload']);
  }

  /** The instance's log so far (empty before the first line). */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** Polls the log until it matches; returns the first matching line. */
  async waitForLog(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.log().split('\n').find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in the Postfix log:\n${this.log().slice(-4000)}`);
      await sleep(100);
    }
  }

  /** `postqueue -p` output. */
  async queue(): Promise<string> {
    return (await this.postfix(['-p'], 'postqueue')).stdout;
  }

  /** Polls `postqueue -p` until the queue is empty. */
  async waitForQueueEmpty(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const listing = await this.queue();
      if (/Mail queue is empty/.test(listing)) return;
      if (Date.now() > deadline) throw new Error(`Postfix queue not empty after ${timeoutMs} ms:\n${listing}\n${this.log().slice(-4000)}`);
      await sleep(200);
    }
  }

  private masterPid(): number | undefined {
    const file = join(this.queueDir, 'pid', 'master.pid');
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** Stops the instance and waits for its master process to exit. Safe to call twice. */
  async stop(): Promise<void> {
    if (!this.started) return;
    const pid = this.masterPid();
    await this.postfix(['stop']);
    const alive = (p: number) => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    };
    if (pid !== undefined) {
      const deadline = Date.now() + 10_000;
      while (alive(pid) && Date.now() < deadline) await sleep(100);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    this.started = false;
  }

  /** Stops the instance and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}
