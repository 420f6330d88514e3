/*
 * The listening side shared by the IMAP, POP3 and ManageSieve endpoints: plaintext
 * listeners (the protocol's STARTTLS/STLS port) or implicit-TLS listeners
 * built from the certificate registry's options for the protocol (SNI,
 * ALPN policy), re-keyed when certificates change; and the shutdown
 * sequence (stop accepting, tell each session, wait for the grace period,
 * destroy what is left).
 *
 * Exports: ListenerSet, ClosableSession, ListenerSecurity.
 * Security: TLS handshakes time out after handshakeTimeoutMs; a failed
 * handshake (including an ALPN refusal) is logged, never answered.
 * Standards: RFC 8314 (implicit TLS), RFC 7301 (ALPN).
 */
import { createServer, type Server, type Socket } from 'node:net';
import tls from 'node:tls';
import { normalizeIp } from '../net/ip.js';
import { bindServer, type ListenAddress } from '../net/listen.js';
import type { Logger } from '../telemetry/logger.js';
import type { CertificateRegistry } from '../tls/index.js';

/** starttls: the plaintext port that upgrades (143, 110); implicit: TLS from the first byte (993, 995). */
export type ListenerSecurity = 'starttls' | 'implicit';

export interface ClosableSession {
  readonly closed: Promise<void>;
  destroy(): void;
}

export class ListenerSet {
  private readonly listeners: Server[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly options: {
      protocol: 'imap' | 'pop3' | 'sieve';
      security: ListenerSecurity;
      certificates: CertificateRegistry;
      logger: Logger;
      handshakeTimeoutMs: number;
      /** Called with each accepted socket; secure is true on implicit-TLS listeners. */
      accept: (socket: Socket, secure: boolean) => void;
    },
  ) {
    const { certificates, protocol } = options;
    this.unsubscribe = certificates.onChange(() => {
      for (const l of this.listeners) if (l instanceof tls.Server) l.setSecureContext(certificates.serverOptions(protocol));
    });
  }

  async listen(address: ListenAddress): Promise<void> {
    const { accept, certificates, protocol, logger } = this.options;
    let server: Server;
    if (this.options.security === 'implicit') {
      const secure = tls.createServer({ ...certificates.serverOptions(protocol), handshakeTimeout: this.options.handshakeTimeoutMs }, (s) => accept(s, true));
      secure.on('tlsClientError', (err, socket) => {
        logger.info('tls-handshake-failed', { client: socket.remoteAddress ? normalizeIp(socket.remoteAddress) : undefined, reason: err.message });
      });
      server = secure;
    } else {
      server = createServer((s) => accept(s, false));
    }
    await bindServer(server, address);
    this.listeners.push(server);
  }

  /** The bound port of the first TCP listener (tests listen on port 0). */
  port(): number {
    const a = this.listeners[0]?.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  /** Stops accepting, calls farewell on every session, and destroys those still open after graceMs. */
  async close<S extends ClosableSession>(sessions: ReadonlySet<S>, graceMs: number, farewell: (s: S) => void): Promise<void> {
    this.unsubscribe();
    const closing = this.listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve())));
    for (const s of sessions) farewell(s);
    const all = Promise.all([...sessions].map((s) => s.closed));
    const timer = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([all, timer]);
    for (const s of sessions) s.destroy();
    await Promise.all(closing);
  }
}
