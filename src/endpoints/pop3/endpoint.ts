/*
 * The POP3 listeners: 110 (plaintext with STLS) and 995 (implicit TLS
 * through the shared ListenerSet with the registry's POP3 options: certificates
 * by SNI and the ALPN policy that accepts `pop3` and refuses http/1.1).
 * Each accepted socket gets a Pop3Session; the endpoint tracks sessions for
 * shutdown and per-IP slots.
 *
 * Exports: Pop3Endpoint, Pop3EndpointDeps, Pop3Security.
 * Security: fully exposed to the Internet. One client IP (IPv6 /64) holds
 * at most maxConnectionsPerIp sockets; clients banned for failed logins
 * (the AuthFailures shared with SMTP and IMAP) are refused at connect;
 * TLS handshakes time out; handshake
 * failures (including ALPN refusals) are logged, not answered. The 110
 * and 995 endpoints share one maildrop lock table (SHARED_MAILDROP_LOCKS
 * unless `locks` is given).
 * Standards: RFC 1939, RFC 8314 (implicit TLS on 995), RFC 2595 (STLS),
 * RFC 7301 and the ALPACA advice (ALPN).
 */
import type { Socket } from 'node:net';
import { newSessionId } from '../../core/ids.js';
import type { Directory } from '../../directory/directory.js';
import type { BlobReader, MailboxPorts } from '../../mailbox/index.js';
import { ConnectionLimiter } from '../../net/connection-limiter.js';
import type { MailboxEvents } from '../../mailbox/events.js';
import { AuthFailures } from '../../net/auth-failures.js';
import { normalizeIp } from '../../net/ip.js';
import type { ListenAddress } from '../../net/listen.js';
import { encodeErr } from '../../proto/pop3/index.js';
import type { Logger } from '../../telemetry/logger.js';
import type { CertificateRegistry } from '../../tls/index.js';
import { ListenerSet, type ListenerSecurity } from '../listeners.js';
import { CLOSE_GRACE_MS, MAX_CONNECTIONS_PER_IP, POST_LOGIN_IDLE_MS, PRE_LOGIN_IDLE_MS, TLS_HANDSHAKE_MS } from './limits.js';
import { SHARED_MAILDROP_LOCKS, type MaildropLocks } from './locks.js';
import { Pop3Session, type SessionTimeouts } from './session.js';

/** starttls: port 110; implicit: port 995. */
export type Pop3Security = ListenerSecurity;

export interface Pop3EndpointDeps {
  security: Pop3Security;
  directory: Directory;
  /** The store's mailbox, subscription and message ports (a MetadataStore fits). */
  store: MailboxPorts;
  /** The blob store holding message bytes (RETR, TOP); read-only use. */
  blobs?: BlobReader;
  certificates: CertificateRegistry;
  logger: Logger;
  /** Defaults PRE_LOGIN_IDLE_MS / POST_LOGIN_IDLE_MS; tests shorten them. */
  timeouts?: Partial<SessionTimeouts>;
  maxConnectionsPerIp?: number;
  /** One session per mailbox across every endpoint given the same table; defaults to the process-wide one. */
  locks?: MaildropLocks;
  /**
   * Failed logins shared with SMTP AUTH and IMAP (give the server's one);
   * without it this endpoint counts its own. Banned clients are refused at
   * connect.
   */
  authFailures?: AuthFailures;
  /** The change feed shared with IMAP (the server's): what QUIT deletes or marks \Seen is pushed to IDLE and NOTIFY sessions. */
  events?: MailboxEvents;
}

export class Pop3Endpoint {
  private readonly deps: Pop3EndpointDeps;
  private readonly limiter: ConnectionLimiter;
  private readonly listeners: ListenerSet;
  private readonly sessions = new Set<Pop3Session>();
  private readonly timeouts: SessionTimeouts;
  private readonly locks: MaildropLocks;
  private readonly authFailures: AuthFailures;

  constructor(deps: Pop3EndpointDeps) {
    this.deps = deps;
    this.limiter = new ConnectionLimiter(deps.maxConnectionsPerIp ?? MAX_CONNECTIONS_PER_IP);
    this.timeouts = { preLoginMs: deps.timeouts?.preLoginMs ?? PRE_LOGIN_IDLE_MS, postLoginMs: deps.timeouts?.postLoginMs ?? POST_LOGIN_IDLE_MS };
    this.locks = deps.locks ?? SHARED_MAILDROP_LOCKS;
    this.authFailures = deps.authFailures ?? new AuthFailures();
    this.listeners = new ListenerSet({ protocol: 'pop3', security: deps.security, certificates: deps.certificates, logger: deps.logger, handshakeTimeoutMs: TLS_HANDSHAKE_MS, accept: (socket, secure) => this.accept(socket, secure) });
  }

  /** Listens on one address with this endpoint's security. */
  listen(address: ListenAddress): Promise<void> {
    return this.listeners.listen(address);
  }

  /** The bound port of the first TCP listener (tests listen on port 0). */
  port(): number {
    return this.listeners.port();
  }

  /** Stops accepting, says goodbye to every session, and destroys those still open after graceMs. */
  close(graceMs: number): Promise<void> {
    return this.listeners.close(this.sessions, graceMs, (s) => s.shutdown());
  }

  private accept(socket: Socket, secure: boolean): void {
    const id = newSessionId();
    const client = socket.remoteAddress ? normalizeIp(socket.remoteAddress) : 'local';
    const log = this.deps.logger.child({ session: id }, 'pop3');
    if (client !== 'local' && this.authFailures.banned(client)) {
      log.warn('banned-client-refused', { client });
      socket.on('error', () => {});
      socket.end(encodeErr('Too many failed logins from your address, try again later', 'SYS/TEMP'));
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      return;
    }
    if (!this.limiter.acquire(client)) {
      log.warn('too-many-connections', { client });
      socket.on('error', () => {});
      socket.end(encodeErr('Too many connections from your address', 'SYS/TEMP'));
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      return;
    }
    log.info('connect', { client, port: socket.localPort, tls: secure });
    const session = new Pop3Session(
      socket,
      { directory: this.deps.directory, ports: this.deps.store, blobs: this.deps.blobs, certificates: this.deps.certificates, locks: this.locks, timeouts: this.timeouts, logger: log, client, authFailures: this.authFailures, events: this.deps.events },
      id,
      { secure, starttls: this.deps.security === 'starttls' },
    );
    this.sessions.add(session);
    void session.closed.then(() => {
      this.sessions.delete(session);
      this.limiter.release(client);
      log.info('disconnect', { user: session.account ? `${session.account.local}@${session.account.domain}` : undefined });
    });
    session.run().catch((err: unknown) => {
      log.error('session-failed', { reason: err instanceof Error ? err.message : String(err) });
      session.destroy();
    });
  }
}
