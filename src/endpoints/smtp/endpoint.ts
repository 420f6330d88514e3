/*
 * The SMTP-family listeners on smtp-server: MX (25), submission (587,
 * STARTTLS), submissions (465, implicit TLS) and LMTP (24). smtp-server
 * does the framing, STARTTLS (with the plaintext purge), AUTH exchanges,
 * early-talker and HTTP-verb detection; this file holds the policy:
 * per-client limits, who may log in, which sender and recipients are
 * allowed, error limits with tarpitting, and handing DATA to the pipeline.
 *
 * Every role refuses relaying unless authenticated; LMTP trusts its client
 * (an MTA on loopback) only to the extent of delivering to hosted users.
 *
 * Security: fully exposed to the Internet (MX) or to users (submission).
 * Peer input: commands (capped at MAX_COMMAND_LINE), addresses (parsed by
 * core/address, relay hacks refused), message bytes (size-capped while
 * streaming, then core cleanup). AUTH only after TLS; failed AUTH is
 * counted per client with the other protocols' failures (net/auth-failures:
 * tarpit, then a ban). Replies carry
 * generic text; the log gets the detail.
 * Standards: RFC 5321, RFC 6409 (submission), RFC 8314 (implicit TLS),
 * RFC 2033 (LMTP), RFC 4954 (AUTH), RFC 3207 (STARTTLS), RFC 1870 (SIZE),
 * RFC 3463 (enhanced codes).
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import tls from 'node:tls';
import type { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerAddress, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';
import { parseAddress } from '../../core/address.js';
import { MailError, asMailError } from '../../core/errors.js';
import { newQueueId } from '../../core/ids.js';
import type { Directory } from '../../directory/directory.js';
import type { Target } from '../../directory/resolve.js';
import type { MessageCommitter } from '../../delivery/committer.js';
import { AuthFailures } from '../../net/auth-failures.js';
import { SendingLimits } from '../../net/sending-limits.js';
import { ConnectionLimiter } from '../../net/connection-limiter.js';
import { inNetworks, normalizeIp } from '../../net/ip.js';
import { bindServer, type ListenAddress } from '../../net/listen.js';
import { acceptMessage, type AcceptRecipient, type Source } from '../../pipeline/accept.js';
import type { SieveDelivery, SieveFilterFacts } from '../../delivery/sieve/index.js';
import type { AccountRecord } from '../../store/types.js';
import type { Logger } from '../../telemetry/logger.js';
import type { CertificateRegistry } from '../../tls/index.js';
import type { FilterPipeline } from '../../filters/pipeline.js';
import type { ClientInfo } from '../../filters/types.js';
import { installEnhancedCodePassThrough } from './enhanced-codes.js';
import { SessionFilters } from './filtering.js';
import { ClientRates } from '../../net/client-rates.js';
import { installProtocolGuards } from './protocol-guards.js';
import { installImmediateGreeting } from './greeting.js';
import { countLibraryErrorReplies } from './error-replies.js';
import { HANDSHAKE_TIMEOUT_MS, MAX_COMMAND_LINE, MAX_UNAUTHENTICATED_COMMANDS } from './limits.js';

export type SmtpRole = 'mx' | 'submission' | 'submissions' | 'lmtp';

export interface SmtpLimits {
  max_message_size: number;
  max_recipients: number;
  max_received_headers: number;
  max_connections: number;
  max_connections_per_ip: number;
  max_errors: number;
  error_delay: number;
  greeting_delay: number;
  trusted_networks: string[];
  timeout: number;
  user_messages_per_hour: number;
  user_recipients_per_hour: number;
  client_connection_rate: number;
  client_message_rate: number;
  client_recipient_rate: number;
}

export interface SmtpEndpointDeps {
  role: SmtpRole;
  hostname: string;
  directory: Directory;
  committer: MessageCommitter;
  certificates: CertificateRegistry;
  limits: SmtpLimits;
  logger: Logger;
  /** False when the data disk is nearly full: MAIL answers 452 4.3.1. */
  hasSpace?: () => boolean;
  /**
   * Failed logins shared with IMAP and the other listeners (give the
   * server's one); without it this endpoint counts its own. A banned
   * client is refused on submission ports and its AUTH always fails.
   */
  authFailures?: AuthFailures;
  /** Per-user sending limits shared by the submission listeners (give the server's one); without it this endpoint keeps its own. */
  sendingLimits?: SendingLimits;
  /** Per-client connection, message and recipient rates of the MX, shared by its listeners (give the server's one). */
  clientRates?: ClientRates;
  /** The checks of incoming mail (filters/), run inside the session; without it, none. */
  filters?: FilterPipeline;
  /** Our authserv-id: incoming Authentication-Results claiming it are removed before filtering (default: hostname). */
  authservId?: string;
  /** Runs local recipients' Sieve scripts at delivery (delivery/sieve); absent: no scripts run. */
  sieve?: Pick<SieveDelivery, 'plan'>;
}

interface SessionState {
  log: Logger;
  errors: number;
  /** The client whose per-IP slot this session holds; unset if it never got one. */
  slot?: string;
  account?: AccountRecord;
  recipients: AcceptRecipient[];
  /** The message's queue id, chosen at MAIL so the filters' log lines carry it. */
  queueId?: string;
  filters?: SessionFilters;
}

const SOURCES: Record<SmtpRole, Source> = { mx: 'mx', submission: 'submission', submissions: 'submission', lmtp: 'lmtp' };

/** An Error in the shape smtp-server replies with: code plus "x.y.z text". */
function replyError(err: MailError): Error & { responseCode: number } {
  return Object.assign(new Error(`${err.enhanced} ${err.text}`), { responseCode: err.code });
}

const fail = (code: MailError['code'], enhanced: string, text: string, detail?: string) => new MailError({ code, enhanced, text, module: 'smtp', detail });

/** Collects the message, or undefined once it exceeds limit (then only drains). */
function readMessage(stream: Readable, limit: number): Promise<Buffer | undefined> {
  // Plain events rather than for-await: the async iterator costs a promise per chunk.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    stream.once('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks, size)));
    stream.once('error', reject);
  });
}

export class SmtpEndpoint {
  readonly role: SmtpRole;
  readonly server: SMTPServer;
  private readonly deps: SmtpEndpointDeps;
  private readonly sessions = new WeakMap<SMTPServerSession, SessionState>();
  private readonly limiter: ConnectionLimiter;
  private readonly authFailures: AuthFailures;
  private readonly sendingLimits: SendingLimits;
  private readonly clientRates: ClientRates;
  private readonly listeners: Server[] = [];
  private readonly tlsServers: tls.Server[] = [];
  private unsubscribe: (() => void) | undefined;

  constructor(deps: SmtpEndpointDeps) {
    installEnhancedCodePassThrough();
    installProtocolGuards();
    installImmediateGreeting();
    this.deps = deps;
    this.role = deps.role;
    this.limiter = new ConnectionLimiter(deps.limits.max_connections_per_ip);
    this.authFailures = deps.authFailures ?? new AuthFailures();
    this.sendingLimits = deps.sendingLimits ?? new SendingLimits(() => ({ messages: deps.limits.user_messages_per_hour, recipients: deps.limits.user_recipients_per_hour }));
    this.clientRates = deps.clientRates ?? clientRatesFor(deps.limits);
    const protocol = deps.role === 'lmtp' ? 'lmtp' : 'smtp';
    const tlsOptions = deps.certificates.serverOptions(protocol);
    const submission = deps.role === 'submission' || deps.role === 'submissions';
    this.server = new SMTPServer({
      ...(tlsOptions as object),
      name: deps.hostname,
      banner: 'Petrel',
      lmtp: deps.role === 'lmtp',
      // Implicit TLS is terminated by our own tls.Server (for the ALPN policy) and handed over already secure.
      secure: deps.role === 'submissions',
      secured: deps.role === 'submissions',
      size: deps.limits.max_message_size,
      rejectOversized: true,
      maxClients: deps.limits.max_connections,
      maxRecipients: deps.limits.max_recipients,
      maxCommandLength: MAX_COMMAND_LINE,
      maxAllowedUnauthenticatedCommands: submission ? MAX_UNAUTHENTICATED_COMMANDS : false,
      socketTimeout: deps.limits.timeout,
      disableReverseLookup: true,
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: !submission,
      allowInsecureAuth: false,
      disabledCommands: submission ? [] : ['AUTH'],
      hideDSN: false,
      // RFC 8689: offered once TLS is on; the outbound queue honours it (only verified TLS to a server that offers it, else 5.7.30).
      hideREQUIRETLS: deps.role === 'lmtp',
      // RFC 2034: announce ENHANCEDSTATUSCODES and let the library's own replies carry them too
      // (552 5.3.4 for SIZE at MAIL and at the end of DATA); ours already do.
      hideENHANCEDSTATUSCODES: false,
      logger: false,
      onConnect: (session, cb) => this.onConnect(session, cb),
      onSecure: (_socket, session, cb) => this.onSecure(session, cb),
      onClose: (session) => this.onClose(session),
      onAuth: (auth, session, cb) => void this.onAuth(auth, session, cb),
      onMailFrom: (address, session, cb) => void this.onMailFrom(address, session, cb),
      onRcptTo: (address, session, cb) => void this.onRcptTo(address, session, cb),
      onData: (stream, session, cb) => void this.onData(stream, session, cb as (err?: Error | null, message?: unknown) => void),
    } as ConstructorParameters<typeof SMTPServer>[0]);
    countLibraryErrorReplies(this.server, (session, reply) => this.onLibraryError(session, reply));
    this.server.on('error', (err) => deps.logger.warn('smtp server error', { role: this.role, reason: err.message }));
    this.unsubscribe = deps.certificates.onChange(() => {
      const fresh = deps.certificates.serverOptions(protocol);
      (this.server as unknown as { updateSecureContext(o: tls.TlsOptions): void }).updateSecureContext(fresh);
      for (const t of this.tlsServers) t.setSecureContext(fresh);
    });
  }

  /**
   * Applies the [smtp] limits again after a reload (SIGHUP): our hooks read
   * them live; smtp-server copied some into its options at construction.
   */
  applyLimits(): void {
    const { limits } = this.deps;
    const options = this.server.options as unknown as Record<string, unknown>;
    options.size = limits.max_message_size;
    options.maxRecipients = limits.max_recipients;
    options.maxClients = limits.max_connections;
    options.socketTimeout = limits.timeout;
    this.limiter.perClient = limits.max_connections_per_ip;
  }

  /**
   * Listens on one more address. Every address gets its own server that
   * hands its sockets to smtp-server (whose own net.Server listens only
   * once): a plain one, or for 465 a tls.Server that terminates TLS with
   * the ALPN policy first.
   */
  async listen(address: ListenAddress): Promise<void> {
    const handOver = (socket: Socket) => this.server.server.emit('connection', socket);
    let server: Server;
    if (this.role === 'submissions') {
      const secure = tls.createServer({ ...this.deps.certificates.serverOptions('smtp'), handshakeTimeout: HANDSHAKE_TIMEOUT_MS }, handOver);
      secure.on('tlsClientError', (err, socket) => {
        this.deps.logger.info('tls handshake failed', { role: this.role, client: socket.remoteAddress ? normalizeIp(socket.remoteAddress) : undefined, reason: err.message });
      });
      this.tlsServers.push(secure);
      server = secure;
    } else {
      server = createServer(handOver);
    }
    await bindServer(server, address);
    this.listeners.push(server);
  }

  /**
   * Stops accepting, lets transactions in flight finish within graceMs,
   * answers idle clients 421, and resolves when every connection is gone.
   */
  async close(graceMs: number): Promise<void> {
    this.unsubscribe?.();
    for (const l of this.listeners) l.close();
    const smtp = this.server as unknown as {
      connections: Set<{ session: SMTPServerSession; send(c: number, m: string): void; close(): void; _dataStream: unknown; _socket?: Socket }>;
      _closeTimeout: unknown;
    };
    // smtp-server answers every command 421 while this is set.
    smtp._closeTimeout = true;
    const deadline = Date.now() + graceMs;
    while (smtp.connections.size > 0) {
      for (const c of smtp.connections) {
        const busy = (c.session.envelope && c.session.envelope.mailFrom) || c._dataStream;
        if (!busy || Date.now() > deadline) c.send(421, `${this.deps.hostname} Service shutting down`);
        // A client that ignores the 421 and keeps its end open is cut off.
        if (Date.now() > deadline + 1000) c._socket?.destroy();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private state(session: SMTPServerSession): SessionState {
    let s = this.sessions.get(session);
    if (!s) {
      s = { log: this.deps.logger.child({ session: session.id }, `smtp[${this.role}]`), errors: 0, recipients: [] };
      this.sessions.set(session, s);
    }
    return s;
  }

  /** Answers an error, counting it: delays after half the limit, 421 at the limit. */
  private refuse(session: SMTPServerSession, err: MailError, cb: (err?: Error | null) => void, event: string, fields: Record<string, string | undefined> = {}): void {
    const s = this.state(session);
    s.errors++;
    s.log.info(event, { ...fields, reply: err.reply, detail: err.detail, errors: s.errors });
    const { max_errors: max, error_delay: delay } = this.deps.limits;
    if (s.errors >= max) {
      s.log.warn('too many errors', { client: session.remoteAddress, errors: s.errors });
      cb(replyError(fail(421, '4.7.0', `${this.deps.hostname} Error: too many errors`)));
      return;
    }
    if (s.errors >= Math.ceil(max / 2) && delay > 0) {
      setTimeout(() => cb(replyError(err)), delay).unref();
      return;
    }
    cb(replyError(err));
  }

  /** An error reply smtp-server sent itself (syntax, sequence): counted like ours; 421 text at the limit. */
  private onLibraryError(session: SMTPServerSession, reply: string): string | undefined {
    // LMTP's client is our own MTA, and the library answers an oversized message once per recipient there.
    if (this.role === 'lmtp') return undefined;
    const s = this.state(session);
    s.errors++;
    s.log.info('protocol error', { reply, errors: s.errors });
    if (s.errors < this.deps.limits.max_errors) return undefined;
    s.log.warn('too many errors', { client: session.remoteAddress, errors: s.errors });
    return `4.7.0 ${this.deps.hostname} Error: too many errors`;
  }

  private onConnect(session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    const client = normalizeIp(session.remoteAddress);
    const s = this.state(session);
    // The MX still takes mail from an address that failed logins; the ports that exist for logging in do not.
    if ((this.role === 'submission' || this.role === 'submissions') && this.authFailures.banned(client)) {
      s.log.warn('connection refused', { client, reason: 'banned for failed logins' });
      cb(replyError(fail(421, '4.7.0', `${this.deps.hostname} Too many failed logins from your address, try again later`)));
      return;
    }
    if (!this.limiter.acquire(client)) {
      s.log.warn('connection refused', { client, reason: 'too many connections from this client' });
      cb(replyError(fail(421, '4.7.0', `${this.deps.hostname} Too many connections from your address, try again later`)));
      return;
    }
    s.slot = client;
    if (this.rateLimited(session) && !this.clientRates.take(client, 'connections')) {
      s.log.warn('connection refused', { client, reason: 'client_connection_rate' });
      cb(replyError(fail(421, '4.7.0', `${this.deps.hostname} Too many connections from your address per minute, try again later`)));
      return;
    }
    // RFC 3207 section 4 and our spec: no AUTH offered (or accepted) on 587 until TLS is up.
    if (this.role === 'submission' && !session.secure) session.disabledCommands = ['AUTH'];
    s.log.info('connect', { client: `[${client}]:${session.remotePort}`, secure: session.secure ? 'tls' : undefined });
    const delay = this.role === 'mx' && !inNetworks(client, this.deps.limits.trusted_networks) ? this.deps.limits.greeting_delay : 0;
    const greet = () => (delay > 0 ? setTimeout(() => cb(), delay).unref() : cb());
    if (!this.deps.filters) {
      greet();
      return;
    }
    const filters = new SessionFilters(this.deps.filters, this.deps.authservId ?? this.deps.hostname);
    s.filters = filters;
    Promise.resolve().then(() => filters.connect(this.clientInfo(session), s.log)).then((verdict) => {
      if (verdict.action === 'reject') this.refuse(session, verdict.error, (e) => cb(e), 'reject CONNECT', { client });
      else greet();
    }, (err: unknown) => cb(replyError(asMailError(err, 'filters'))));
  }

  /** The per-client rates hold for MX clients outside trusted_networks that did not log in. */
  private rateLimited(session: SMTPServerSession): boolean {
    return this.role === 'mx' && this.state(session).account === undefined && !inNetworks(normalizeIp(session.remoteAddress), this.deps.limits.trusted_networks);
  }

  /** The client as the filters see it. */
  private clientInfo(session: SMTPServerSession): ClientInfo {
    const s = this.state(session);
    const ip = normalizeIp(session.remoteAddress);
    return {
      ip,
      helo: session.hostNameAppearsAs || '',
      tls: session.secure,
      user: s.account ? `${s.account.local}@${s.account.domain}` : null,
      role: this.role,
      // A unix socket (LMTP) has no address: it is a local process.
      trusted: ip === '' || inNetworks(ip, this.deps.limits.trusted_networks),
    };
  }

  private onSecure(session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    if (this.role === 'submission') session.disabledCommands = [];
    cb();
  }

  private onClose(session: SMTPServerSession): void {
    // An early talker is dropped before onConnect: its session has no address and no slot.
    const s = this.state(session);
    s.filters?.close();
    if (s.slot !== undefined) this.limiter.release(s.slot);
    s.slot = undefined;
    s.log.info('disconnect', { client: session.remoteAddress ? `[${normalizeIp(session.remoteAddress)}]` : undefined, errors: s.errors || undefined });
  }

  private async onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, cb: (err: Error | null | undefined, response?: { user?: unknown }) => void): Promise<void> {
    const s = this.state(session);
    try {
      const username = auth.username ?? '';
      const client = normalizeIp(session.remoteAddress);
      // A banned client's guesses are not even checked.
      const account = this.authFailures.banned(client) ? undefined : await this.deps.directory.authenticate(username, auth.password ?? '');
      if (!account) {
        // Counted with IMAP's failures from the same address; the tarpit delays the answer.
        const delay = this.authFailures.fail(client, username);
        if (delay > 0) await new Promise<void>((resolve) => setTimeout(resolve, delay).unref());
        this.refuse(session, fail(535, '5.7.8', 'Authentication credentials invalid'), (e) => cb(e ?? null), 'auth failed', { method: auth.method, user: username.slice(0, 320), delay_ms: delay ? String(delay) : undefined });
        return;
      }
      s.account = account;
      s.log.info('auth ok', { method: auth.method, user: `${account.local}@${account.domain}` });
      cb(null, { user: account.id });
    } catch (err) {
      const e = asMailError(err, 'auth');
      s.log.error('auth error', { detail: e.detail });
      cb(replyError(fail(454, '4.7.0', 'Temporary authentication failure')));
    }
  }

  private async onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void): Promise<void> {
    const s = this.state(session);
    s.recipients = [];
    const sender = address.address;
    try {
      if (this.deps.hasSpace && !this.deps.hasSpace()) {
        this.refuse(session, fail(452, '4.3.1', 'Insufficient system storage'), cb, 'reject MAIL', { from: `<${sender}>` });
        return;
      }
      if (this.role === 'submission' || this.role === 'submissions') {
        // Not left to smtp-server alone: it stops requiring AUTH once AUTH is disabled for a session.
        if (!s.account) {
          this.refuse(session, fail(530, '5.7.0', 'Authentication required'), cb, 'reject MAIL', { from: `<${sender}>` });
          return;
        }
        if (!(await this.deps.directory.maySendAs(s.account, sender))) {
          this.refuse(session, fail(553, '5.7.1', `Sender address rejected: not owned by user ${s.account.local}@${s.account.domain}`), cb, 'reject MAIL', { from: `<${sender}>` });
          return;
        }
        if (!this.sendingLimits.mayStartMessage(s.account.id)) {
          this.refuse(session, fail(450, '4.7.1', 'Message rate limit exceeded for this user; try again later'), cb, 'reject MAIL', { from: `<${sender}>`, reason: 'user_messages_per_hour' });
          return;
        }
      }
      if (this.rateLimited(session) && !this.clientRates.take(s.slot ?? '', 'messages')) {
        this.refuse(session, fail(450, '4.7.1', 'Message rate limit exceeded for your address; try again later'), cb, 'reject MAIL', { from: `<${sender}>`, reason: 'client_message_rate' });
        return;
      }
      s.log.debug('mail from', { from: `<${sender}>`, size: address.args && typeof address.args === 'object' ? (address.args as Record<string, string>).SIZE : undefined });
      s.queueId = newQueueId();
      if (s.filters) {
        const verdict = await s.filters.mailFrom(this.clientInfo(session), sender, s.queueId, s.log.child({ queue: s.queueId }));
        if (verdict.action === 'reject') {
          this.refuse(session, verdict.error, cb, 'reject MAIL', { from: `<${sender}>`, detail: verdict.error.detail });
          return;
        }
      }
      cb();
    } catch (err) {
      const e = asMailError(err, 'smtp');
      s.log.error('MAIL failed', { detail: e.detail });
      cb(replyError(e));
    }
  }

  private async onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void): Promise<void> {
    const s = this.state(session);
    const to = address.address;
    const from = session.envelope.mailFrom ? `<${session.envelope.mailFrom.address}>` : undefined;
    try {
      const parsed = parseAddress(to);
      const authenticated = s.account !== undefined;
      if (!parsed.ok) {
        const relayForm = ['source-route', 'percent-hack', 'bang-path', 'ip-literal', 'quoted-local'].includes(parsed.problem);
        const err = relayForm && !authenticated && this.role !== 'lmtp'
          ? fail(554, '5.7.1', `<${to}>: Relay access denied`, parsed.problem)
          : fail(501, '5.1.3', 'Bad recipient address syntax', parsed.problem);
        this.refuse(session, err, cb, 'reject RCPT', { from, to: `<${to}>` });
        return;
      }
      if (s.account && (this.role === 'submission' || this.role === 'submissions') && !this.sendingLimits.mayAddRecipient(s.account.id, s.recipients.length)) {
        this.refuse(session, fail(450, '4.7.1', `<${to}>: Recipient rate limit exceeded for this user; try again later`), cb, 'reject RCPT', { from, to: `<${to}>`, reason: 'user_recipients_per_hour' });
        return;
      }
      if (this.rateLimited(session) && !this.clientRates.take(s.slot ?? '', 'recipients')) {
        this.refuse(session, fail(450, '4.7.1', `<${to}>: Recipient rate limit exceeded for your address; try again later`), cb, 'reject RCPT', { from, to: `<${to}>`, reason: 'client_recipient_rate' });
        return;
      }
      const resolution = await this.deps.directory.resolve(parsed.address);
      let targets: Target[];
      switch (resolution.kind) {
        case 'not-hosted':
          if (!authenticated) {
            const err = this.role === 'lmtp' ? fail(550, '5.1.1', `<${to}>: Recipient address rejected: User unknown`) : fail(554, '5.7.1', `<${to}>: Relay access denied`);
            this.refuse(session, err, cb, 'reject RCPT', { from, to: `<${to}>` });
            return;
          }
          targets = [{ kind: 'remote', address: to }];
          break;
        case 'unknown':
          this.refuse(session, fail(550, '5.1.1', `<${to}>: Recipient address rejected: User unknown`), cb, 'reject RCPT', { from, to: `<${to}>` });
          return;
        case 'disabled':
          this.refuse(session, fail(550, '5.2.1', `<${to}>: Mailbox disabled`), cb, 'reject RCPT', { from, to: `<${to}>` });
          return;
        case 'deliver':
          targets = resolution.targets;
          break;
      }
      const mailFrom = session.envelope.mailFrom;
      const declared = Number(mailFrom ? (mailFrom.args as Record<string, string> | false | undefined || {}).SIZE : 0) || 0;
      const mailboxes = targets.filter((t) => t.kind === 'mailbox');
      if (targets.length === 1 && mailboxes.length === 1) {
        const { account } = mailboxes[0]!;
        if (account.quotaBytes > 0 && account.usedBytes + declared >= account.quotaBytes) {
          this.refuse(session, fail(452, '4.2.2', `<${to}>: Mailbox full`), cb, 'reject RCPT', { from, to: `<${to}>` });
          return;
        }
      }
      if (s.filters) {
        const verdict = await s.filters.rcpt({ address: to, domain: parsed.address.domain, accountId: targets.length === 1 && mailboxes.length === 1 ? mailboxes[0]!.account.id : undefined });
        if (verdict.action === 'reject') {
          this.refuse(session, verdict.error, cb, 'reject RCPT', { from, to: `<${to}>`, detail: verdict.error.detail });
          return;
        }
      }
      const dsn = (address as { dsn?: { notify?: string[]; orcpt?: string } }).dsn;
      s.recipients.push({ address: to, targets, ...(dsn?.notify ? { notify: dsn.notify } : {}), ...(dsn?.orcpt ? { orcpt: dsn.orcpt } : {}) });
      cb();
    } catch (err) {
      const e = asMailError(err, 'smtp');
      s.log.error('RCPT failed', { to: `<${to}>`, detail: e.detail });
      cb(replyError(e));
    }
  }

  private async onData(stream: Readable, session: SMTPServerSession, cb: (err?: Error | null, message?: unknown) => void): Promise<void> {
    const s = this.state(session);
    const queueId = s.queueId ?? newQueueId();
    s.queueId = undefined;
    const log = s.log.child({ queue: queueId });
    let recipients = s.recipients;
    s.recipients = [];
    try {
      // RFC 2920: the message may follow only the 354. Bytes that arrived with
      // the DATA command itself (pushed into the stream in this same turn of
      // the event loop, before any new socket read) were sent ahead of it, the
      // mark of a spam engine that does not wait; Postfix's
      // reject_unauth_pipelining. Authenticated and LMTP clients are trusted.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.role === 'mx' && stream.readableLength > 0) {
        stream.resume();
        this.refuse(session, fail(503, '5.5.0', 'Improper use of SMTP command pipelining'), (e) => cb(e), 'reject DATA', { reason: 'message sent before the 354 reply' });
        return;
      }
      const bytes = await readMessage(stream, this.deps.limits.max_message_size);
      if (bytes === undefined) {
        log.info('reject DATA', { reply: '552 5.3.4 Message size exceeds fixed limit' });
        cb(null); // smtp-server answers 552 itself (rejectOversized)
        return;
      }
      const lmtp = this.role === 'lmtp';
      let message = bytes;
      let extraHeaders: string[] | undefined;
      let facts: SieveFilterFacts | undefined;
      let lmtpRefused: (MailError | undefined)[] = recipients.map(() => undefined);
      if (s.filters) {
        const filtered = await s.filters.body(bytes);
        log.info('filtered', { verdict: filtered.verdict.action, ...Object.fromEntries([...filtered.timings].map(([name, ms]) => [`${name}_ms`, Math.round(ms * 100) / 100])) });
        if (filtered.verdict.action === 'reject' && !lmtp) throw filtered.verdict.error;
        message = filtered.bytes;
        extraHeaders = filtered.headers;
        facts = filtered.facts;
        // LMTP answers each recipient; SMTP has one reply after DATA, so a refusal for some recipients only holds it for them instead (never a bounce).
        if (lmtp) lmtpRefused = filtered.perRecipient.map((v) => (v.action === 'reject' ? v.error : undefined));
        recipients = recipients.map((r, i) => {
          const v = filtered.perRecipient[i];
          if (!v || v.action === 'continue' || (lmtp && v.action === 'reject')) return r;
          if (v.action === 'junk') return { ...r, folder: 'junk' as const };
          return { ...r, quarantine: v.action === 'reject' ? `refused for this recipient: ${v.error.reply}${v.error.detail ? ` (${v.error.detail})` : ''}` : v.reason };
        });
      }
      const refusedHere = recipients.filter((_, i) => lmtpRefused[i] !== undefined);
      const kept = recipients.filter((_, i) => lmtpRefused[i] === undefined);
      if (lmtp && refusedHere.length > 0 && kept.length === 0) {
        cb(null, lmtpRefused.map((e) => replyError(e!)));
        return;
      }
      recipients = kept;
      const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      const secure = session.secure;
      const cipher = (session as { tlsOptions?: { name?: string; standardName?: string; version?: string } | false }).tlsOptions;
      const protocol = (this.role === 'lmtp' ? 'LMTP' : 'ESMTP') + (secure ? 'S' : '') + (s.account ? 'A' : '');
      const envelope = session.envelope as typeof session.envelope & { dsn?: { ret?: string; envid?: string }; smtpUtf8?: boolean; requireTLS?: boolean; bodyType?: string };
      const accepted = await acceptMessage(
        {
          queueId,
          source: SOURCES[this.role],
          sender,
          recipients,
          envelope: {
            ret: envelope.dsn?.ret === 'FULL' || envelope.dsn?.ret === 'HDRS' ? envelope.dsn.ret : null,
            envid: envelope.dsn?.envid ?? null,
            smtpUtf8: envelope.smtpUtf8 === true,
            requireTls: envelope.requireTLS === true,
            body: envelope.bodyType ?? null,
          },
          bytes: message,
          extraHeaders,
          sieve: this.deps.sieve,
          facts,
          authUser: s.account ? `${s.account.local}@${s.account.domain}` : undefined,
          clientIp: normalizeIp(session.remoteAddress),
          received: {
            helo: session.hostNameAppearsAs || 'unknown',
            clientIp: normalizeIp(session.remoteAddress),
            hostname: this.deps.hostname,
            protocol,
            tls: secure && cipher ? { version: cipher.version ?? 'TLS', cipher: cipher.standardName ?? cipher.name ?? 'unknown' } : undefined,
          },
          addMissingHeaders: this.role === 'submission' || this.role === 'submissions',
          accountId: s.account?.id ?? null,
          lineEndings: this.role === 'mx' ? 'strict' : 'normalize',
          enforceQuota: lmtp || recipients.length === 1,
          maxReceived: this.deps.limits.max_received_headers,
          mayUseFrom: s.account ? async (addresses) => {
            for (const a of addresses) if (!(await this.deps.directory.maySendAs(s.account!, a))) return false;
            return true;
          } : undefined,
          log,
        },
        this.deps.committer,
      );
      log.info('accepted', { from: `<${sender}>`, size: accepted.size, nrcpt: recipients.length, 'message-id': accepted.messageId });
      if (lmtp) {
        // One reply per RCPT, in order: the filters' refusals where they were, the delivery outcomes for the rest.
        const outcomes = [...accepted.outcomes];
        cb(null, lmtpRefused.map((refused) => {
          if (refused) return replyError(refused);
          const o = outcomes.shift()!;
          return o.ok ? `2.0.0 Ok: delivered as ${queueId}` : replyError(o.error);
        }));
        return;
      }
      const failures = accepted.outcomes.filter((o): o is { ok: false; error: MailError } => !o.ok);
      if (s.account && (this.role === 'submission' || this.role === 'submissions') && failures.length < accepted.outcomes.length) {
        this.sendingLimits.record(s.account.id, recipients.length);
      }
      if (failures.length === accepted.outcomes.length && failures.length > 0) {
        cb(replyError(failures[0]!.error));
        return;
      }
      cb(null, `2.0.0 Ok: queued as ${queueId}`);
    } catch (err) {
      const e = asMailError(err, 'smtp');
      if (e.code === 451) log.error('DATA failed', { detail: e.detail });
      else log.info('reject DATA', { reply: e.reply, detail: e.detail });
      s.errors++;
      cb(replyError(e));
    }
  }
}

/** The per-client rates as [smtp] sets them, read at every check so a reload applies. */
export function clientRatesFor(limits: SmtpLimits): ClientRates {
  return new ClientRates(() => ({ connections: limits.client_connection_rate, messages: limits.client_message_rate, recipients: limits.client_recipient_rate }));
}
