/*
 * pebble, Let's Encrypt's ACME test CA (Debian's package), for tests: a
 * listener certificate made here (the package ships none) from a test CA
 * the client trusts explicitly, a configuration written to a temporary
 * directory with every port on 127.0.0.1, validations sent to the DNS
 * server and HTTP port the test names, no artificial sleeps
 * (PEBBLE_VA_NOSLEEP=1) and no rejected nonces (PEBBLE_WFE_NONCEREJECT=0).
 * Also a loopback HTTP server answering HTTP-01 from an AcmeStore, which
 * stands in for Petrel's [http] listener.
 *
 * Exports: startPebble, PebbleServer, PebbleOptions,
 * startChallengeResponder, ChallengeResponder, httpsGet.
 * Security: test only; everything listens on 127.0.0.1, and pebble's
 * validations go only to the loopback DNS server and ports given.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { get } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AcmeStore } from '../../src/store/types.js';
import { createTestCa, issueCertificate } from './certs.js';
import { freePorts } from './petrel.js';

export interface PebbleOptions {
  /** "127.0.0.1:port" of the DNS server pebble resolves names with (and reads DNS-01 TXT records from). */
  dnsServer: string;
  /** Where pebble sends HTTP-01 validations (on the address the name resolves to). */
  httpPort: number;
  /** Extra environment (PEBBLE_AUTHZREUSE defaults to 0 so every order validates). */
  env?: Record<string, string>;
}

export interface PebbleServer {
  directoryUrl: string;
  /** The CA of pebble's API listener certificate: what the ACME client must trust. */
  apiCa: string;
  /** pebble's issuing root and intermediate (new at every start). */
  root(): Promise<string>;
  intermediate(): Promise<string>;
  /** What pebble wrote, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** GET an https URL trusting only `ca`; resolves with status and body. */
export function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ca, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
  });
}

export async function startPebble(options: PebbleOptions): Promise<PebbleServer> {
  const dir = await mkdtemp(join(tmpdir(), 'petrel-pebble-'));
  const ca = await createTestCa('Pebble API Test CA');
  const leaf = await issueCertificate(ca, ['localhost'], { ipAddresses: ['127.0.0.1'] });
  const [apiPort, managementPort, tlsPort] = await freePorts(3);
  await writeFile(join(dir, 'cert.pem'), leaf.chainPem);
  await writeFile(join(dir, 'key.pem'), leaf.keyPem, { mode: 0o600 });
  await writeFile(
    join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${apiPort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: join(dir, 'cert.pem'),
        privateKey: join(dir, 'key.pem'),
        httpPort: options.httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const child = spawn('pebble', ['-config', join(dir, 'pebble.json'), '-dnsserver', options.dnsServer, '-strict=false'], {
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };

  const directoryUrl = `https://127.0.0.1:${apiPort}/dir`;
  const management = `https://127.0.0.1:${managementPort}`;
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await httpsGet(directoryUrl, ca.certPem)).status === 200) break;
    } catch (err) {
      if (child.exitCode !== null || attempt > 200) {
        await stop();
        throw new Error(`pebble did not start: ${(err as Error).message}\n${output}`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const pem = async (path: string) => {
    const r = await httpsGet(`${management}${path}`, ca.certPem);
    if (r.status !== 200) throw new Error(`pebble ${path}: HTTP ${r.status}`);
    return r.body;
  };
  return { directoryUrl, apiCa: ca.certPem, root: () => pem('/roots/0'), intermediate: () => pem('/intermediates/0'), log: () => output, stop };
}

export interface ChallengeResponder {
  port: number;
  /** Tokens asked for, in order. */
  asked: string[];
  close(): Promise<void>;
}

/** HTTP on 127.0.0.1 answering GET /.well-known/acme-challenge/<token> with the store's key authorization (404 otherwise), as Petrel's [http] listener does. */
export async function startChallengeResponder(store: AcmeStore): Promise<ChallengeResponder> {
  const asked: string[] = [];
  const server: Server = createServer((req, res) => {
    const match = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '');
    if (req.method !== 'GET' || !match) {
      res.writeHead(404).end();
      return;
    }
    asked.push(match[1]!);
    store.challenge(match[1]!, Date.now()).then(
      (value) => (value === undefined ? res.writeHead(404).end() : res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(value)),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    asked,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
