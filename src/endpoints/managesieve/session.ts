/*
 * One ManageSieve connection: owns the socket and the framer, runs the
 * state machine (non-authenticated → authenticated, back with
 * UNAUTHENTICATE) and dispatches each parsed command through the handler
 * table. Every rule that applies to all commands is enforced here, once:
 * state, TLS before credentials, the bad-command and pre-login command
 * limits, the auth-failure limit, line and literal limits (the literal
 * limit is the script size once logged in), idle timeouts and the
 * STARTTLS plaintext purge.
 *
 * Commands run one at a time, their responses in order: the socket is
 * paused while a command runs and read again only when no complete
 * command is buffered, and no command starts while more than
 * MAX_PENDING_OUTPUT_BYTES of responses are unsent.
 *
 * Exports: ManageSieveSession, ManageSieveSessionDeps, SessionTimeouts.
 * Security: reads untrusted bytes before login (8 KiB lines and literals,
 * 60 s idle). AUTHENTICATE before TLS is refused with NO (ENCRYPT-NEEDED)
 * and nothing of it is read. Plaintext sent after STARTTLS is discarded.
 * Handler errors become NO (TRYLATER) to the client and the detail goes to
 * the log; passwords are never logged.
 * Standards: RFC 5804 sections 1.2-1.7 and 2, RFC 4616.
 */
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { accountAddress, type Directory } from '../../directory/directory.js';
import type { AuthFailures } from '../../net/auth-failures.js';
import type { UserClientLimiter } from '../../net/connection-limiter.js';
import {
  MAX_PRE_AUTH_LITERAL_BYTES,
  ManageSieveReader,
  allowedIn,
  encodeBye,
  encodeCapabilities,
  encodeChallenge,
  encodeNo,
  encodeOk,
  parseAuthResponse,
  parseCommand,
  type AuthResponse,
  type FrameEvent,
  type ManageSieveCommand,
  type ManageSieveState,
  type ResponseCode,
} from '../../proto/managesieve/index.js';
import type { SieveScripts } from '../../sieve-scripts/index.js';
import type { AccountRecord } from '../../store/types.js';
import type { Logger } from '../../telemetry/logger.js';
import type { CertificateRegistry } from '../../tls/index.js';
import { sessionCapabilities } from './capabilities.js';
import type { LoginOutcome, SessionApi } from './context.js';
import { handlerFor } from './handlers.js';
import { CLOSE_GRACE_MS, MAX_AUTH_FAILURES, MAX_BAD_COMMANDS, MAX_PENDING_OUTPUT_BYTES, MAX_PRE_LOGIN_COMMANDS, TLS_HANDSHAKE_MS } from './limits.js';

export interface SessionTimeouts {
  preLoginMs: number;
  postLoginMs: number;
}

export interface ManageSieveSessionDeps {
  directory: Directory;
  scripts: SieveScripts;
  certificates: CertificateRegistry;
  timeouts: SessionTimeouts;
  logger: Logger;
  /** MAXREDIRECTS as announced. */
  maxRedirects: number;
  /** The client's address (normalised), or 'local' for a unix socket. */
  client?: string;
  /** Failed logins shared with SMTP, IMAP and POP3: tarpit and ban. */
  authFailures?: AuthFailures;
  /** Sessions per user and client address. */
  userSlots?: UserClientLimiter;
}

export class ManageSieveSession implements SessionApi {
  readonly log: Logger;
  state: ManageSieveState = 'non-authenticated';
  secure = false;
  private user: AccountRecord | undefined;
  private socket: Socket;
  private reader = new ManageSieveReader();
  private readonly tlsOffered: boolean;
  private wake: (() => void) | null = null;
  private ended = false;
  private closing = false;
  private badCommands = 0;
  private authFailures = 0;
  private preLoginCommands = 0;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    socket: Socket,
    private readonly deps: ManageSieveSessionDeps,
    readonly id: string,
    options: { starttls: boolean },
  ) {
    this.socket = socket;
    this.tlsOffered = options.starttls;
    this.log = deps.logger;
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
    this.attach(socket);
  }

  get canStartTls(): boolean {
    return this.tlsOffered && !this.secure;
  }

  get account(): AccountRecord {
    if (!this.user) throw new Error('account used before login');
    return this.user;
  }

  /** The logged-in account, if any (for the endpoint's log line). */
  get loggedIn(): AccountRecord | undefined {
    return this.user;
  }

  get scripts(): SieveScripts {
    return this.deps.scripts;
  }

  /** Resolves once the socket is gone. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  /** Greets and serves commands until LOGOUT, a limit, a timeout or the peer's close. */
  async run(): Promise<void> {
    try {
      this.sendCapabilities('Petrel ManageSieve ready');
      for (;;) {
        // The script size may have changed (SIGHUP); it bounds the next literal.
        if (this.state === 'authenticated') this.reader.setLiteralLimit(this.deps.scripts.maxScriptSize);
        const event = await this.nextEvent();
        if (!event) break;
        await this.handle(event);
      }
    } finally {
      this.releaseSlot();
      this.finish();
    }
  }

  /** Server shutdown: BYE (TRYLATER), then close. */
  shutdown(): void {
    this.close('Server shutting down, try again later', 'TRYLATER');
  }

  destroy(): void {
    this.socket.destroy();
  }

  // SessionApi

  send(data: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(data);
  }

  ok(text?: string, code?: ResponseCode): void {
    this.send(encodeOk(text, code));
  }

  no(text?: string, code?: ResponseCode): void {
    this.send(encodeNo(text, code));
  }

  sendCapabilities(text = 'Capability completed'): void {
    const owner = this.user ? accountAddress(this.user) : undefined;
    this.send(Buffer.concat([encodeCapabilities(sessionCapabilities({ state: this.state, secure: this.secure, canStartTls: this.canStartTls, owner, maxRedirects: this.deps.maxRedirects })), encodeOk(text)]));
  }

  startTls(): void {
    this.ok('Begin TLS negotiation now');
    // Whatever the client sent after STARTTLS in plaintext is dropped here, never parsed.
    this.reader.clear();
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('timeout');
    raw.setTimeout(0);
    const secure = new tls.TLSSocket(raw, { ...this.deps.certificates.serverOptions('sieve'), isServer: true });
    const handshake = setTimeout(() => secure.destroy(), TLS_HANDSHAKE_MS);
    handshake.unref();
    secure.once('secure', () => {
      clearTimeout(handshake);
      this.log.info('starttls', { protocol: secure.getProtocol() ?? undefined, sni: (secure as tls.TLSSocket & { servername?: string | false }).servername || undefined });
      // RFC 5804 2.2: the capabilities again, now without STARTTLS and with SASL PLAIN.
      this.sendCapabilities('TLS negotiation successful');
    });
    this.socket = secure;
    this.secure = true;
    this.attach(secure);
  }

  async authenticate(user: string, password: string): Promise<AccountRecord | undefined> {
    if (this.deps.authFailures?.banned(this.deps.client ?? 'local')) return undefined;
    return this.deps.directory.authenticate(user, password);
  }

  login(account: AccountRecord): LoginOutcome {
    if (this.deps.userSlots && !this.deps.userSlots.acquire(account.id, this.deps.client ?? 'local')) return 'too-many-sessions';
    this.user = account;
    this.state = 'authenticated';
    this.reader.setLiteralLimit(this.deps.scripts.maxScriptSize);
    this.socket.setTimeout(this.deps.timeouts.postLoginMs);
    this.log.info('login', { user: accountAddress(account) });
    return 'ok';
  }

  logout(): void {
    this.log.info('unauthenticate', { user: this.user ? accountAddress(this.user) : undefined });
    this.releaseSlot();
    this.user = undefined;
    this.state = 'non-authenticated';
    this.preLoginCommands = 0;
    this.reader.setLiteralLimit(MAX_PRE_AUTH_LITERAL_BYTES);
    this.socket.setTimeout(this.deps.timeouts.preLoginMs);
  }

  async authFailed(reason: string, user: string): Promise<void> {
    this.authFailures++;
    const delay = this.deps.authFailures?.fail(this.deps.client ?? 'local', user) ?? 0;
    this.log.warn('auth-failed', { reason, user: user.slice(0, 256), failures: this.authFailures, delay_ms: delay || undefined });
    if (delay > 0) await new Promise<void>((resolve) => setTimeout(resolve, delay).unref());
    this.no('Authentication failed');
    if (this.authFailures >= MAX_AUTH_FAILURES) {
      this.log.warn('too-many-auth-failures', { failures: this.authFailures });
      this.close('Too many authentication failures');
    }
  }

  async readAuthResponse(challenge: string): Promise<AuthResponse | 'too-long' | null> {
    this.send(encodeChallenge(challenge));
    const event = await this.nextEvent();
    if (!event) return null;
    if (event.kind === 'fatal') {
      this.close('Literal too large');
      return null;
    }
    if (event.kind !== 'command') return 'too-long';
    return parseAuthResponse(event.parts);
  }

  end(): void {
    this.closing = true;
    this.socket.end();
    this.wakeUp();
  }

  // Internals

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      socket.pause();
      this.wakeUp();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wakeUp();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wakeUp();
      this.resolveClosed();
    });
    socket.on('error', (err) => {
      this.log.info('socket-error', { reason: err.message });
      this.ended = true;
      this.wakeUp();
    });
    socket.setTimeout(this.user ? this.deps.timeouts.postLoginMs : this.deps.timeouts.preLoginMs);
    socket.on('timeout', () => {
      this.log.info('idle-timeout', { state: this.state });
      this.close('Disconnected for inactivity');
    });
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Waits while the peer is not reading its responses; false once the connection is gone. */
  private async flush(): Promise<boolean> {
    const socket = this.socket;
    while (!socket.destroyed && socket.writable && socket.writableLength > MAX_PENDING_OUTPUT_BYTES) {
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.once('drain', done);
        socket.once('close', done);
      });
    }
    return !socket.destroyed && socket.writable;
  }

  /** The next framed event, reading more from the socket only when none is complete. */
  private async nextEvent(): Promise<FrameEvent | null> {
    for (;;) {
      if (this.closing || this.socket.destroyed) return null;
      if (this.socket.writableLength > MAX_PENDING_OUTPUT_BYTES) {
        if (!(await this.flush())) return null;
        continue;
      }
      const event = this.reader.next();
      if (event) return event;
      if (this.ended) return null;
      const waiting = new Promise<void>((resolve) => (this.wake = resolve));
      this.socket.resume();
      await waiting;
    }
  }

  private async handle(event: FrameEvent): Promise<void> {
    switch (event.kind) {
      case 'fatal':
        this.log.warn('literal-too-large', { reason: event.reason });
        this.close('Literal too large');
        return;
      case 'too-long':
        return this.bad('Line too long');
      case 'literal-too-large':
        if (this.state === 'authenticated' && (event.keyword === 'PUTSCRIPT' || event.keyword === 'CHECKSCRIPT')) {
          this.log.info('script-too-large', { command: event.keyword, size: event.size });
          this.no(`Script is larger than ${this.deps.scripts.maxScriptSize} octets`, 'QUOTA/MAXSIZE');
          return;
        }
        return this.bad('Literal too large');
      case 'command': {
        const parsed = parseCommand(event.parts);
        if (!parsed.ok) return this.bad(parsed.code === 'unknown-command' ? 'Unknown command' : `Syntax error: ${parsed.message}`);
        return this.dispatch(parsed.command);
      }
    }
  }

  /** The one place where state, TLS and limit rules are enforced. */
  private async dispatch(cmd: ManageSieveCommand): Promise<void> {
    if (this.state === 'non-authenticated' && ++this.preLoginCommands > MAX_PRE_LOGIN_COMMANDS) {
      this.log.warn('too-many-pre-login-commands', { count: this.preLoginCommands });
      this.close('Too many commands before login');
      return;
    }
    if (!allowedIn(cmd.name, this.state)) return this.bad(this.state === 'authenticated' ? `${cmd.name} is not allowed after login` : `Log in first: ${cmd.name} needs authentication`);
    const spec = handlerFor(cmd.name);
    if (spec.requiresTls && !this.secure) {
      this.log.info('plaintext-login-refused', { command: cmd.name });
      this.no('Authentication is only allowed after STARTTLS', 'ENCRYPT-NEEDED');
      // Counted like an invalid command: a client that keeps trying in plaintext is broken or probing.
      this.countBad();
      return;
    }
    try {
      await (spec.handler as (s: SessionApi, c: ManageSieveCommand) => Promise<void> | void)(this, cmd);
    } catch (err) {
      this.log.error('command-failed', { command: cmd.name, reason: err instanceof Error ? err.message : String(err) });
      this.no('Temporary server failure, try again later', 'TRYLATER');
    }
  }

  /** NO for an invalid command, counted towards MAX_BAD_COMMANDS. */
  private bad(text: string): void {
    this.no(text);
    this.countBad();
  }

  private countBad(): void {
    this.badCommands++;
    if (this.badCommands >= MAX_BAD_COMMANDS) {
      this.log.warn('too-many-bad-commands', { count: this.badCommands });
      this.close('Too many invalid commands');
    }
  }

  /** A last BYE, then close. */
  private close(text: string, code?: ResponseCode): void {
    if (this.closing) return;
    this.send(encodeBye(text, code));
    this.end();
    // A peer that never reads or closes is cut off.
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private releaseSlot(): void {
    if (this.user && this.deps.userSlots) this.deps.userSlots.release(this.user.id, this.deps.client ?? 'local');
  }

  private finish(): void {
    this.closing = true;
    if (!this.socket.destroyed) this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }
}
