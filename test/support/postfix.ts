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
 * Receiving MX (PostfixInstance.createReceivingMx): the instance is the
 * final destination for the given domains on a given host:port (for
 * example 127.0.0.31:PORT, so a test can play several MX hosts) and stores
 * every message in a Maildir a test reads with receivedMessages(). It uses
 * the `virtual` delivery agent (virtual_mailbox_domains, _base, _maps)
 * rather than `local`: virtual needs no system accounts, aliases or
 * mailbox_command, delivers as one unprivileged uid (nobody), and writes
 * Maildirs itself. By default every address in the domains is accepted
 * into one shared Maildir (virtual_mailbox_maps = static:catchall/); with
 * `mailboxes` only those addresses are, each into its own Maildir
 * (<tmp>/mail/<domain>/<local>/), through a texthash table written here
 * (no postmap), and any other gets 550 5.1.1 at RCPT. (A regexp table
 * could map every address to its own Maildir, but virtual(8) refuses
 * regexp substitutions in virtual_mailbox_maps.) Each stored copy names its
 * recipient in the Delivered-To header virtual adds. Nothing leaves: relaying is
 * refused at RCPT whoever the client is (reject_unauth_destination, no
 * mynetworks), and default_transport and relay_transport are `error`, so a
 * DSN Postfix itself sends (NOTIFY=SUCCESS, a bounce) fails in the queue
 * instead of being delivered out. STARTTLS (security level may) with a
 * test certificate, SMTPUTF8 and DSN (offered by default) are on. Maildir
 * files hold Postfix's internal LF line ends, with Return-Path,
 * X-Original-To, Delivered-To (from virtual) and Received (from smtpd)
 * prepended to the message as sent.
 *
 * Waiting is bounded polling: waitForLog() rereads the maillog, and
 * waitForQueueEmpty() runs `postqueue -p` until "Mail queue is empty".
 * stop() runs `postfix stop` and waits for the master process to exit
 * (SIGKILL to that one pid after a deadline); call it from `after` so a
 * failing test leaves no Postfix behind.
 *
 * Security: test only; binds 127.0.0.1 (a receiving MX: the 127.0.0.0/8
 * address it is given); runs daemons as user postfix, delivers as nobody.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestCa, issueCertificate, writePemPair } from './certs.js';
import { freePort } from './petrel.js';
import { hasTool, run, type RunResult } from './tools.js';

export type PostfixSettings = Record<string, string>;

export interface PostfixOptions {
  /** main.cf settings added to (or replacing) the base ones. */
  main?: PostfixSettings;
  myhostname?: string;
}

export interface ReceivingMxOptions {
  /** Domains this instance is the final destination for (virtual_mailbox_domains). */
  domains: string[];
  /** Loopback address and port smtpd listens on; 127.0.0.1 and a free port by default. */
  host?: string;
  port?: number;
  myhostname?: string;
  /**
   * Addresses with a Maildir each; others get 550 5.1.1 at RCPT. Without
   * it every address in `domains` is accepted into one shared Maildir.
   */
  mailboxes?: string[];
  /** STARTTLS certificate chain and key (PEM files); by default one for myhostname from a throw-away CA. */
  tls?: { cert: string; key: string };
  /** main.cf settings added to (or replacing) the receiving ones. */
  main?: PostfixSettings;
}

export interface ReceivedMessage {
  /** The Maildir file. */
  path: string;
  /** The recipient this copy was delivered to (its Delivered-To header). */
  recipient: string;
  /** The file as stored: Return-Path, X-Original-To, Delivered-To, Received, then the message, LF line ends. */
  bytes: Buffer;
}

/** The uid and gid the virtual delivery agent writes Maildirs as. */
const MAILDIR_OWNER = { uid: 65534, gid: 65534 };

/** Why a Postfix instance cannot run here, or undefined when it can. */
export function postfixUnavailable(): string | undefined {
  const missing = ['postfix', 'postconf', 'postqueue', 'swaks'].filter((t) => !hasTool(t));
  if (missing.length > 0) return `missing ${missing.join(', ')}: run scripts/install-test-deps.sh`;
  if (process.getuid?.() !== 0) return 'a private Postfix instance needs root (its daemons switch to user postfix)';
  return undefined;
}

// Services Postfix needs to receive, relay (with STARTTLS: tlsmgr), deliver
// by LMTP and bounce; no chroot (5th column n), no local delivery agents.
// The receiving MX adds `virtual` to them.
const MASTER_CF = (port: number, host = '127.0.0.1', extra = '') => `# service type  private unpriv  chroot  wakeup  maxproc command
${host}:${port} inet n - n - - smtpd
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
${extra}`;

function mainCf(settings: PostfixSettings): string {
  return Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n';
}

export class PostfixInstance {
  private started = false;

  private constructor(
    readonly root: string,
    readonly configDir: string,
    readonly queueDir: string,
    readonly logFile: string,
    /** Port of this instance's smtpd on smtpHost. */
    readonly smtpPort: number,
    /** Address of this instance's smtpd. */
    readonly smtpHost = '127.0.0.1',
    /** Where a receiving MX keeps its Maildirs (<mailDir>/catchall/ or <mailDir>/<domain>/<local>/). */
    readonly mailDir?: string,
  ) {}

  static async create(options: PostfixOptions = {}): Promise<PostfixInstance> {
    const { root, configDir, queueDir, logFile } = PostfixInstance.layout();
    const smtpPort = await freePort();
    const myhostname = options.myhostname ?? 'relay.postfix.test';
    writeFileSync(join(configDir, 'main.cf'), mainCf({ ...PostfixInstance.base(root, myhostname), ...options.main }));
    writeFileSync(join(configDir, 'master.cf'), MASTER_CF(smtpPort));
    return new PostfixInstance(root, configDir, queueDir, logFile, smtpPort);
  }

  /**
   * An instance that is the final destination for `domains`, listening on
   * host:port, storing each message in a Maildir (see the header) and
   * relaying nothing.
   */
  static async createReceivingMx(options: ReceivingMxOptions): Promise<PostfixInstance> {
    if (options.domains.length === 0) throw new Error('createReceivingMx: no domains');
    const { root, configDir, queueDir, logFile } = PostfixInstance.layout();
    const host = options.host ?? '127.0.0.1';
    if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) throw new Error(`createReceivingMx: ${host} is not a 127.0.0.0/8 address`);
    const port = options.port ?? (await freePort());
    const myhostname = options.myhostname ?? `mx.${options.domains[0]}`;
    const mailDir = join(root, 'mail');
    mkdirSync(mailDir);
    chownSync(mailDir, MAILDIR_OWNER.uid, MAILDIR_OWNER.gid);
    let tls = options.tls;
    if (!tls) {
      const ca = await createTestCa('Postfix Receiving MX Test CA');
      tls = await writePemPair(join(root, 'tls'), 'smtpd', await issueCertificate(ca, [myhostname]));
    }
    // A trailing slash on the mailbox path means Maildir.
    let mailboxMaps = 'static:catchall/';
    if (options.mailboxes) {
      const lines = options.mailboxes.map((address) => {
        const at = address.lastIndexOf('@');
        const [local, domain] = [address.slice(0, at), address.slice(at + 1)];
        // Both parts become directory names.
        if (at < 1 || [local, domain].some((part) => /[/\s]|^\./.test(part) || part === '')) throw new Error(`createReceivingMx: mailbox ${address} cannot be a directory name`);
        return `${address.toLowerCase()} ${domain.toLowerCase()}/${local.toLowerCase()}/`;
      });
      const maps = join(configDir, 'virtual_mailbox_maps');
      writeFileSync(maps, lines.join('\n') + '\n');
      mailboxMaps = `texthash:${maps}`;
    }
    const main: PostfixSettings = {
      ...PostfixInstance.base(root, myhostname),
      // inet_interfaces stays 127.0.0.1: Postfix refuses an address no
      // interface carries (lo has 127.0.0.1/8, not 127.0.0.31), but the
      // master.cf service name binds smtpd to host:port all the same.
      mynetworks: '',
      smtpd_relay_restrictions: 'reject_unauth_destination',
      smtpd_recipient_restrictions: 'reject_unauth_destination',
      default_transport: 'error:this test MX delivers nothing out',
      relay_transport: 'error:this test MX delivers nothing out',
      virtual_mailbox_domains: options.domains.join(' '),
      virtual_mailbox_base: mailDir,
      virtual_mailbox_maps: mailboxMaps,
      virtual_uid_maps: `static:${MAILDIR_OWNER.uid}`,
      virtual_gid_maps: `static:${MAILDIR_OWNER.gid}`,
      virtual_transport: 'virtual',
      // Headers are stored as received: no rewriting for loopback clients.
      local_header_rewrite_clients: '',
      smtputf8_enable: 'yes',
      smtpd_tls_security_level: 'may',
      smtpd_tls_cert_file: tls.cert,
      smtpd_tls_key_file: tls.key,
      smtpd_tls_loglevel: '1',
      smtpd_tls_received_header: 'yes',
      ...options.main,
    };
    writeFileSync(join(configDir, 'main.cf'), mainCf(main));
    writeFileSync(join(configDir, 'master.cf'), MASTER_CF(port, host, 'virtual   unix  -       n       n       -       -       virtual\n'));
    return new PostfixInstance(root, configDir, queueDir, logFile, port, host, mailDir);
  }

  private static layout(): { root: string; configDir: string; queueDir: string; logFile: string } {
    const root = mkdtempSync(join(tmpdir(), 'petrel-postfix-'));
    // Daemons run as user postfix and must reach the queue below this directory.
    chmodSync(root, 0o755);
    const configDir = join(root, 'etc');
    const queueDir = join(root, 'spool');
    const logFile = join(root, 'maillog');
    mkdirSync(configDir);
    mkdirSync(queueDir);
    return { root, configDir, queueDir, logFile };
  }

  private static base(root: string, myhostname: string): PostfixSettings {
    return {
      compatibility_level: '3.6',
      queue_directory: join(root, 'spool'),
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
      maillog_file: join(root, 'maillog'),
      maillog_file_prefixes: root,
      alias_maps: '',
      alias_database: '',
      local_recipient_maps: '',
      biff: 'no',
      // Retry deferred mail quickly; tests wait seconds, not minutes.
      queue_run_delay: '2s',
      minimal_backoff_time: '2s',
      maximal_backoff_time: '4s',
    };
  }

  /** Messages in the receiving MX's Maildirs (new/ and cur/), oldest first by Maildir name. */
  async receivedMessages(): Promise<ReceivedMessage[]> {
    if (this.mailDir === undefined) throw new Error('receivedMessages: not a receiving MX (createReceivingMx)');
    const found: { path: string; name: string }[] = [];
    const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
    // Maildirs are <mailDir>/catchall/ or <mailDir>/<domain>/<local>/.
    const maildirs = [join(this.mailDir, 'catchall'), ...list(this.mailDir).filter((d) => d !== 'catchall').flatMap((domain) => list(join(this.mailDir!, domain)).map((local) => join(this.mailDir!, domain, local)))];
    for (const maildir of maildirs) {
      for (const sub of ['new', 'cur']) {
        for (const name of list(join(maildir, sub))) found.push({ path: join(maildir, sub, name), name });
      }
    }
    // Maildir names start with the delivery time in seconds: numeric order is arrival order.
    found.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    return Promise.all(
      found.map(async ({ path }) => {
        const bytes = await readFile(path);
        const header = bytes.subarray(0, bytes.indexOf('\n\n') + 1).toString('utf8');
        const recipient = /^Delivered-To: (.*)$/m.exec(header)?.[1] ?? '';
        return { path, recipient, bytes };
      }),
    );
  }

  /** Polls until at least n messages are stored; returns them all. */
  async waitForMessages(n: number, timeoutMs = 20_000): Promise<ReceivedMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const messages = await this.receivedMessages();
      if (messages.length >= n) return messages;
      if (Date.now() > deadline) throw new Error(`${messages.length} of ${n} messages stored after ${timeoutMs} ms:\n${this.log().slice(-4000)}`);
      await sleep(100);
    }
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
