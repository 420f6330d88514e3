/*
 * One outbound SMTP connection to one address of a remote host, on
 * nodemailer's SMTP connection, with what a relaying MTA needs and
 * nodemailer leaves to its caller:
 *
 * - TLS by policy: 'none' (never STARTTLS), 'opportunistic' (STARTTLS
 *   when offered, unverified, as Postfix's "may"; a failed handshake is
 *   reported so the caller can retry the address in plaintext), or
 *   'required' (STARTTLS must succeed, and `verify` must accept the TLS
 *   session before any further command: MTA-STS, DANE, a smarthost).
 *   nodemailer discards anything the server sent in plaintext after its
 *   220 to STARTTLS (RFC 3207 section 6; the STARTTLS injection attack).
 * - Per-recipient DSN parameters (NOTIFY, ORCPT): nodemailer applies one
 *   set to every RCPT, so RCPT commands are completed here, as is
 *   SMTPUTF8 on MAIL for a message submitted with it whose addresses are
 *   ASCII (nodemailer adds it only for non-ASCII addresses).
 * - Every command is checked for CR and LF before it is written, and the
 *   body goes through nodemailer's data stream, which turns every bare CR
 *   and bare LF into CRLF and dot-stuffs every line start, including one
 *   after a bare CR (outbound SMTP smuggling).
 * - Results per recipient: the RCPT reply for a refused one, the reply to
 *   the final dot (or to DATA, or to MAIL) for the others; a connection
 *   lost or timed out at any point is temporary for every recipient not
 *   yet answered, including after the final dot (RFC 5321 section
 *   4.5.4.1 / RFC 1047: a duplicate is better than a loss).
 *
 * nodemailer's SMTPConnection is subclassed in three internal methods
 * (_sendCommand, _upgradeConnection, and reading _envelope and
 * _supportedExtensions): its version is pinned in package.json, and
 * connection.test.ts exercises each of them against a real server.
 *
 * Exports: openConnection, OutboundConnection, ConnectOptions,
 * ConnectFailure, TlsPolicy, Transaction, TransactionResult,
 * RecipientReply, needsSmtpUtf8.
 * Security: talks to remote servers (untrusted): their replies are
 * parsed by nodemailer with a size cap; reply text is kept for logs and
 * DSNs only. Credentials (smarthost) are sent only over TLS.
 * Standards: RFC 5321, RFC 3207 (STARTTLS), RFC 2920 (PIPELINING),
 * RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 3461
 * (DSN parameters), RFC 8689 (REQUIRETLS), RFC 4954 (AUTH).
 */
import type { TLSSocket } from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { parseEnhancedStatus } from '../../mime/dsn.js';
import type { OutboundEnvelope } from '../../store/types.js';

export interface TlsPolicy {
  mode: 'none' | 'opportunistic' | 'required';
  /** SNI and the name certificates are checked against by verify. */
  servername: string;
  /**
   * Runs after the handshake, before any command is sent over TLS: a
   * reason refuses the session (the connection is closed unused).
   */
  verify?: (socket: TLSSocket) => string | undefined;
  /** Extra trust anchors (a smarthost's private CA). */
  ca?: string | Buffer;
}

export interface ConnectOptions {
  /** The host's name, for SNI and the log. */
  host: string;
  /** The address to connect to. */
  address: string;
  port: number;
  /** Our name in EHLO. */
  heloName: string;
  tls: TlsPolicy;
  /** TLS from the first byte (port 465) instead of STARTTLS. */
  implicitTls?: boolean;
  /** SMTP AUTH (a smarthost): sent only over TLS. */
  auth?: { user: string; pass: string };
  timeouts: { connect: number; greeting: number; reply: number };
}

export type ConnectStage = 'connect' | 'greeting' | 'ehlo' | 'starttls' | 'tls' | 'auth';

export interface ConnectFailure {
  stage: ConnectStage;
  /** The server's reply when it gave one, else our description. */
  reply: string;
  statusCode: string;
  temporary: boolean;
  /** The STARTTLS handshake or the TLS policy failed (an opportunistic caller may retry in plaintext). */
  tlsFailed: boolean;
}

export interface TransactionRecipient {
  address: string;
  /** RFC 3461 NOTIFY, passed on when the server offers DSN. */
  notify: string[] | null;
  /** RFC 3461 ORCPT, decoded (`rfc822;addr`). */
  orcpt: string | null;
}

export interface Transaction {
  /** The envelope sender; '' for the null sender. */
  from: string;
  recipients: TransactionRecipient[];
  envelope: OutboundEnvelope;
  message: Buffer;
}

export interface RecipientReply {
  address: string;
  ok: boolean;
  temporary: boolean;
  reply: string;
  statusCode: string;
}

export interface TransactionResult {
  recipients: RecipientReply[];
  /** The server offered DSN, so it takes over the success notifications (RFC 3461 section 5.2.2). */
  dsnPassed: boolean;
}

/** What nodemailer keeps internally and this module reads or overrides. */
interface Internals {
  _sendCommand(str: string, logStr?: string): void;
  _upgradeConnection(callback: (err: Error | null, secured?: boolean) => void): void;
  _supportedExtensions: string[];
  _maxAllowedSize: number;
  _envelope: false | { accepted: string[]; rejected: string[]; rejectedErrors: NodemailerError[] };
  _socket: TLSSocket | false | null;
}

interface NodemailerError extends Error {
  code?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  recipient?: string;
}

const base = SMTPConnection.prototype as unknown as Internals;

/** xtext (RFC 3461 section 4): printable ASCII but "+" and "=", the rest as +HH. */
export function xtext(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte >= 0x21 && byte <= 0x7e && byte !== 0x2b && byte !== 0x3d ? String.fromCharCode(byte) : `+${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** The RCPT parameters for one recipient, when the server offers DSN. */
function dsnRcptParameters(r: TransactionRecipient): string {
  const out: string[] = [];
  if (r.notify && r.notify.length > 0) out.push(`NOTIFY=${r.notify.join(',')}`);
  if (r.orcpt) {
    const semi = r.orcpt.indexOf(';');
    const type = semi > 0 ? r.orcpt.slice(0, semi) : 'rfc822';
    const address = semi > 0 ? r.orcpt.slice(semi + 1) : r.orcpt;
    // An address that is not ASCII cannot travel as rfc822 xtext: it is left out rather than mangled.
    if (!NON_ASCII.test(address) && /^[A-Za-z0-9-]+$/.test(type)) out.push(`ORCPT=${type};${xtext(address)}`);
  }
  return out.length > 0 ? ` ${out.join(' ')}` : '';
}

/**
 * Whether the message can only travel with SMTPUTF8 (RFC 6531 section
 * 3.2): a non-ASCII envelope address, or a message submitted with
 * SMTPUTF8 whose header is not ASCII.
 */
export function needsSmtpUtf8(from: string, recipients: readonly string[], envelope: OutboundEnvelope, message: Buffer): boolean {
  if (NON_ASCII.test(from) || recipients.some((r) => NON_ASCII.test(r))) return true;
  if (!envelope.smtpUtf8) return false;
  const end = message.indexOf('\r\n\r\n');
  const header = end < 0 ? message : message.subarray(0, end);
  return header.some((b) => b >= 0x80);
}

class PetrelSmtpConnection extends SMTPConnection {
  /** The TLS check for the session being set up. */
  tlsCheck: ((socket: TLSSocket) => string | undefined) | undefined;
  /** Why the TLS check refused the session, for the caller. */
  tlsRefusal: string | undefined;
  /** RCPT parameters for the transaction in progress, by address. */
  rcptParameters = new Map<string, string>();
  /** Add SMTPUTF8 to the next MAIL. */
  forceSmtpUtf8 = false;
  /** A command carried CR or LF: refused and the connection dropped. */
  unsafeCommand = false;

  _sendCommand(str: string, logStr?: string): void {
    if (/[\r\n]/.test(str)) {
      // Never on the wire: a CR or LF inside a command would let its value start a command of its own.
      this.unsafeCommand = true;
      this.close();
      return;
    }
    let line = str;
    if (line.startsWith('MAIL FROM:') && this.forceSmtpUtf8 && !/ SMTPUTF8\b/.test(line)) line += ' SMTPUTF8';
    else if (line.startsWith('RCPT TO:<')) {
      const address = line.slice('RCPT TO:<'.length, line.indexOf('>'));
      line += this.rcptParameters.get(address) ?? '';
    }
    base._sendCommand.call(this, line, logStr);
  }

  _upgradeConnection(callback: (err: Error | null, secured?: boolean) => void): void {
    base._upgradeConnection.call(this, (err, secured) => {
      if (!err && this.tlsCheck) {
        const socket = (this as unknown as Internals)._socket;
        const refusal = socket ? this.tlsCheck(socket) : 'no TLS socket';
        if (refusal) {
          this.tlsRefusal = refusal;
          callback(new Error(refusal));
          return;
        }
      }
      callback(err, secured);
    });
  }
}

const internals = (c: PetrelSmtpConnection) => c as unknown as Internals;

/** The enhanced status code in a reply, or one derived from its basic code (RFC 3463); fallback when it is no reply. */
export function statusOf(reply: string, fallback: string): string {
  return parseEnhancedStatus(reply) ?? fallback;
}

/** One line for logs and DSNs: the reply's lines joined. */
function oneLine(reply: string): string {
  return reply.replace(/\r?\n/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 1000);
}

function describe(err: NodemailerError): string {
  if (err.response) return oneLine(err.response);
  return oneLine(err.message);
}

function failure(err: NodemailerError, connection: PetrelSmtpConnection, secure: boolean): ConnectFailure {
  const reply = err.response ? oneLine(err.response) : undefined;
  if (connection.tlsRefusal !== undefined || err.code === 'ETLS' || connection.upgrading === true) {
    const why = connection.tlsRefusal ?? (reply ? `STARTTLS refused: ${reply}` : `TLS handshake failed: ${err.message.replace(/^Error initiating TLS - /, '')}`);
    return { stage: connection.tlsRefusal !== undefined || !reply ? 'tls' : 'starttls', reply: oneLine(why), statusCode: '4.7.5', temporary: true, tlsFailed: true };
  }
  if (err.code === 'EAUTH') {
    return { stage: 'auth', reply: reply ?? describe(err), statusCode: reply ? statusOf(reply, '5.7.8') : '4.7.0', temporary: !err.responseCode || err.responseCode < 500, tlsFailed: false };
  }
  const timeout = (err as { timeoutType?: string }).timeoutType;
  const stage: ConnectStage = reply ? (/^(EHLO|HELO)$/.test(err.command ?? '') ? 'ehlo' : 'greeting') : timeout === 'GREETING_TIMEOUT' ? 'greeting' : 'connect';
  const text = reply ?? `${stage === 'connect' ? 'connection failed' : 'no greeting'}: ${describe(err)}${secure ? ' (over TLS)' : ''}`;
  // A server that refuses to talk (a 5xx greeting) is skipped like one that cannot be reached, as Postfix's smtp_skip_5xx_greeting does.
  return { stage, reply: text, statusCode: reply ? statusOf(reply, '4.4.1').replace(/^5/, '4') : '4.4.1', temporary: true, tlsFailed: false };
}

export class OutboundConnection {
  private broken = false;
  private sent = 0;

  constructor(
    private readonly connection: PetrelSmtpConnection,
    readonly options: ConnectOptions,
  ) {
    connection.on('error', () => {
      this.broken = true;
    });
    connection.on('end', () => {
      this.broken = true;
    });
  }

  /** The extensions the server offered in its last EHLO, upper case. */
  get extensions(): ReadonlySet<string> {
    return new Set(internals(this.connection)._supportedExtensions);
  }

  /** The server's SIZE limit, 0 when it gave none. */
  get maxSize(): number {
    return internals(this.connection)._maxAllowedSize || 0;
  }

  get secure(): boolean {
    return this.connection.secure;
  }

  /** The TLS version and cipher, for the log. */
  get tlsDescription(): string | undefined {
    const socket = internals(this.connection)._socket;
    if (!this.connection.secure || !socket || typeof socket.getCipher !== 'function') return undefined;
    return `${socket.getProtocol() ?? 'TLS'} ${socket.getCipher().name}`;
  }

  /** Messages sent over this connection. */
  get transactions(): number {
    return this.sent;
  }

  get usable(): boolean {
    return !this.broken && !this.connection.destroyed;
  }

  /** One transaction; never throws: every outcome is a reply per recipient. */
  send(tx: Transaction): Promise<TransactionResult> {
    this.sent++;
    const c = this.connection;
    const dsn = this.extensions.has('DSN');
    c.rcptParameters = new Map(tx.recipients.map((r) => [r.address, dsn ? dsnRcptParameters(r) : '']));
    c.forceSmtpUtf8 = tx.envelope.smtpUtf8 && this.extensions.has('SMTPUTF8');
    const all = tx.recipients.map((r) => r.address);
    const envelope = {
      from: tx.from,
      to: all,
      size: tx.message.length,
      use8BitMime: tx.envelope.body === '8bitmime',
      requireTLSExtensionEnabled: tx.envelope.requireTls,
      dsn: dsn && (tx.envelope.ret || tx.envelope.envid) ? { ret: tx.envelope.ret, envid: tx.envelope.envid } : undefined,
    };
    return new Promise((resolve) => {
      c.send(envelope, tx.message, (err, info) => {
        const e = err as NodemailerError | null;
        const tracked = internals(c)._envelope;
        const rejected = new Map<string, NodemailerError>();
        for (const r of (e ? (tracked ? tracked.rejectedErrors ?? [] : []) : info?.rejectedErrors ?? []) as NodemailerError[]) if (r.recipient) rejected.set(r.recipient, r);
        const reply = (address: string): RecipientReply => {
          const refused = rejected.get(address);
          if (refused?.response) {
            const text = oneLine(refused.response);
            return { address, ok: false, temporary: (refused.responseCode ?? 451) < 500, reply: text, statusCode: statusOf(text, '4.0.0') };
          }
          if (!e) {
            const text = oneLine(info!.response);
            return { address, ok: true, temporary: false, reply: text, statusCode: statusOf(text, '2.0.0') };
          }
          return this.failed(address, e, tx.message.length);
        };
        if (e && (!e.responseCode || e.code === 'ECONNECTION' || /^421/.test(e.response ?? ''))) this.broken = true;
        resolve({ recipients: all.map(reply), dsnPassed: dsn });
      });
    });
  }

  /** The reply for a recipient the transaction failed for as a whole. */
  private failed(address: string, e: NodemailerError, size: number): RecipientReply {
    if (this.connection.unsafeCommand) return { address, ok: false, temporary: false, reply: 'a command would have carried CR or LF: not sent', statusCode: '5.1.3' };
    // nodemailer refuses an address with CR, LF, < or > before writing anything.
    if (e.code === 'EENVELOPE' && !e.response) return { address, ok: false, temporary: false, reply: `not sent: ${e.message}`, statusCode: '5.1.3' };
    if (e.code === 'EREQUIRETLS') return { address, ok: false, temporary: false, reply: `REQUIRETLS: ${e.message}`, statusCode: '5.7.30' };
    if (e.code === 'EMESSAGE' && !e.response && e.command === 'MAIL FROM') {
      return { address, ok: false, temporary: false, reply: `message size ${size} exceeds the size limit ${this.maxSize} of ${this.options.host}`, statusCode: '5.3.4' };
    }
    if (e.response) {
      const text = oneLine(e.response);
      return { address, ok: false, temporary: (e.responseCode ?? 451) < 500, reply: text, statusCode: statusOf(text, '4.0.0') };
    }
    // No reply: the connection broke or a timer ran out; after the dot this may be a duplicate later, never a loss.
    const after = e.command === 'DATA' || this.connection.stage === 'connected' ? ` during ${e.command ?? 'the transaction'}` : '';
    return { address, ok: false, temporary: true, reply: `lost connection with ${this.options.host}[${this.options.address}]${after}: ${describe(e)}`, statusCode: '4.4.2' };
  }

  /** After a failed transaction the session is reset before the next one. */
  reset(): Promise<boolean> {
    if (!this.usable) return Promise.resolve(false);
    return new Promise((resolve) =>
      this.connection.reset((err) => {
        if (err) this.broken = true;
        resolve(!err);
      }),
    );
  }

  /** QUIT and close. */
  close(): void {
    if (this.usable) {
      try {
        this.connection.quit();
        return;
      } catch {
        // fall through to close
      }
    }
    this.connection.close();
  }
}

/** Connects, greets, negotiates TLS by policy and authenticates; never throws. */
export function openConnection(options: ConnectOptions): Promise<{ ok: true; connection: OutboundConnection } | ({ ok: false } & ConnectFailure)> {
  const tls = options.tls;
  const c = new PetrelSmtpConnection({
    host: options.address,
    port: options.port,
    name: options.heloName,
    servername: tls.servername,
    secure: options.implicitTls === true,
    ignoreTLS: tls.mode === 'none',
    requireTLS: tls.mode === 'required' && !options.implicitTls,
    opportunisticTLS: tls.mode === 'opportunistic',
    connectionTimeout: options.timeouts.connect,
    greetingTimeout: options.timeouts.greeting,
    socketTimeout: options.timeouts.reply,
    socketCloseTimeout: 1000,
    logger: false,
    tls: {
      servername: tls.servername,
      // Verification is the policy's: opportunistic TLS takes any certificate (RFC 7435), required TLS runs verify().
      rejectUnauthorized: options.implicitTls === true && tls.mode === 'required' && !tls.verify,
      ...(tls.ca ? { ca: tls.ca } : {}),
    },
  });
  c.tlsCheck = tls.mode === 'required' ? tls.verify : undefined;
  return new Promise((resolve) => {
    let settled = false;
    const done = (value: Parameters<typeof resolve>[0]) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    // A persistent listener: an EventEmitter without one throws on the next error.
    c.on('error', (err: NodemailerError) => done({ ok: false, ...failure(err, c, options.implicitTls === true) }));
    c.connect((err) => {
      if (err) return done({ ok: false, ...failure(err as NodemailerError, c, options.implicitTls === true) });
      if (tls.mode === 'required' && !c.secure) {
        c.close();
        return done({ ok: false, stage: 'starttls', reply: `${options.host} did not start TLS`, statusCode: '4.7.5', temporary: true, tlsFailed: true });
      }
      if (options.implicitTls && tls.verify) {
        const socket = internals(c)._socket;
        const refusal = socket ? tls.verify(socket) : 'no TLS socket';
        if (refusal) {
          c.close();
          return done({ ok: false, stage: 'tls', reply: refusal, statusCode: '4.7.5', temporary: true, tlsFailed: true });
        }
      }
      const connection = new OutboundConnection(c, options);
      if (!options.auth) return done({ ok: true, connection });
      if (!c.secure) {
        c.close();
        return done({ ok: false, stage: 'auth', reply: 'credentials are sent only over TLS', statusCode: '4.7.0', temporary: true, tlsFailed: false });
      }
      c.login({ user: options.auth.user, pass: options.auth.pass }, (loginErr) => {
        if (loginErr) {
          c.close();
          return done({ ok: false, ...failure(Object.assign(loginErr, { code: 'EAUTH' }) as NodemailerError, c, true) });
        }
        done({ ok: true, connection });
      });
    });
  });
}
