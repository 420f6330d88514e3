/*
 * A real SpamAssassin spamd on 127.0.0.1 for the tests, local only:
 * network tests off (-L), no user configuration (-x), site configuration
 * from a temporary directory (--siteconfigpath) that loads only the Check
 * plugin and turns Bayes, auto-learning and DNS off, so the result
 * depends on Debian's shipped rules and the message alone. Started in the
 * foreground; ready when it answers PING with PONG; stop() ends it and
 * removes the directory.
 *
 * Exports: startSpamd, SpamdServer.
 * Security: listens on loopback only, on a free port; as root, spamd's
 * children run as nobody (-u), so the directory is world-readable.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpamdClient } from '../../src/filters/spam/external/spamd-client.js';
import { freePorts } from './petrel.js';

export interface SpamdServer {
  /** "127.0.0.1:port" */
  address: string;
  stop(): Promise<void>;
}

const LOCAL_CF = `# Petrel tests: the shipped rules only, nothing learned, nothing asked of the network.
use_bayes 0
bayes_auto_learn 0
dns_available no
skip_rbl_checks 1
`;

export async function startSpamd(): Promise<SpamdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-spamd-'));
  chmodSync(dir, 0o755);
  const site = join(dir, 'site');
  const home = join(dir, 'home');
  mkdirSync(site, { mode: 0o755 });
  mkdirSync(home, { mode: 0o777 });
  chmodSync(home, 0o777);
  // Without a .pre file no plugin loads and spamd cannot scan; Check runs the body and header rules (GTUBE among them).
  writeFileSync(join(site, 'init.pre'), 'loadplugin Mail::SpamAssassin::Plugin::Check\n');
  writeFileSync(join(site, 'local.cf'), LOCAL_CF);
  const [port] = await freePorts(1);
  const address = `127.0.0.1:${port}`;
  const args = ['-L', '-x', `--siteconfigpath=${site}`, '-i', address, '-m', '1', '--min-children=1', '--max-spare=1', '-s', 'stderr', '-H', home];
  if (process.getuid?.() === 0) args.push('-u', 'nobody');
  const child = spawn('spamd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const client = new SpamdClient(address, 1000);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`spamd exited (${child.exitCode}):\n${log}`);
    }
    const pong = await client.request('PING').catch(() => undefined);
    if (pong?.ok && pong.pong) return { address, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`spamd does not answer PING on ${address}:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
