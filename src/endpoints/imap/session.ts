/*
 * One IMAP connection: owns the socket and the framer, runs the state
 * machine (not-authenticated → authenticated → selected → logout) and
 * dispatches each parsed command through the handler table. Every rule
 * that applies to all commands is enforced here, once: state, TLS
 * requirement, the bad-command limit, the auth-failure limit, idle
 * timeouts and the STARTTLS plaintext purge.
 *
 * Commands run one at a time: the socket is paused while a command runs
 * and read again only when the framer has no complete event left, and no
 * command starts while more than MAX_PENDING_OUTPUT_BYTES of responses
 * are unsent, so a pipelining client that never reads cannot make us
 * buffer more than one framed command or unbounded output.
 *
 * Changes made by others reach the session through the change feed
 * (mailbox/events.ts): the feed's callback only marks the session dirty;
 * the changes are read once and sent when the session may speak: in IDLE,
 * between commands under NOTIFY, and before the tagged reply of commands
 * where RFC 9051 7.5.1 allows EXPUNGE (PUSH_AFTER). A push finishes
 * before the next command starts and stops while the client is not
 * reading its responses.
 *
 * A command's responses are gathered and written together with its tagged
 * reply (or every OUTPUT_BATCH_BYTES): one write, one TLS record and one
 * segment for a typical command instead of one per response line, which
 * costs less CPU and, with Nagle's algorithm, would otherwise hold the
 * tagged reply back until the client's delayed ACK (40 ms on Linux).
 *
 * Exports: ImapSession, ImapSessionDeps, SessionTimeouts.
 * Security: reads untrusted bytes before login (framer pre-auth limits,
 * 60 s idle). Plaintext sent after STARTTLS is discarded with the old
 * framer. Handler errors become `NO [UNAVAILABLE]` to the client and the
 * detail goes to the log; passwords are never logged. Failed logins
 * feed the shared per-client counter (tarpit, ban); one account holds at
 * most a few sessions per client address.
 * After COMPRESS DEFLATE both directions go through compression.ts; the
 * rest of the session sees the same framer events and the same send().
 *
 * Standards: RFC 9051 sections 3, 5.4 (autologout), 6.2.1 (STARTTLS),
 * 7.1.5 (BYE), 7.5.1 (when EXPUNGE may be sent); RFC 2595; RFC 8314;
 * RFC 4978 (COMPRESS); RFC 2177 (IDLE); RFC 5465 (NOTIFY).
 */
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { MessageCommitter } from '../../delivery/committer.js';
import type { Directory } from '../../directory/directory.js';
import { accountAddress } from '../../directory/directory.js';
import type { MailboxChange, MailboxEvent, MailboxEvents } from '../../mailbox/events.js';
import { MailboxService, type BlobReader, type MailboxPorts } from '../../mailbox/index.js';
import type { AuthFailures } from '../../net/auth-failures.js';
import type { UserClientLimiter } from '../../net/connection-limiter.js';
import {
  ImapFramer,
  POST_AUTH_FRAMER_LIMITS,
  PRE_AUTH_FRAMER_LIMITS,
  allowedIn,
  encodeContinuation,
  encodeTagged,
  encodeUntaggedStatus,
  parseAuthResponse,
  parseCommand,
  type AuthResponse,
  type CommandName,
  type EncoderOptions,
  type FrameEvent,
  type ImapCommand,
  type ResponseCode,
  type StatusKind,
} from '../../proto/imap/index.js';
import type { AccountRecord } from '../../store/types.js';
import type { Logger } from '../../telemetry/logger.js';
import type { CertificateRegistry } from '../../tls/index.js';
import { sessionCapabilities } from './capabilities.js';
import { Compression } from './compression.js';
import type { ImapState, SelectedMailbox, SessionApi } from './context.js';
import { handlerFor } from './handlers.js';
import { announceChanges } from './mailbox-sync.js';
import { Notifier, wantsChange, type NotifySpec } from './notify.js';
import { MAX_AUTH_FAILURES, MAX_BAD_COMMANDS, MAX_PENDING_OUTPUT_BYTES, MAX_PRE_LOGIN_COMMANDS } from './limits.js';

/**
 * Batched responses are written once they reach this size, even before
 * the tagged reply: a big FETCH streams instead of growing one buffer.
 */
const OUTPUT_BATCH_BYTES = 64 * 1024;

export interface SessionTimeouts {
  preLoginMs: number;
  postLoginMs: number;
}

export interface ImapSessionDeps {
  directory: Directory;
  ports: MailboxPorts;
  /** Message bytes for FETCH of bodies; without it those items answer NO. */
  blobs?: BlobReader;
  /** Where APPEND commits messages (the commit worker in the server); without it APPEND answers NO. */
  committer?: MessageCommitter;
  certificates: CertificateRegistry;
  timeouts: SessionTimeouts;
  logger: Logger;
  /** The change feed: this session publishes its changes there and hears others' (IDLE, NOTIFY). */
  events?: MailboxEvents;
  /** The client's address (normalised), or 'local' for a unix socket. */
  client?: string;
  /** Failed logins shared with the other protocols: tarpit and ban. */
  authFailures?: AuthFailures;
  /** Sessions per account and client address (taken at login, released at close). */
  userSlots?: UserClientLimiter;
}

/**
 * Commands at whose end the changes of the selected mailbox made by others
 * are announced (before the tagged reply), expunges included. RFC 9051
 * 7.5.1 forbids EXPUNGE during FETCH, STORE and SEARCH by sequence number
 * (their UID forms are fine): after those, new messages and flag changes
 * are announced and expunges wait for the next command that allows them
 * (as Dovecot does); NOOP, CHECK and IDLE announce by themselves; commands
 * that change the connection (STARTTLS, LOGOUT, COMPRESS) or the
 * selection are left out.
 */
const PUSH_AFTER = new Set<CommandName>([
  'CAPABILITY', 'ID', 'ENABLE', 'NAMESPACE', 'LIST', 'LSUB', 'STATUS', 'CREATE', 'DELETE', 'RENAME', 'SUBSCRIBE', 'UNSUBSCRIBE',
  'COPY', 'MOVE', 'EXPUNGE', 'APPEND', 'GETQUOTA', 'GETQUOTAROOT', 'SETQUOTA', 'GETMETADATA', 'SETMETADATA', 'NOTIFY',
]);
const PUSH_AFTER_UID = new Set<CommandName>(['FETCH', 'STORE', 'SEARCH', 'SORT', 'THREAD']);
/** Commands that run announceChanges themselves: what was pending is told by them. */
const ANNOUNCES_ITSELF = new Set<CommandName>(['NOOP', 'CHECK']);

export class ImapSession implements SessionApi {
  readonly log: Logger;
  state: ImapState = 'not-authenticated';
  secure: boolean;
  account: AccountRecord | undefined;
  selected: SelectedMailbox | undefined;
  readonly enabled = new Set<string>();
  private socket: Socket;
  private framer = new ImapFramer(PRE_AUTH_FRAMER_LIMITS);
  private service: MailboxService | undefined;
  private compression: Compression | undefined;
  private tlsOffered: boolean;
  private wake: (() => void) | null = null;
  private ended = false;
  private badCommands = 0;
  private authFailures = 0;
  private preLoginCommands = 0;
  /** Unsubscribes from the selected mailbox's events. */
  private unwatchSelected: (() => void) | undefined;
  /** Others changed the selected mailbox since this session was last told. */
  private dirty = false;
  /** What kinds of change make it dirty (NOTIFY reports only the kinds asked for). */
  private readonly dirtyKinds = new Set<MailboxChange>();
  /** A command is running: only IDLE pushes now; NOTIFY waits for its end. */
  private inCommand = false;
  /** NOTIFY SET in force, and the unsubscribe of its account watch. */
  private notifier: Notifier | undefined;
  private unwatchAccount: (() => void) | undefined;
  /** In IDLE: changes are pushed as they happen. */
  private idling = false;
  /** Pushes wait for the socket to drain (a client that does not read). */
  private awaitingDrain = false;
  /** The running push of changes, if any (IDLE waits for it before its tagged OK). */
  private pushing: Promise<void> | undefined;
  /** The tagged reply held back while the end-of-command announcement runs. */
  private holdTag: string | undefined;
  private held: Buffer | undefined;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  /**
   * Responses not written yet: a command's untagged responses leave with its
   * tagged one, in one write. One object mutated in place, so a view of the
   * session made with Object.create (NOTIFY's quiet FETCH) shares it.
   */
  private readonly batch = { chunks: [] as Buffer[], bytes: 0, scheduled: false };

  constructor(
    socket: Socket,
    private readonly deps: ImapSessionDeps,
    readonly id: string,
    options: { secure: boolean; starttls: boolean },
  ) {
    this.socket = socket;
    this.secure = options.secure;
    this.tlsOffered = options.starttls && !options.secure;
    this.log = deps.logger;
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
    void this.closedPromise.then(() => {
      this.select(undefined);
      this.setNotify(null);
    });
    this.attach(socket);
  }

  get client(): string {
    return this.deps.client ?? 'local';
  }

  get directory(): Directory {
    return this.deps.directory;
  }

  get committer(): MessageCommitter | undefined {
    return this.deps.committer;
  }

  get canStartTls(): boolean {
    return this.tlsOffered && !this.secure;
  }

  get mailboxes(): MailboxService {
    if (!this.service) throw new Error('mailboxes used before login');
    return this.service;
  }

  get encoder(): EncoderOptions {
    return { utf8: this.enabled.has('IMAP4REV2') || this.enabled.has('UTF8=ACCEPT') };
  }

  get rev2(): boolean {
    return this.enabled.has('IMAP4REV2');
  }

  /** Resolves once the socket is gone. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  capabilities(): string[] {
    return sessionCapabilities(this.state, this.secure, this.canStartTls);
  }

  /** Greets and serves commands until LOGOUT, a limit, a timeout or the peer's close. */
  async run(): Promise<void> {
    this.send(encodeUntaggedStatus('OK', 'Petrel IMAP ready', { code: 'CAPABILITY', capabilities: this.capabilities() }));
    for (;;) {
      const event = await this.nextEvent();
      if (!event) break;
      await this.handle(event);
    }
    this.finish();
  }

  /** Server shutdown: BYE, then close. */
  shutdown(text: string): void {
    if (this.state === 'logout') return;
    this.bye(text);
  }

  destroy(): void {
    this.socket.destroy();
  }

  // SessionApi

  send(data: Buffer): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    const batch = this.batch;
    batch.chunks.push(data);
    batch.bytes += data.length;
    if (batch.bytes >= OUTPUT_BATCH_BYTES) this.writeOut();
    else if (!batch.scheduled) {
      // Responses sent outside a command (none waits for a tagged reply) leave at the end of this turn.
      batch.scheduled = true;
      setImmediate(() => {
        batch.scheduled = false;
        this.writeOut();
      });
    }
  }

  async flush(): Promise<boolean> {
    // The batch itself stays under OUTPUT_BATCH_BYTES; only the socket's buffer can grow.
    const socket = this.socket;
    while (!socket.destroyed && socket.writable && this.pendingOutput() > MAX_PENDING_OUTPUT_BYTES) {
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done);
          socket.off('close', done);
          this.compression?.off(done);
          resolve();
        };
        socket.once('drain', done);
        socket.once('close', done);
        this.compression?.onDrain(done);
      });
    }
    return !socket.destroyed && socket.writable;
  }

  get compressed(): boolean {
    return this.compression !== undefined;
  }

  startCompression(tag: string): void {
    this.tagged(tag, 'OK', 'DEFLATE active');
    // Bytes the client sent after COMPRESS without waiting for the OK were not compressed: dropped with the old framer.
    const mode = this.framer.getMode();
    this.framer = new ImapFramer(POST_AUTH_FRAMER_LIMITS);
    this.framer.setMode(mode);
    this.compression = new Compression(this.socket, () => this.wakeUp(), (err) => {
      this.log.info('compression-error', { reason: err.message });
      this.ended = true;
      this.socket.destroy();
      this.wakeUp();
    });
    this.log.info('compress', { mechanism: 'DEFLATE' });
  }

  tagged(tag: string, kind: StatusKind, text: string, code?: ResponseCode): void {
    const reply = encodeTagged(tag, kind, text, code);
    if (tag === this.holdTag && !this.held) this.held = reply;
    else {
      this.send(reply);
      this.writeOut();
    }
  }

  enable(capability: string): void {
    this.enabled.add(capability);
  }

  startTls(tag: string): void {
    this.tagged(tag, 'OK', 'Begin TLS negotiation now');
    // Whatever the client sent after STARTTLS in plaintext is dropped with the old framer.
    this.framer = new ImapFramer(PRE_AUTH_FRAMER_LIMITS);
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('timeout');
    raw.setTimeout(0);
    const secure = new tls.TLSSocket(raw, { ...this.deps.certificates.serverOptions('imap'), isServer: true });
    this.socket = secure;
    this.secure = true;
    this.attach(secure);
    secure.once('secure', () => this.log.info('starttls', { protocol: secure.getProtocol() ?? undefined }));
  }

  async authenticate(user: string, password: string): Promise<AccountRecord | undefined> {
    // A banned client's guesses are not even checked: a right password would tell it nothing.
    if (this.deps.authFailures?.banned(this.client)) return undefined;
    return this.deps.directory.authenticate(user, password);
  }

  async login(account: AccountRecord): Promise<boolean> {
    const slots = this.deps.userSlots;
    if (slots && !slots.acquire(account.id, this.client)) {
      this.log.warn('too-many-user-connections', { user: accountAddress(account), client: this.client });
      return false;
    }
    try {
      // Folders first: if the store fails the client gets NO and the session stays unauthenticated.
      const service = new MailboxService(this.deps.ports, account.id, this.deps.blobs, this.deps.events ? { events: this.deps.events, origin: this.id } : undefined);
      await service.ensureDefaultMailboxes();
      this.service = service;
    } catch (err) {
      slots?.release(account.id, this.client);
      throw err;
    }
    if (slots) void this.closedPromise.then(() => slots.release(account.id, this.client));
    this.account = account;
    this.state = 'authenticated';
    this.framer.setLimits(POST_AUTH_FRAMER_LIMITS);
    this.socket.setTimeout(this.deps.timeouts.postLoginMs);
    this.log.info('login', { user: accountAddress(account) });
    return true;
  }

  async authFailed(tag: string, reason: string, user: string): Promise<void> {
    this.authFailures++;
    const delay = this.deps.authFailures?.fail(this.client, user) ?? 0;
    this.log.warn('auth-failed', { reason, user: user.slice(0, 256), failures: this.authFailures, client: this.client, delay_ms: delay || undefined });
    // The tarpit: the answer (and so the next guess on this connection) waits.
    if (delay > 0) await new Promise<void>((resolve) => setTimeout(resolve, delay).unref());
    this.tagged(tag, 'NO', 'Authentication failed', { code: 'AUTHENTICATIONFAILED' });
    if (this.authFailures >= MAX_AUTH_FAILURES) this.bye('Too many authentication failures');
  }

  async readAuthResponse(challenge: string): Promise<AuthResponse | null> {
    this.send(encodeContinuation(challenge));
    this.framer.setMode('authenticate');
    const event = await this.nextEvent();
    this.framer.setMode('command');
    if (!event) return null;
    if (event.kind === 'line') return parseAuthResponse(event.line);
    if (event.kind === 'error' && event.error.fatal) {
      this.bye('Protocol error');
      return null;
    }
    return { kind: 'invalid' };
  }

  select(mailbox: SelectedMailbox | undefined): void {
    this.selected = mailbox;
    if (this.state !== 'logout') this.state = mailbox ? 'selected' : this.account ? 'authenticated' : 'not-authenticated';
    this.unwatchSelected?.();
    this.unwatchSelected = undefined;
    this.dirty = false;
    this.dirtyKinds.clear();
    if (!mailbox || !this.deps.events) return;
    this.unwatchSelected = this.deps.events.watchMailbox(mailbox.record.id, (e) => this.onSelectedChange(e));
    // A change made between SELECT's read and this watch: one look at the mailbox's HIGHESTMODSEQ.
    void this.deps.ports.mailboxes.getMailbox(mailbox.record.accountId, mailbox.record.name).then(
      (now) => {
        if (now && now.highestModseq > mailbox.modseq && this.selected === mailbox) this.onSelectedChange({ type: 'messages', accountId: now.accountId, mailboxId: now.id, changes: [] });
      },
      () => {},
    );
  }

  setNotify(spec: NotifySpec | null): Notifier | undefined {
    this.unwatchAccount?.();
    this.unwatchAccount = undefined;
    this.notifier = undefined;
    if (!spec || !this.account || !this.deps.events) return undefined;
    const notifier = new Notifier(spec);
    this.notifier = notifier;
    this.unwatchAccount = this.deps.events.watchAccount(this.account.id, (e) => {
      if (notifier.note(e, this.selected?.record.id) && this.canPushNotifications()) this.schedulePush();
    });
    return notifier;
  }

  async idle(): Promise<Buffer | null> {
    this.send(encodeContinuation('idling'));
    this.framer.setMode('idle');
    this.idling = true;
    if (this.dirty || (this.notifier && !this.notifier.idle)) this.schedulePush();
    const event = await this.nextEvent();
    this.idling = false;
    this.framer.setMode('command');
    // No update may follow the tagged reply that ends IDLE.
    await this.pushing;
    if (!event) return null;
    if (event.kind === 'line') return event.line;
    if (event.kind === 'error' && event.error.fatal) {
      this.bye('Protocol error');
      return null;
    }
    return Buffer.alloc(0);
  }

  logout(): void {
    this.state = 'logout';
    this.writeOut();
    this.endOutput();
    this.wakeUp();
  }

  // Internals

  /** The change feed's callback for the selected mailbox: never I/O here, only a mark and a schedule. */
  private onSelectedChange(event: MailboxEvent): void {
    // This session's own STORE/EXPUNGE/COPY/MOVE already answered for themselves.
    if (event.origin === this.id) return;
    this.dirty = true;
    if (event.type === 'messages') for (const c of event.changes) this.dirtyKinds.add(c);
    if (this.canPushSelected()) this.schedulePush();
  }

  /** May the selected mailbox's changes be sent now, with no command asking? */
  private canPushSelected(): boolean {
    if (this.idling) return true;
    const sel = this.notifier?.spec.selected;
    if (!sel || this.inCommand) return false;
    // SELECTED-DELAYED: expunges wait for a command that allows EXPUNGE (RFC 5465 section 6).
    if (sel.delayed && this.dirtyKinds.has('expunge')) return false;
    return wantsChange(sel.events, this.dirtyKinds);
  }

  private canPushNotifications(): boolean {
    return this.idling || !this.inCommand;
  }

  /** announceChanges, plus NOTIFY's MessageNew fetch attributes for the messages it added. */
  private async announceSelected(options: { expunges?: boolean } = {}): Promise<void> {
    const sel = this.selected!;
    this.dirty = false;
    this.dirtyKinds.clear();
    const highest = sel.view.count ? sel.view.uidAt(sel.view.count)! : 0;
    await announceChanges(this, options);
    if (sel.withheld) {
      // Expunges kept back are still to tell: at the next command that allows them.
      this.dirty = true;
      this.dirtyKinds.add('expunge');
    }
    if (this.selected !== sel || !this.notifier?.spec.selected?.fetchAtts) return;
    let first = sel.view.count;
    while (first >= 1 && sel.view.uidAt(first)! > highest) first--;
    await this.notifier.fetchNew(this, first + 1, sel.view.count);
  }

  /** Announces the selected mailbox's changes; a burst of events in one turn costs one announcement. */
  private schedulePush(): void {
    if (this.pushing) return;
    this.pushing = (async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        while (!this.socket.destroyed && this.state !== 'logout') {
          if (this.pendingOutput() > MAX_PENDING_OUTPUT_BYTES) {
            // A client that does not read gets nothing more until it does: the MODSEQ log keeps what it
            // has not been told, and NOTIFY's pending set overflows into NOTIFICATIONOVERFLOW.
            if (!this.awaitingDrain) {
              this.awaitingDrain = true;
              void this.flush().then(() => {
                this.awaitingDrain = false;
                if ((this.dirty && this.canPushSelected()) || (this.notifier && !this.notifier.idle && this.canPushNotifications())) this.schedulePush();
              });
            }
            break;
          }
          if (this.dirty && this.selected && this.canPushSelected()) await this.announceSelected();
          else if (this.notifier && !this.notifier.idle && this.canPushNotifications()) {
            if (!(await this.notifier.flush(this))) this.setNotify(null);
          } else break;
        }
      } catch (err) {
        this.log.error('push-failed', { reason: err instanceof Error ? err.message : String(err) });
      } finally {
        this.pushing = undefined;
      }
    })();
  }

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      if (this.compression) this.compression.input(chunk);
      else this.framer.push(chunk);
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
      this.bye('Autologout; idle for too long');
    });
  }

  /** Response bytes not yet handed to the kernel. */
  pendingOutput(): number {
    return this.compression ? this.compression.pending : this.socket.writableLength;
  }

  /** Ends the connection after what was sent (the compressed stream finished first). */
  private endOutput(): void {
    if (this.compression) this.compression.end();
    else this.socket.end();
  }

  /** Writes the batched responses, one socket write (one TLS record up to 16 KiB) for all of them. */
  private writeOut(): void {
    const batch = this.batch;
    if (batch.chunks.length === 0) return;
    const data = batch.chunks.length === 1 ? batch.chunks[0]! : Buffer.concat(batch.chunks, batch.bytes);
    batch.chunks.length = 0;
    batch.bytes = 0;
    if (this.socket.destroyed || !this.socket.writable) return;
    if (this.compression) this.compression.write(data);
    else this.socket.write(data);
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** The next framer event, reading more from the socket only when none is complete. */
  private async nextEvent(): Promise<FrameEvent | null> {
    for (;;) {
      if (this.state === 'logout') return null;
      if (this.socket.destroyed) return null;
      if (this.pendingOutput() > MAX_PENDING_OUTPUT_BYTES) {
        // The peer is not reading its responses: wait for them to drain before the next command.
        const drained = new Promise<void>((resolve) => (this.wake = resolve));
        this.socket.once('drain', () => this.wakeUp());
        await drained;
        continue;
      }
      const event = this.framer.next();
      if (event) return event;
      if (this.compression) {
        // Inflated bytes go to the framer only as it needs them (compression.ts).
        const chunk = this.compression.read();
        if (chunk) {
          this.framer.push(chunk);
          continue;
        }
        if (this.compression.busy) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          continue;
        }
      }
      if (this.ended) return null;
      const waiting = new Promise<void>((resolve) => (this.wake = resolve));
      this.socket.resume();
      await waiting;
    }
  }

  private async handle(event: FrameEvent): Promise<void> {
    switch (event.kind) {
      case 'continue':
        this.send(encodeContinuation('Ready for literal data'));
        return;
      case 'line':
        // Only expected in idle/authenticate mode, which the handler reads itself.
        return;
      case 'error': {
        const e = event.error;
        if (e.fatal) {
          this.log.info('frame-error', { code: e.code });
          this.bye('Protocol error');
          return;
        }
        if (e.tag && e.command === 'APPEND' && e.code === 'literal-too-large') this.tagged(e.tag, 'NO', 'Message too large', { code: 'TOOBIG' });
        else this.bad(e.tag, 'Command too large');
        return;
      }
      case 'command': {
        const parsed = parseCommand(event.unit, this.encoder);
        if (!parsed.ok) {
          const err = parsed.error;
          if (err.code === 'bad-charset' && err.tag) this.tagged(err.tag, 'NO', 'Unsupported charset', { code: 'BADCHARSET', charsets: ['UTF-8'] });
          else this.bad(err.tag, err.code === 'unknown-command' ? 'Unknown command' : `Syntax error: ${err.message}`);
          return;
        }
        await this.dispatch(parsed.command);
      }
    }
  }

  /** The one place where state, implementation and TLS rules are enforced. */
  private async dispatch(cmd: ImapCommand): Promise<void> {
    if (this.state === 'not-authenticated' && ++this.preLoginCommands > MAX_PRE_LOGIN_COMMANDS) {
      this.log.warn('too-many-pre-login-commands', { count: this.preLoginCommands });
      this.bye('Too many commands before login');
      return;
    }
    const spec = handlerFor(cmd.name);
    if (this.state === 'logout' || !allowedIn(cmd.name, this.state)) return this.bad(cmd.tag, `${cmd.name} not allowed in this state`);
    if (spec.requiresTls && !this.secure) {
      this.log.info('plaintext-login-refused', { command: cmd.name });
      this.tagged(cmd.tag, 'NO', 'TLS required before login', { code: 'PRIVACYREQUIRED' });
      // Counted like a BAD: a client that keeps trying in plaintext is broken or probing.
      this.countBad();
      return;
    }
    const bySequence = !cmd.uid && PUSH_AFTER_UID.has(cmd.name);
    const push = PUSH_AFTER.has(cmd.name) || PUSH_AFTER_UID.has(cmd.name);
    if (push) this.holdTag = cmd.tag;
    // A push under way finishes before the command starts: no update lands inside its responses.
    await this.pushing;
    this.inCommand = true;
    if (ANNOUNCES_ITSELF.has(cmd.name)) {
      this.dirty = false;
      this.dirtyKinds.clear();
    }
    try {
      await (spec.handler as (s: SessionApi, c: ImapCommand) => Promise<void> | void)(this, cmd);
    } catch (err) {
      this.log.error('command-failed', { command: cmd.name, reason: err instanceof Error ? err.message : String(err) });
      this.tagged(cmd.tag, 'NO', 'Temporary server failure, try again', { code: 'UNAVAILABLE' });
    }
    this.inCommand = false;
    if (!push) return this.afterCommand();
    const held = this.held;
    this.holdTag = undefined;
    this.held = undefined;
    try {
      if (this.dirty && this.selected && this.state === 'selected') await this.announceSelected({ expunges: !bySequence });
    } catch (err) {
      this.log.error('push-failed', { reason: err instanceof Error ? err.message : String(err) });
    }
    if (held) this.send(held);
    // The announcement and the held tagged reply leave together.
    this.writeOut();
    this.afterCommand();
  }

  /** Between commands NOTIFY sends what waited for the command to end. */
  private afterCommand(): void {
    if ((this.dirty && this.canPushSelected()) || (this.notifier && !this.notifier.idle)) this.schedulePush();
  }

  /** BAD (tagged, or untagged without a tag), counted towards MAX_BAD_COMMANDS. */
  private bad(tag: string | null, text: string): void {
    if (tag) this.tagged(tag, 'BAD', text);
    else this.send(encodeUntaggedStatus('BAD', text));
    this.countBad();
  }

  private countBad(): void {
    this.badCommands++;
    if (this.badCommands >= MAX_BAD_COMMANDS) {
      this.log.warn('too-many-bad-commands', { count: this.badCommands });
      this.bye('Too many invalid commands');
    }
  }

  private bye(text: string): void {
    if (this.state === 'logout') return;
    this.send(encodeUntaggedStatus('BYE', text));
    this.state = 'logout';
    this.writeOut();
    this.endOutput();
    // A peer that never reads or closes is cut off.
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.wakeUp();
  }

  private finish(): void {
    if (this.state !== 'logout') this.state = 'logout';
    this.writeOut();
    if (!this.socket.destroyed) this.endOutput();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }
}
