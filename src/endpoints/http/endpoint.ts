/*
 * The HTTP (80) and HTTPS (443) listeners: Node's http and https servers
 * running the Hono application of app.ts. HTTPS takes its certificate by
 * SNI from the registry like every other TLS listener, with the https
 * ALPN policy (only http/1.1: an `imap` or `smtp` offer is refused,
 * ALPACA), and is re-keyed when certificates change (an ACME renewal is
 * served on the next handshake).
 *
 * Exports: HttpEndpoint, HttpEndpointDeps.
 * Security: exposed to the Internet; header size, header and request
 * time, idle time, TLS handshake time and connections are bounded
 * (limits.ts); a failed handshake is logged, never answered.
 * Standards: RFC 9110, RFC 9112, RFC 8446 via Node, RFC 7301 (ALPN).
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { normalizeIp } from '../../net/ip.js';
import { bindServer, type ListenAddress } from '../../net/listen.js';
import type { Logger } from '../../telemetry/logger.js';
import type { CertificateRegistry } from '../../tls/index.js';
import { httpApp, type HttpAppDeps } from './app.js';
import { HANDSHAKE_TIMEOUT_MS, HEADERS_TIMEOUT_MS, KEEP_ALIVE_MS, MAX_CONNECTIONS, MAX_HEADER_BYTES, REQUEST_TIMEOUT_MS } from './limits.js';

export interface HttpEndpointDeps extends Omit<HttpAppDeps, 'log'> {
  certificates: CertificateRegistry;
  logger: Logger;
}

export class HttpEndpoint {
  private readonly servers: http.Server[] = [];
  private readonly unsubscribe: () => void;
  private readonly listener: http.RequestListener;

  constructor(private readonly deps: HttpEndpointDeps) {
    const log = deps.logger.child({}, deps.secure ? 'https' : 'http');
    const app = httpApp({ ...deps, log: (e) => log.info('request', { method: e.method, host: e.host || null, path: e.path.slice(0, 200), status: e.status }) });
    this.listener = getRequestListener(app.fetch, {
      errorHandler: (err) => {
        log.error('request failed', { reason: err instanceof Error ? err.message : String(err) });
        return new Response('internal error', { status: 500 });
      },
    }) as unknown as http.RequestListener;
    this.unsubscribe = deps.certificates.onChange(() => {
      for (const s of this.servers) if (s instanceof https.Server) s.setSecureContext(deps.certificates.serverOptions('https'));
    });
  }

  async listen(address: ListenAddress): Promise<void> {
    const options = { maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_MS };
    let server: http.Server;
    if (this.deps.secure) {
      const secure = https.createServer({ ...this.deps.certificates.serverOptions('https'), ...options, handshakeTimeout: HANDSHAKE_TIMEOUT_MS }, this.listener);
      secure.on('tlsClientError', (err, socket: Socket) => {
        this.deps.logger.info('tls-handshake-failed', { client: socket.remoteAddress ? normalizeIp(socket.remoteAddress) : undefined, reason: err.message });
      });
      server = secure;
    } else {
      server = http.createServer(options, this.listener);
    }
    server.maxConnections = MAX_CONNECTIONS;
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    await bindServer(server, address);
    this.servers.push(server);
  }

  /** Stops accepting, lets requests in flight finish within graceMs, then closes every connection. */
  async close(graceMs: number): Promise<void> {
    this.unsubscribe();
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const s of this.servers) s.closeIdleConnections();
    const timer = setTimeout(() => {
      for (const s of this.servers) s.closeAllConnections();
    }, graceMs);
    timer.unref();
    await Promise.all(closed);
    clearTimeout(timer);
  }
}
