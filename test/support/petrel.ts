/*
 * A real Petrel process for end-to-end tests: its own data directory and
 * configuration on free loopback ports, started through the same entry
 * point as `npm start` (src/main.ts via tsx), with helpers to run the CLI
 * against it, read its log, and stop or kill it.
 *
 * Security: test only; everything listens on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run, type RunResult } from './tools.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'main.ts');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.on('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => res(port));
    });
  });
}

/**
 * n distinct free ports: every listener stays open until all are bound, so
 * the kernel cannot hand the same port out twice (one at a time, a port
 * just released could come back for the next role).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<Server>((res, rej) => {
      const server = createServer();
      server.on('error', rej);
      server.listen(0, '127.0.0.1', () => res(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise<void>((res) => s.close(() => res()))));
  return ports;
}

export interface Ports {
  mx: number;
  submission: number;
  submissions: number;
  lmtp: number;
  imap: number;
  imaps: number;
  pop3: number;
  pop3s: number;
  managesieve: number;
  http: number;
  https: number;
}

export interface PetrelOptions {
  /** Extra TOML appended to the generated configuration (sections not otherwise written). */
  extraToml?: string;
  /** TOML lines placed inside [smtp]. */
  smtp?: string;
  /**
   * TOML lines placed inside [outbound]; giving them turns outbound delivery
   * on. Without them the queue is not delivered: a test that queues remote
   * mail must never send it anywhere but to the peers it starts.
   */
  outbound?: string;
  /** TOML lines placed inside [managesieve] (after listen). */
  managesieve?: string;
  /** TOML lines placed inside [storage] (after fsync). */
  storage?: string;
  /** TOML lines placed inside [dns]. By default every lookup goes to a closed loopback port (and fails), so no test asks a real resolver. */
  dns?: string;
  hostname?: string;
  fsync?: boolean;
  /** [log] level; debug by default so tests can wait for any event. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Extra LMTP listen addresses, such as "unix:/path/lmtp.sock". */
  lmtpListen?: string[];
  /** Reuse a data directory (restart after a crash). */
  dataDir?: string;
  ports?: Ports;
  /** Extra node options for `petrel serve` (benchmarks pass --cpu-prof). */
  nodeArgs?: string[];
  /** Extra environment for `petrel serve` (NODE_EXTRA_CA_CERTS to trust a test CA). */
  env?: Record<string, string>;
}

async function allocatePorts(): Promise<Ports> {
  const [mx, submission, submissions, lmtp, imap, imaps, pop3, pop3s, managesieve, http, https] = await freePorts(11);
  return { mx: mx!, submission: submission!, submissions: submissions!, lmtp: lmtp!, imap: imap!, imaps: imaps!, pop3: pop3!, pop3s: pop3s!, managesieve: managesieve!, http: http!, https: https! };
}

export class PetrelProcess {
  child: ChildProcess | undefined;
  log = '';
  private waiters: { pattern: RegExp; resolve: () => void }[] = [];

  constructor(
    readonly dataDir: string,
    readonly configFile: string,
    public ports: Ports,
    readonly hostname: string,
    readonly nodeArgs: string[] = [],
    readonly env: Record<string, string> = {},
  ) {}

  static async create(options: PetrelOptions = {}): Promise<PetrelProcess> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'petrel-e2e-'));
    const ports = options.ports ?? await allocatePorts();
    const hostname = options.hostname ?? 'mx.petrel.test';
    const configFile = join(dataDir, 'petrel.toml');
    writeFileSync(
      configFile,
      [
        `hostname = "${hostname}"`,
        `data_dir = "${dataDir}"`,
        `[log]\nlevel = "${options.logLevel ?? 'debug'}"`,
        `[mx]\nlisten = ["127.0.0.1:${ports.mx}"]`,
        `[submission]\nlisten = ["127.0.0.1:${ports.submission}"]`,
        `[submissions]\nlisten = ["127.0.0.1:${ports.submissions}"]`,
        `[lmtp]\nlisten = ${JSON.stringify([`127.0.0.1:${ports.lmtp}`, ...(options.lmtpListen ?? [])])}`,
        `[imap]\nlisten = ["127.0.0.1:${ports.imap}"]`,
        `[imaps]\nlisten = ["127.0.0.1:${ports.imaps}"]`,
        `[pop3]\nlisten = ["127.0.0.1:${ports.pop3}"]`,
        `[pop3s]\nlisten = ["127.0.0.1:${ports.pop3s}"]`,
        `[managesieve]\nlisten = ["127.0.0.1:${ports.managesieve}"]\n${options.managesieve ?? ''}`,
        `[http]\nlisten = ["127.0.0.1:${ports.http}"]`,
        `[https]\nlisten = ["127.0.0.1:${ports.https}"]`,
        `[storage]\nfsync = ${options.fsync ?? true}\n${options.storage ?? ''}`,
        `[shutdown]\ngrace = "5s"`,
        `[smtp]\n${options.smtp ?? ''}`,
        `[outbound]\nenabled = ${options.outbound !== undefined}\n${options.outbound ?? ''}`,
        `[dns]\n${options.dns ?? 'resolvers = ["127.0.0.1:9"]\ntimeout = "500ms"\ntries = 1'}`,
        options.extraToml ?? '',
      ].join('\n') + '\n',
    );
    const process_ = new PetrelProcess(dataDir, configFile, ports, hostname, options.nodeArgs, options.env);
    process_.portsChosen = options.ports !== undefined;
    return process_;
  }

  /** The caller gave the ports: a clash at start is theirs to handle. */
  private portsChosen = false;

  /**
   * Starts `petrel serve` and waits until every listener is up. A port
   * taken between its allocation and the start (by another test file
   * running at the same time: any socket may get it as its ephemeral
   * port) makes the start fail with EADDRINUSE: then the listeners move to
   * new free ports and the start is tried again, a few times.
   */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startOnce();
        return;
      } catch (err) {
        if (this.portsChosen || attempt >= 3 || !/EADDRINUSE/.test(String(err))) throw err;
        const fresh = await allocatePorts();
        let text = readFileSync(this.configFile, 'utf8');
        for (const role of Object.keys(fresh) as (keyof Ports)[]) text = text.replace(`127.0.0.1:${this.ports[role]}"`, `127.0.0.1:${fresh[role]}"`);
        writeFileSync(this.configFile, text);
        this.ports = fresh;
      }
    }
  }

  private async startOnce(): Promise<void> {
    this.log = '';
    const child = spawn(process.execPath, [...this.nodeArgs, '--import', TSX, MAIN, 'serve', '--config', this.configFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } });
    this.child = child;
    const onData = (d: Buffer) => {
      this.log += d.toString();
      this.waiters = this.waiters.filter((w) => {
        if (w.pattern.test(this.log)) {
          w.resolve();
          return false;
        }
        return true;
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const exited = new Promise<never>((_, rej) => child.once('exit', (code) => rej(new Error(`petrel exited with ${code} during start:\n${this.log}`))));
    await Promise.race([this.waitForLog(/Petrel is running/, 30_000), exited]);
  }

  /** Resolves when the log matches (or already does). */
  waitForLog(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    if (pattern.test(this.log)) return Promise.resolve();
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`timed out waiting for ${pattern} in log:\n${this.log.slice(-3000)}`)), timeoutMs);
      this.waiters.push({ pattern, resolve: () => (clearTimeout(timer), res()) });
    });
  }

  /** Runs the petrel CLI against this instance's configuration. */
  cli(args: string[], input?: string): Promise<RunResult> {
    return run(process.execPath, ['--import', TSX, MAIN, ...args, '--config', this.configFile], { input, timeoutMs: 60_000, env: { ...process.env, ...this.env } });
  }

  async addUser(address: string, password: string, quota?: string): Promise<void> {
    const r = await this.cli(['user', 'add', address, '--password-stdin', ...(quota ? ['--quota', quota] : [])], `${password}\n`);
    if (r.code !== 0) throw new Error(`user add failed: ${r.stderr}`);
  }

  async addDomain(name: string, aliasOf?: string): Promise<void> {
    const r = await this.cli(['domain', 'add', name, ...(aliasOf ? ['--alias-of', aliasOf] : [])]);
    if (r.code !== 0) throw new Error(`domain add failed: ${r.stderr}`);
  }

  /** Sends a signal and waits for the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    child.kill(signal);
    return exited;
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
