/*
 * A real BIND `named` on 127.0.0.1 serving zones a test writes, with
 * recursion off (a name outside its zones is REFUSED), as
 * ../shared/TESTING.md describes. Started in the foreground in a temporary
 * directory; stop() kills it and removes the directory.
 *
 * Exports: startBind, BindServer, BindOptions (TSIG keys and zones that
 * take RFC 2136 updates), and for other harnesses (bind-dnssec.ts)
 * runNamed and zoneText.
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

/** The text of a zone file: $TTL 60, an SOA and NS (ns.<zone> at 127.0.0.1), then `records`. */
export function zoneText(zone: string, records: string): string {
  return `$TTL 60\n@ IN SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 60\n@ IN NS ns.${zone}.\nns IN A 127.0.0.1\n${records}\n`;
}

/**
 * Starts `named -g` with the configuration file `config` (which must
 * listen on 127.0.0.1 port `port`) and waits until it answers the SOA of
 * `probeZone` there. The returned function stops it (the caller removes
 * its directory).
 */
export async function runNamed(config: string, port: number, probeZone: string): Promise<() => Promise<void>> {
  const child: ChildProcess = spawn('named', ['-g', '-4', '-c', config, '-u', 'root'], { stdio: ['ignore', 'ignore', 'pipe'] });
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
  // "running" can come before the listeners take queries: ask until the probe zone answers.
  const probe = new Resolver({ timeout: 200, tries: 1 });
  probe.setServers([`127.0.0.1:${port}`]);
  for (let attempt = 0; ; attempt++) {
    try {
      await probe.resolveSoa(probeZone);
      break;
    } catch (err) {
      if (attempt >= 100) {
        child.kill('SIGKILL');
        throw new Error(`named does not answer on port ${port}: ${(err as Error).message}\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  };
}

export interface BindOptions {
  /** TSIG keys named.conf declares (secret in base64). */
  keys?: { name: string; algorithm: 'hmac-sha256' | 'hmac-sha512'; secret: string }[];
  /** zone -> the statements of its update-policy (e.g. 'grant petrel-acme zonesub TXT;'): that zone takes dynamic updates. */
  updatePolicy?: Record<string, string>;
}

/** zones: zone name -> the zone file's records after its SOA and NS (which are written here). */
export async function startBind(zones: Record<string, string>, options: BindOptions = {}): Promise<BindServer> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-bind-'));
  const [port] = await freePorts(1);
  const keyConfig = (options.keys ?? []).map((k) => `key "${k.name}" { algorithm ${k.algorithm}; secret "${k.secret}"; };`).join('\n');
  const zoneConfig = Object.keys(zones)
    .map((zone) => {
      const policy = options.updatePolicy?.[zone];
      return `zone "${zone}" { type primary; file "${join(dir, `${zone}.zone`)}";${policy ? ` update-policy { ${policy} };` : ''} };`;
    })
    .join('\n');
  for (const [zone, records] of Object.entries(zones)) writeFileSync(join(dir, `${zone}.zone`), zoneText(zone, records));
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
${keyConfig}
${zoneConfig}
`,
  );
  let stop: () => Promise<void>;
  try {
    stop = await runNamed(join(dir, 'named.conf'), port!, Object.keys(zones)[0]!);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port: port!,
    address: `127.0.0.1:${port}`,
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
