/*
 * Real tools the interoperability tests drive (swaks, openssl, Postfix...).
 * A missing tool skips the test with a message naming the install script,
 * or fails it when PETREL_REQUIRE_INTEROP=1 (as CI runs).
 */
import { execFileSync, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';

const found = new Map<string, boolean>();

export function hasTool(name: string): boolean {
  let ok = found.get(name);
  if (ok === undefined) {
    try {
      execFileSync('sh', ['-c', `command -v ${name} || test -x /usr/sbin/${name}`], { stdio: 'ignore' });
      ok = true;
    } catch {
      ok = false;
    }
    found.set(name, ok);
  }
  return ok;
}

/** True when the tools exist; otherwise skips (or, under PETREL_REQUIRE_INTEROP=1, fails) the test. */
export function requireTools(t: TestContext, ...names: string[]): boolean {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length === 0) return true;
  const message = `missing ${missing.join(', ')}: run scripts/install-test-deps.sh`;
  if (process.env.PETREL_REQUIRE_INTEROP === '1') throw new Error(message);
  t.skip(message);
  return false;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for byte-for-byte comparisons. */
  stdoutBytes: Buffer;
}

/** Runs a command to completion with optional stdin, bounded by a timeout. */
export function run(command: string, args: string[], options: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, stdout: stdoutBytes.toString(), stderr: Buffer.concat(err).toString(), stdoutBytes });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** swaks with the given arguments; its transcript is in stdout. */
export function swaks(args: string[], timeoutMs = 30_000): Promise<RunResult> {
  return run('swaks', ['--hide-informational', ...args], { timeoutMs });
}
