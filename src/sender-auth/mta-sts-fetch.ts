/*
 * The default MTA-STS policy fetcher: GET
 * https://mta-sts.<domain>/.well-known/mta-sts.txt over node:https, with
 * the policy host's addresses resolved through Petrel's DNS client (the
 * operator's resolvers, not the system's), each address tried in turn
 * (IPv6 first, then IPv4, as the SMTP client does) until one completes a
 * TLS handshake.
 *
 * Exports: HttpsPolicyFetcher, HttpsPolicyFetcherOptions, POLICY_PATH,
 * MAX_POLICY_BYTES, FETCH_TIMEOUT_MS, CONNECT_TIMEOUT_MS,
 * MAX_POLICY_HOST_ADDRESSES.
 * Security: talks to a host named by a recipient domain (sender-chosen):
 * the certificate must be valid for mta-sts.<domain> and chain to a
 * trusted CA, the body is bounded before it is buffered, the whole fetch
 * (DNS included) is bounded in time, and at most a few addresses are
 * tried. Only IP addresses from our DNS client are connected to, so no
 * other resolver is ever asked.
 * Standards: RFC 8461 section 3.2 (the URL; media type text/plain, its
 * parameters ignored), 3.3 (certificate valid for the Policy Host; only
 * 200 counts; redirects not followed; no HTTP caching; a timeout and a
 * 64 KiB body limit), 7.1 (SNI names the Policy Host), 7.2 (TLS 1.2 or
 * later). RFC 8461 suggests a one-minute timeout; we take 15 seconds,
 * since the fetch delays a delivery attempt.
 */
import { request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { DnsAnswer, DnsClient } from '../dns/client.js';
import type { MtaStsPolicyFetcher, PolicyFetchResult } from './mta-sts.js';

export const POLICY_PATH = '/.well-known/mta-sts.txt';
/** RFC 8461 section 3.3's suggested maximum policy size. */
export const MAX_POLICY_BYTES = 65_536;
/** The whole fetch, DNS and every address included. */
export const FETCH_TIMEOUT_MS = 15_000;
/** Per address, until the TLS handshake completes, so a black-holed address leaves time for the next. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** Addresses of the policy host tried per fetch. */
export const MAX_POLICY_HOST_ADDRESSES = 4;

export interface HttpsPolicyFetcherOptions {
  dns: DnsClient;
  /** Default 443; tests use a loopback port. */
  port?: number;
  /** Trusted CAs instead of the system's (tests). */
  ca?: string | Buffer | (string | Buffer)[];
  /** Default FETCH_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Default CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number;
}

/** An attempt at one address: final once the server answered (or time ran out), else try the next address. */
type Attempt = { final: true; result: PolicyFetchResult } | { final: false; reason: string };

const failure = (reason: string): PolicyFetchResult => ({ ok: false, reason });

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const message = err instanceof Error ? err.message : String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Resolves with the promise's value, or with undefined once the signal aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value); },
      (err: unknown) => { signal.removeEventListener('abort', onAbort); reject(err); },
    );
  });
}

export class HttpsPolicyFetcher implements MtaStsPolicyFetcher {
  private readonly dns: DnsClient;
  private readonly port: number;
  private readonly ca: HttpsPolicyFetcherOptions['ca'];
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;

  constructor(options: HttpsPolicyFetcherOptions) {
    this.dns = options.dns;
    this.port = options.port ?? 443;
    this.ca = options.ca;
    this.timeoutMs = options.timeoutMs ?? FETCH_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  }

  /** domain: the Policy Domain as an A-label. */
  async fetch(domain: string): Promise<PolicyFetchResult> {
    const host = `mta-sts.${domain}`;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs);
    const timedOut = () => failure(`https://${host}${POLICY_PATH}: no complete answer within ${this.timeoutMs} ms`);
    try {
      const addresses = await untilAborted(this.addresses(host), deadline.signal);
      if (addresses === undefined) return timedOut();
      if (!Array.isArray(addresses)) return addresses;
      const errors: string[] = [];
      for (const address of addresses) {
        const attempt = await this.attempt(address, host, deadline.signal);
        if (attempt.final) return attempt.result;
        errors.push(`${address}: ${attempt.reason}`);
        if (deadline.signal.aborted) return timedOut();
      }
      return failure(`https://${host}${POLICY_PATH}: ${errors.join('; ')}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private async addresses(host: string): Promise<string[] | PolicyFetchResult> {
    const [v6, v4] = await Promise.all([this.dns.aaaa(host), this.dns.a(host)]);
    const ips = (answer: DnsAnswer<string>) => (answer.ok ? answer.records.filter((r) => isIP(r) !== 0) : []);
    const addresses = [...ips(v6), ...ips(v4)].slice(0, MAX_POLICY_HOST_ADDRESSES);
    if (addresses.length > 0) return addresses;
    const trouble = [v6, v4].find((a) => !a.ok && a.kind === 'temporary');
    if (trouble && !trouble.ok) return failure(`address lookup for ${host} failed: ${trouble.detail}`);
    return failure(`${host} has no address`);
  }

  private attempt(address: string, host: string, signal: AbortSignal): Promise<Attempt> {
    const options: RequestOptions = {
      host: address,
      port: this.port,
      path: POLICY_PATH,
      method: 'GET',
      servername: host,
      headers: { host: this.port === 443 ? host : `${host}:${this.port}`, accept: 'text/plain' },
      agent: false,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ...(this.ca === undefined ? {} : { ca: this.ca }),
    };
    return new Promise<Attempt>((resolve) => {
      let settled = false;
      const finish = (attempt: Attempt) => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        signal.removeEventListener('abort', onAbort);
        req.destroy();
        resolve(attempt);
      };
      const final = (result: PolicyFetchResult) => finish({ final: true, result });
      const onAbort = () => final(failure(`https://${host}${POLICY_PATH}: no complete answer within ${this.timeoutMs} ms`));
      const req = request(options);
      const connectTimer = setTimeout(() => finish({ final: false, reason: `no TLS connection within ${this.connectTimeoutMs} ms` }), this.connectTimeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('socket', (socket) => socket.once('secureConnect', () => clearTimeout(connectTimer)));
      req.on('error', (err) => finish({ final: false, reason: describe(err) }));
      req.on('response', (res) => this.read(res, host, final));
      req.end();
    });
  }

  /** Checks the status and media type, then reads the body up to MAX_POLICY_BYTES. */
  private read(res: IncomingMessage, host: string, final: (result: PolicyFetchResult) => void): void {
    const url = `https://${host}${POLICY_PATH}`;
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      final(failure(`${url}: HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`));
      return;
    }
    const mediaType = (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (mediaType !== 'text/plain') {
      final(failure(`${url}: media type ${mediaType === '' ? '(none)' : mediaType}, not text/plain`));
      return;
    }
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > MAX_POLICY_BYTES) {
      final(failure(`${url}: policy of ${declared} bytes, over ${MAX_POLICY_BYTES}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_POLICY_BYTES) final(failure(`${url}: policy over ${MAX_POLICY_BYTES} bytes`));
      else chunks.push(chunk);
    });
    res.on('end', () => {
      try {
        final({ ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)) });
      } catch {
        final(failure(`${url}: policy is not UTF-8`));
      }
    });
    res.on('error', (err) => final(failure(`${url}: ${describe(err)}`)));
    res.on('close', () => final(failure(`${url}: connection closed before the end of the policy`)));
  }
}
