/*
 * The IMAP listeners: 143 (plaintext with STARTTLS) and 993 (implicit TLS
 * through the shared ListenerSet with the registry's IMAP options: SNI and the
 * ALPN policy that refuses http/1.1). Each accepted socket gets an
 * ImapSession; the endpoint tracks sessions for shutdown and per-IP slots.
 *
 * Exports: ImapEndpoint, ImapEndpointDeps, ImapSecurity.
 * Security: fully exposed to the Internet. One client IP (IPv6 /64) holds
 * at most maxConnectionsPerIp sockets, and one account from one IP at most
 * maxConnectionsPerUserIp sessions; clients banned for failed logins (the
 * shared AuthFailures) are refused at connect; TLS handshakes time out; handshake
 * failures (including ALPN refusals) are logged, not answered.
 * Standards: RFC 9051, RFC 8314 (implicit TLS on 993), RFC 2595
 * (STARTTLS), RFC 7301 and the ALPACA advice (ALPN).
 */
import type { Socket } from 'node:net';
import { newSessionId } from '../../core/ids.js';
import type { MessageCommitter } from '../../delivery/committer.js';
import type { Directory } from '../../directory/directory.js';
import { MailboxEvents } from '../../mailbox/events.js';
import type { BlobReader, MailboxPorts } from '../../mailbox/index.js';
import { AuthFailures } from '../../net/auth-failures.js';
import { ConnectionLimiter, UserClientLimiter } from '../../net/connection-limiter.js';
import { normalizeIp } from '../../net/ip.js';
import type { ListenAddress } from '../../net/listen.js';
import { encodeUntaggedStatus } from '../../proto/imap/index.js';
import type { Logger } from '../../telemetry/logger.js';
import type { CertificateRegistry } from '../../tls/index.js';
import { ListenerSet, type ListenerSecurity } from '../listeners.js';
import { MAX_CONNECTIONS_PER_IP, MAX_CONNECTIONS_PER_USER_IP, POST_LOGIN_IDLE_MS, PRE_LOGIN_IDLE_MS, TLS_HANDSHAKE_MS } from './limits.js';
import { ImapSession, type SessionTimeouts } from './session.js';

/** starttls: port 143; implicit: port 993. */
export type ImapSecurity = ListenerSecurity;

export interface ImapEndpointDeps {
  security: ImapSecurity;
  directory: Directory;
  /** The store's mailbox, subscription and message ports (a MetadataStore fits). */
  store: MailboxPorts;
  /** The blob store holding message bytes (FETCH of bodies); read-only use. */
  blobs?: BlobReader;
  /** The group committer APPEND stores through (the server's WorkerCommitter); without it APPEND answers NO. */
  committer?: MessageCommitter;
  certificates: CertificateRegistry;
  logger: Logger;
  /** Defaults PRE_LOGIN_IDLE_MS / POST_LOGIN_IDLE_MS; tests shorten them. */
  timeouts?: Partial<SessionTimeouts>;
  maxConnectionsPerIp?: number;
  /** Sessions of one account from one client address; default MAX_CONNECTIONS_PER_USER_IP. */
  maxConnectionsPerUserIp?: number;
  /** A per-user-and-address table shared with the other IMAP listener (143 and 993 count together); overrides maxConnectionsPerUserIp. */
  userSlots?: UserClientLimiter;
  /**
   * Failed logins shared with SMTP AUTH and the other listeners (give the
   * server's one); without it this endpoint counts its own. Banned clients
   * are refused at connect.
   */
  authFailures?: AuthFailures;
  /**
   * The change feed shared with the committer (publishDeliveries) and the
   * other IMAP listener; without it each endpoint has its own, and sessions
   * hear only each other.
   */
  events?: MailboxEvents;
}

export class ImapEndpoint {
  private readonly deps: ImapEndpointDeps;
  private readonly limiter: ConnectionLimiter;
  private readonly listeners: ListenerSet;
  private readonly sessions = new Set<ImapSession>();
  private readonly timeouts: SessionTimeouts;
  private readonly events: MailboxEvents;
  private readonly authFailures: AuthFailures;
  private readonly userSlots: UserClientLimiter;

  constructor(deps: ImapEndpointDeps) {
    this.deps = deps;
    this.events = deps.events ?? new MailboxEvents();
    this.authFailures = deps.authFailures ?? new AuthFailures();
    this.userSlots = deps.userSlots ?? new UserClientLimiter(deps.maxConnectionsPerUserIp ?? MAX_CONNECTIONS_PER_USER_IP);
    this.limiter = new ConnectionLimiter(deps.maxConnectionsPerIp ?? MAX_CONNECTIONS_PER_IP);
    this.timeouts = { preLoginMs: deps.timeouts?.preLoginMs ?? PRE_LOGIN_IDLE_MS, postLoginMs: deps.timeouts?.postLoginMs ?? POST_LOGIN_IDLE_MS };
    this.listeners = new ListenerSet({ protocol: 'imap', security: deps.security, certificates: deps.certificates, logger: deps.logger, handshakeTimeoutMs: TLS_HANDSHAKE_MS, accept: (socket, secure) => this.accept(socket, secure) });
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
    return this.listeners.close(this.sessions, graceMs, (s) => s.shutdown('Server shutting down'));
  }

  private accept(socket: Socket, secure: boolean): void {
    // A response is several writes (untagged lines, then the tagged one): without this,
    // Nagle holds the last one until the client's delayed ACK, about 40 ms a command.
    socket.setNoDelay(true);
    const id = newSessionId();
    const client = socket.remoteAddress ? normalizeIp(socket.remoteAddress) : 'local';
    const log = this.deps.logger.child({ session: id }, 'imap');
    if (client !== 'local' && this.authFailures.banned(client)) {
      log.warn('banned-client-refused', { client });
      socket.end(encodeUntaggedStatus('BYE', 'Too many failed logins from your address, try again later'));
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    if (!this.limiter.acquire(client)) {
      log.warn('too-many-connections', { client });
      socket.end(encodeUntaggedStatus('BYE', 'Too many connections from your address'));
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    log.info('connect', { client, port: socket.localPort, tls: secure });
    const session = new ImapSession(socket, { directory: this.deps.directory, ports: this.deps.store, blobs: this.deps.blobs, committer: this.deps.committer, certificates: this.deps.certificates, timeouts: this.timeouts, logger: log, events: this.events, client, authFailures: this.authFailures, userSlots: this.userSlots }, id, {
      secure,
      starttls: this.deps.security === 'starttls',
    });
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
