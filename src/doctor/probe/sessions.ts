/*
 * The doctor's network edges on a real machine: open a session to one of
 * the server's listeners as its clients do (SMTP and LMTP greet and EHLO,
 * IMAP reads its greeting, POP3 its +OK; STARTTLS where the port upgrades,
 * TLS from the first byte where it is implicit), and find which process
 * holds a TCP port (Linux: /proc/net/tcp and the processes' descriptors).
 *
 * Exports: openTls, openPlain, portHolder, httpsRequest.
 * Security: connects only where the caller points (the server's own
 * listeners); certificates are not verified here: the checks read the
 * verdict (authorized, authorizationError) and decide.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import https from 'node:https';
import { LineClient, type TlsView } from './line-client.js';
import type { HttpAnswer, ServiceEndpoint, TlsProbeOptions } from '../network/types.js';

const TIMEOUT_MS = 10_000;
const EHLO_NAME = 'doctor.petrel.invalid';

function tlsOptions(o: TlsProbeOptions) {
  return {
    servername: o.servername,
    rejectUnauthorized: false,
    ...(o.minVersion ? { minVersion: o.minVersion } : {}),
    ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
    ...(o.ciphers ? { ciphers: o.ciphers } : {}),
    ...(o.alpn ? { ALPNProtocols: o.alpn } : {}),
  };
}

/**
 * What a client reads and asks first: the greeting (not after STARTTLS, where the server sends none), then EHLO/LHLO,
 * CAPABILITY or CAPA, whose answer is returned with it.
 */
async function greet(client: LineClient, protocol: ServiceEndpoint['protocol'], afterStartTls = false): Promise<string> {
  if (protocol === 'smtp' || protocol === 'lmtp') {
    const banner = afterStartTls ? '' : await client.read('smtp');
    client.send(`${protocol === 'lmtp' ? 'LHLO' : 'EHLO'} ${EHLO_NAME}`);
    return `${banner}\r\n${await client.read('smtp')}`;
  }
  if (protocol === 'imap') {
    const greeting = afterStartTls ? '' : await client.read('line');
    client.send('c1 CAPABILITY');
    return `${greeting}\r\n${await client.read({ imapTag: 'c1' })}`;
  }
  if (protocol === 'pop3') {
    const greeting = afterStartTls ? '' : await client.read('pop3');
    client.send('CAPA');
    let capa = await client.read('pop3');
    if (capa.startsWith('+OK')) {
      for (let line = await client.read('line'); line !== '.'; line = await client.read('line')) capa += `\r\n${line}`;
    }
    return `${greeting}\r\n${capa}`;
  }
  return '';
}

export async function openPlain(endpoint: ServiceEndpoint): Promise<{ client: LineClient; greeting: string }> {
  const client = await LineClient.connect(endpoint.host, endpoint.port, { timeoutMs: TIMEOUT_MS });
  try {
    return { client, greeting: await greet(client, endpoint.protocol) };
  } catch (err) {
    client.close();
    throw err;
  }
}

export async function openTls(endpoint: ServiceEndpoint, options: TlsProbeOptions): Promise<{ client: LineClient; tls: TlsView; before: string }> {
  if (endpoint.security === 'implicit') {
    const client = await LineClient.connect(endpoint.host, endpoint.port, { timeoutMs: TIMEOUT_MS, implicitTls: tlsOptions(options) });
    const view = client.tls!;
    if (endpoint.protocol !== 'http') {
      try {
        await greet(client, endpoint.protocol);
      } catch (err) {
        client.close();
        throw err;
      }
    }
    return { client, tls: view, before: '' };
  }
  const { client, greeting } = await openPlain(endpoint);
  try {
    const command = endpoint.protocol === 'imap' ? 'c2 STARTTLS' : endpoint.protocol === 'pop3' ? 'STLS' : 'STARTTLS';
    client.send(command);
    const reply = await client.read(endpoint.protocol === 'imap' ? { imapTag: 'c2' } : endpoint.protocol === 'pop3' ? 'pop3' : 'smtp');
    if (!/^(220|\+OK|c2 OK)/.test(reply)) throw new Error(`${command} refused: ${reply.split('\r\n').pop()}`);
    const view = await client.upgrade(tlsOptions(options));
    await greet(client, endpoint.protocol, true);
    return { client, tls: view, before: greeting };
  } catch (err) {
    client.close();
    throw err;
  }
}

/** "pid 1234 (nginx: master process)" for the process listening on port, when this is Linux and we may look. */
export async function portHolder(port: number): Promise<string | undefined> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; the inode is field 9.
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of (await readdir('/proc').catch(() => [] as string[])).filter((p) => /^\d+$/.test(p))) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1]!)) {
        const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean).join(' ');
        return `pid ${pid} (${cmd.slice(0, 120) || 'unknown'})`;
      }
    }
  }
  return 'another process (not visible to this user)';
}

/** An HTTPS request to endpoint with name as SNI and Host; the certificate is not verified (the TLS checks judge it). */
export function httpsRequest(endpoint: ServiceEndpoint, request: { name: string; path: string; method?: 'GET' | 'POST'; body?: string }): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: endpoint.host, port: endpoint.port, servername: request.name, path: request.path, method: request.method ?? 'GET', headers: { host: request.name, ...(request.body ? { 'content-type': 'text/xml' } : {}) }, rejectUnauthorized: false, timeout: TIMEOUT_MS, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (body.length > 256 * 1024) req.destroy(new Error('answer too large'));
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer in time')));
    req.on('error', reject);
    req.end(request.body);
  });
}
