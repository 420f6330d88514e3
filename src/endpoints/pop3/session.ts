/*
 * One POP3 connection: owns the socket and the line reader, runs the state
 * machine (AUTHORIZATION → TRANSACTION → UPDATE at QUIT) and dispatches
 * each parsed command through the handler table. Every rule that applies
 * to all commands is enforced here, once: state, TLS before credentials,
 * the bad-command and pre-login command limits, the auth-failure limit,
 * idle timeouts, the STLS plaintext purge and the maildrop lock's release.
 *
 * Commands run one at a time, their responses in order (PIPELINING): the
 * socket is paused while a command runs and read again only when no
 * complete line is buffered, and no command starts while more than
 * MAX_PENDING_OUTPUT_BYTES of responses are unsent, so a client that
 * pipelines without reading makes us hold at most one line limit of input
 * and a bounded amount of output.
 *
 * Exports: Pop3Session, Pop3SessionDeps, SessionTimeouts.
 * Security: reads untrusted bytes before login (1 KiB lines, 60 s idle).
 * USER/PASS/AUTH before TLS are refused with `-ERR [AUTH]` and nothing of
 * them is read. Plaintext sent after STLS is discarded. Handler errors
 * become `-ERR [SYS/TEMP]` to the client and the detail goes to the log;
 * passwords are never logged. A timeout, a limit or a dropped connection
 * never enters the UPDATE state: nothing is deleted.
 * Standards: RFC 1939 sections 3-6, RFC 2449 (PIPELINING, response codes),
 * RFC 2595 section 4 (STLS), RFC 3206, RFC 5034, RFC 8314.
 */
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { accountAddress, type Directory } from '../../directory/directory.js';
import { MailboxService, type BlobReader, type MailboxPorts } from '../../mailbox/index.js';
import type { MailboxEvents } from '../../mailbox/events.js';
import type { AuthFailures } from '../../net/auth-failures.js';
import {
  MAX_AUTH_LINE_BYTES,
  MAX_COMMAND_LINE_BYTES,
  Pop3LineReader,
  allowedIn,
  encodeContinuation,
  encodeErr,
  encodeOk,
  parseAuthResponse,
  parseCommand,
  type AuthResponse,
  type LineEvent,
  type Pop3Command,
  type Pop3State,
  type ResponseCode,
} from '../../proto/pop3/index.js';
import type { AccountRecord } from '../../store/types.js';
import type { Logger } from '../../telemetry/logger.js';
import type { CertificateRegistry } from '../../tls/index.js';
import { sessionCapabilities } from './capabilities.js';
import type { LoginOutcome, SessionApi } from './context.js';
import { handlerFor } from './handlers.js';
import { CLOSE_GRACE_MS, MAX_AUTH_FAILURES, MAX_BAD_COMMANDS, MAX_PENDING_OUTPUT_BYTES, MAX_PRE_LOGIN_COMMANDS, TLS_HANDSHAKE_MS } from './limits.js';
import type { MaildropLocks } from './locks.js';
import { Maildrop } from './maildrop.js';

export interface SessionTimeouts {
  preLoginMs: number;
  postLoginMs: number;
}

export interface Pop3SessionDeps {
  directory: Directory;
  ports: MailboxPorts;
  blobs?: BlobReader;
  certificates: CertificateRegistry;
  locks: MaildropLocks;
  timeouts: SessionTimeouts;
  logger: Logger;
  /** The client's address (normalised), or 'local' for a unix socket. */
  client?: string;
  /** Failed logins shared with SMTP and IMAP: tarpit and ban. */
  authFailures?: AuthFailures;
  /** The change feed: deletions and \Seen at QUIT reach IMAP sessions idling on the INBOX. */
  events?: MailboxEvents;
}

export class Pop3Session implements SessionApi {
  readonly log: Logger;
  state: Pop3State = 'authorization';
  secure: boolean;
  account: AccountRecord | undefined;
  pendingUser: string | undefined;
  private socket: Socket;
  private reader = new Pop3LineReader(MAX_COMMAND_LINE_BYTES);
  private drop: Maildrop | undefined;
  private service: MailboxService | undefined;
  private lockedMailbox: number | undefined;
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
    private readonly deps: Pop3SessionDeps,
    readonly id: string,
    options: { secure: boolean; starttls: boolean },
  ) {
    this.socket = socket;
    this.secure = options.secure;
    this.tlsOffered = options.starttls && !options.secure;
    this.log = deps.logger;
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
    this.attach(socket);
  }

  get directory(): Directory {
    return this.deps.directory;
  }

  get canStartTls(): boolean {
    return this.tlsOffered && !this.secure;
  }

  get maildrop(): Maildrop {
    if (!this.drop) throw new Error('maildrop used before login');
    return this.drop;
  }

  get mailboxes(): MailboxService {
    if (!this.service) throw new Error('mailboxes used before login');
    return this.service;
  }

  /** Resolves once the socket is gone. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  capabilities(): string[] {
    return sessionCapabilities(this.state, this.secure, this.canStartTls);
  }

  /** Greets and serves commands until QUIT, a limit, a timeout or the peer's close; the lock is released however it ends. */
  async run(): Promise<void> {
    try {
      this.ok('Petrel POP3 ready');
      for (;;) {
        const event = await this.nextEvent();
        if (!event) break;
        await this.handle(event);
      }
    } finally {
      this.releaseLock();
      this.finish();
    }
  }

  /** Server shutdown: -ERR [SYS/TEMP], then close (no UPDATE: nothing is deleted). */
  shutdown(): void {
    this.close('Server shutting down, try again later', 'SYS/TEMP');
  }

  destroy(): void {
    this.socket.destroy();
  }

  // SessionApi

  send(data: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(data);
  }

  async flush(): Promise<boolean> {
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

  ok(text: string, code?: ResponseCode): void {
    this.send(encodeOk(text, code));
  }

  err(text: string, code?: ResponseCode): void {
    this.send(encodeErr(text, code));
  }

  startTls(): void {
    this.ok('Begin TLS negotiation now');
    // Whatever the client sent after STLS in plaintext is dropped here, never parsed.
    this.reader.clear();
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('timeout');
    raw.setTimeout(0);
    const secure = new tls.TLSSocket(raw, { ...this.deps.certificates.serverOptions('pop3'), isServer: true });
    const handshake = setTimeout(() => secure.destroy(), TLS_HANDSHAKE_MS);
    handshake.unref();
    secure.once('secure', () => {
      clearTimeout(handshake);
      this.log.info('starttls', { protocol: secure.getProtocol() ?? undefined });
    });
    this.socket = secure;
    this.secure = true;
    this.attach(secure);
  }

  async login(account: AccountRecord): Promise<LoginOutcome> {
    const service = new MailboxService(this.deps.ports, account.id, this.deps.blobs, this.deps.events ? { events: this.deps.events, origin: this.id } : undefined);
    await service.ensureDefaultMailboxes();
    const inbox = await service.get('INBOX');
    if (!inbox) throw new Error('INBOX missing after ensureDefaultMailboxes');
    if (!this.deps.locks.acquire(inbox.id)) return 'in-use';
    this.lockedMailbox = inbox.id;
    try {
      // The message list is read after the lock is taken: it cannot include what a session that just ended deleted.
      this.drop = new Maildrop(inbox, await service.messages(inbox));
    } catch (err) {
      this.releaseLock();
      throw err;
    }
    this.service = service;
    this.account = account;
    this.state = 'transaction';
    this.socket.setTimeout(this.deps.timeouts.postLoginMs);
    this.log.info('login', { user: accountAddress(account), messages: this.drop.stat().count });
    return 'ok';
  }

  async authenticate(user: string, password: string): Promise<AccountRecord | undefined> {
    if (this.deps.authFailures?.banned(this.deps.client ?? 'local')) return undefined;
    return this.deps.directory.authenticate(user, password);
  }

  async authFailed(reason: string, user: string): Promise<void> {
    this.authFailures++;
    const delay = this.deps.authFailures?.fail(this.deps.client ?? 'local', user) ?? 0;
    this.log.warn('auth-failed', { reason, user: user.slice(0, 256), failures: this.authFailures, delay_ms: delay || undefined });
    if (delay > 0) await new Promise<void>((resolve) => setTimeout(resolve, delay).unref());
    this.err('Authentication failed', 'AUTH');
    if (this.authFailures >= MAX_AUTH_FAILURES) {
      this.log.warn('too-many-auth-failures', { failures: this.authFailures });
      this.close('Too many authentication failures');
    }
  }

  async readAuthResponse(challenge: string): Promise<AuthResponse | 'too-long' | null> {
    this.send(encodeContinuation(challenge));
    this.reader.setLimit(MAX_AUTH_LINE_BYTES);
    const event = await this.nextEvent();
    this.reader.setLimit(MAX_COMMAND_LINE_BYTES);
    if (!event) return null;
    if (event.kind === 'too-long') return 'too-long';
    return parseAuthResponse(event.line);
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
    socket.setTimeout(this.account ? this.deps.timeouts.postLoginMs : this.deps.timeouts.preLoginMs);
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

  /** The next line event, reading more from the socket only when none is complete. */
  private async nextEvent(): Promise<LineEvent | null> {
    for (;;) {
      if (this.closing || this.socket.destroyed) return null;
      if (this.socket.writableLength > MAX_PENDING_OUTPUT_BYTES) {
        // The peer is not reading its responses: wait for them to drain before the next command.
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

  private async handle(event: LineEvent): Promise<void> {
    if (event.kind === 'too-long') return this.bad('Line too long');
    const parsed = parseCommand(event.line);
    if (!parsed.ok) return this.bad(parsed.code === 'unknown-command' ? 'Unknown command' : `Syntax error: ${parsed.message}`);
    await this.dispatch(parsed.command);
  }

  /** The one place where state, TLS and limit rules are enforced. */
  private async dispatch(cmd: Pop3Command): Promise<void> {
    if (this.state === 'authorization' && ++this.preLoginCommands > MAX_PRE_LOGIN_COMMANDS) {
      this.log.warn('too-many-pre-login-commands', { count: this.preLoginCommands });
      this.close('Too many commands before login');
      return;
    }
    if (!allowedIn(cmd.name, this.state)) return this.bad(`${cmd.name} not allowed in this state`);
    const spec = handlerFor(cmd.name);
    if (spec.requiresTls && !this.secure) {
      this.log.info('plaintext-login-refused', { command: cmd.name });
      this.err('Plaintext authentication disallowed on non-secure (SSL/TLS) connections', 'AUTH');
      // Counted like an invalid command: a client that keeps trying in plaintext is broken or probing.
      this.countBad();
      return;
    }
    try {
      await (spec.handler as (s: SessionApi, c: Pop3Command) => Promise<void> | void)(this, cmd);
    } catch (err) {
      this.log.error('command-failed', { command: cmd.name, reason: err instanceof Error ? err.message : String(err) });
      this.err('Temporary server failure, try again later', 'SYS/TEMP');
    }
  }

  /** -ERR for an invalid command, counted towards MAX_BAD_COMMANDS. */
  private bad(text: string): void {
    this.err(text);
    this.countBad();
  }

  private countBad(): void {
    this.badCommands++;
    if (this.badCommands >= MAX_BAD_COMMANDS) {
      this.log.warn('too-many-bad-commands', { count: this.badCommands });
      this.close('Too many invalid commands');
    }
  }

  /** A last -ERR, then close without UPDATE. */
  private close(text: string, code?: ResponseCode): void {
    if (this.closing) return;
    this.err(text, code);
    this.end();
    // A peer that never reads or closes is cut off.
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private releaseLock(): void {
    if (this.lockedMailbox === undefined) return;
    this.deps.locks.release(this.lockedMailbox);
    this.lockedMailbox = undefined;
  }

  private finish(): void {
    this.closing = true;
    if (!this.socket.destroyed) this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }
}
