/*
 * A real BIND `named` on 127.0.0.1 serving zones a test writes, with
 * recursion off (a name outside its zones is REFUSED), as
 * ../shared/TESTING.md describes. Started in the foreground in a temporary
 * directory; stop() kills it and removes the directory.
 *
 * Security: listens on loopback only, on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './petrel.js';

export interface BindServer {
  port: number;
  /** "127.0.0.1:port", for a resolver's server list. */
  address: string;
  stop(): Promise<void>;
}

/** zones: zone name -> the zone file's records after its SOA and NS (which are written here). */
export async function startBind(zones: Record<string, string>): Promise<BindServer> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-bind-'));
  const [port] = await freePorts(1);
  const zoneConfig = Object.keys(zones)
    .map((zone) => `zone "${zone}" { type primary; file "${join(dir, `${zone}.zone`)}"; };`)
    .join('\n');
  for (const [zone, records] of Object.entries(zones)) {
    writeFileSync(
      join(dir, `${zone}.zone`),
      `$TTL 60\n@ IN SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 60\n@ IN NS ns.${zone}.\nns IN A 127.0.0.1\n${records}\n`,
    );
  }
  writeFileSync(
    join(dir, 'named.conf'),
    `options {
  directory "${dir}";
  pid-file "${join(dir, 'named.pid')}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
};
${zoneConfig}
`,
  );
  const child: ChildProcess = spawn('named', ['-g', '-c', join(dir, 'named.conf'), '-u', 'root'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`named did not start:\n${log}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (/running/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`named exited (${code}):\n${log}`));
    });
  });
  // "running" can come before the listeners take queries: ask until the first zone answers.
  const probe = new Resolver({ timeout: 200, tries: 1 });
  probe.setServers([`127.0.0.1:${port}`]);
  for (let attempt = 0; ; attempt++) {
    try {
      await probe.resolveSoa(Object.keys(zones)[0]!);
      break;
    } catch (err) {
      if (attempt >= 100) {
        child.kill('SIGKILL');
        throw new Error(`named does not answer on port ${port}: ${(err as Error).message}\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    port: port!,
    address: `127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
