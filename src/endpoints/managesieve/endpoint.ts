/*
 * The ManageSieve listener (4190): plaintext with STARTTLS through the
 * shared ListenerSet, upgraded with the registry's "sieve" options
 * (certificates by SNI, the ALPN policy that accepts `managesieve` and
 * refuses http/1.1). Each accepted socket gets a ManageSieveSession; the
 * endpoint tracks sessions for shutdown and per-IP and per-user slots.
 *
 * Exports: ManageSieveEndpoint, ManageSieveEndpointDeps.
 * Security: fully exposed to the Internet. One client IP (IPv6 /64) holds
 * at most maxConnectionsPerIp sockets, one user from one address at most
 * MAX_CONNECTIONS_PER_USER_IP sessions; clients banned for failed logins
 * (the AuthFailures shared with SMTP, IMAP and POP3) are refused at
 * connect; TLS handshakes time out.
 * Standards: RFC 5804 (port 4190, STARTTLS only: there is no implicit-TLS
 * port), RFC 7301 and the ALPACA advice (ALPN).
 */
import type { Socket } from 'node:net';
import { newSessionId } from '../../core/ids.js';
import type { Directory } from '../../directory/directory.js';
import { AuthFailures } from '../../net/auth-failures.js';
import { ConnectionLimiter, UserClientLimiter } from '../../net/connection-limiter.js';
import { normalizeIp } from '../../net/ip.js';
import type { ListenAddress } from '../../net/listen.js';
import { encodeBye } from '../../proto/managesieve/index.js';
import type { SieveScripts } from '../../sieve-scripts/index.js';
import type { Logger } from '../../telemetry/logger.js';
import type { CertificateRegistry } from '../../tls/index.js';
import { ListenerSet } from '../listeners.js';
import { CLOSE_GRACE_MS, MAX_CONNECTIONS_PER_IP, MAX_CONNECTIONS_PER_USER_IP, POST_LOGIN_IDLE_MS, PRE_LOGIN_IDLE_MS, TLS_HANDSHAKE_MS } from './limits.js';
import { ManageSieveSession, type SessionTimeouts } from './session.js';

export interface ManageSieveEndpointDeps {
  directory: Directory;
  /** The users' scripts with the [managesieve] limits. */
  scripts: SieveScripts;
  certificates: CertificateRegistry;
  logger: Logger;
  /** MAXREDIRECTS as announced: what the interpreter allows one message. */
  maxRedirects: number;
  /** Defaults PRE_LOGIN_IDLE_MS / POST_LOGIN_IDLE_MS; tests shorten them. */
  timeouts?: Partial<SessionTimeouts>;
  maxConnectionsPerIp?: number;
  /** Failed logins shared with SMTP AUTH, IMAP and POP3 (give the server's one); without it this endpoint counts its own. */
  authFailures?: AuthFailures;
}

export class ManageSieveEndpoint {
  private readonly limiter: ConnectionLimiter;
  private readonly userSlots = new UserClientLimiter(MAX_CONNECTIONS_PER_USER_IP);
  private readonly listeners: ListenerSet;
  private readonly sessions = new Set<ManageSieveSession>();
  private readonly timeouts: SessionTimeouts;
  private readonly authFailures: AuthFailures;

  constructor(private readonly deps: ManageSieveEndpointDeps) {
    this.limiter = new ConnectionLimiter(deps.maxConnectionsPerIp ?? MAX_CONNECTIONS_PER_IP);
    this.timeouts = { preLoginMs: deps.timeouts?.preLoginMs ?? PRE_LOGIN_IDLE_MS, postLoginMs: deps.timeouts?.postLoginMs ?? POST_LOGIN_IDLE_MS };
    this.authFailures = deps.authFailures ?? new AuthFailures();
    this.listeners = new ListenerSet({ protocol: 'sieve', security: 'starttls', certificates: deps.certificates, logger: deps.logger, handshakeTimeoutMs: TLS_HANDSHAKE_MS, accept: (socket) => this.accept(socket) });
  }

  listen(address: ListenAddress): Promise<void> {
    return this.listeners.listen(address);
  }

  /** The bound port of the first TCP listener (tests listen on port 0). */
  port(): number {
    return this.listeners.port();
  }

  /** Stops accepting, says BYE to every session, and destroys those still open after graceMs. */
  close(graceMs: number): Promise<void> {
    return this.listeners.close(this.sessions, graceMs, (s) => s.shutdown());
  }

  private refuse(socket: Socket, text: string): void {
    socket.on('error', () => {});
    socket.end(encodeBye(text, 'TRYLATER'));
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private accept(socket: Socket): void {
    const id = newSessionId();
    const client = socket.remoteAddress ? normalizeIp(socket.remoteAddress) : 'local';
    const log = this.deps.logger.child({ session: id }, 'managesieve');
    if (client !== 'local' && this.authFailures.banned(client)) {
      log.warn('banned-client-refused', { client });
      return this.refuse(socket, 'Too many failed logins from your address, try again later');
    }
    if (!this.limiter.acquire(client)) {
      log.warn('too-many-connections', { client });
      return this.refuse(socket, 'Too many connections from your address');
    }
    log.info('connect', { client, port: socket.localPort });
    const session = new ManageSieveSession(
      socket,
      { directory: this.deps.directory, scripts: this.deps.scripts, certificates: this.deps.certificates, timeouts: this.timeouts, logger: log, maxRedirects: this.deps.maxRedirects, client, authFailures: this.authFailures, userSlots: this.userSlots },
      id,
      { starttls: true },
    );
    this.sessions.add(session);
    void session.closed.then(() => {
      this.sessions.delete(session);
      this.limiter.release(client);
      log.info('disconnect', {});
    });
    session.run().catch((err: unknown) => {
      log.error('session-failed', { reason: err instanceof Error ? err.message : String(err) });
      session.destroy();
    });
  }
}
