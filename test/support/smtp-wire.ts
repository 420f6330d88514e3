/*
 * A byte-exact SMTP/LMTP client for hostile-peer tests: writes exactly the
 * bytes a test gives it (bare CR, bare LF, several commands in one write,
 * nothing at all), reads replies one at a time, and can switch to TLS on
 * the same socket after STARTTLS. Real clients (swaks, openssl) cover the
 * well-behaved paths; this covers the ones they refuse to produce.
 *
 * Exports: SmtpWire, Reply, smtpSession.
 *
 * Security: test only; connects to 127.0.0.1.
 * Standards: RFC 5321 section 4.2 (multi-line replies), RFC 3207.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface Reply {
  code: number;
  /** Every line of the reply without the CRLF, code included. */
  lines: string[];
  text: string;
}

export interface TlsUpgradeOptions {
  servername?: string;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ALPNProtocols?: string[];
}

export class SmtpWire {
  /** Every byte received, as latin1 text, across plaintext and TLS. */
  transcript = '';
  private pending = '';
  private readonly replies: Reply[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  private constructor(public socket: net.Socket | tls.TLSSocket) {
    this.closed = new Promise((res) => (this.resolveClosed = res));
    this.attach(socket);
  }

  static async connect(port: number, options: { implicitTls?: TlsUpgradeOptions } = {}): Promise<SmtpWire> {
    if (options.implicitTls) {
      const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options.implicitTls });
      await new Promise<void>((res, rej) => {
        socket.once('secureConnect', () => res());
        socket.once('error', rej);
      });
      return new SmtpWire(socket);
    }
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((res, rej) => {
      socket.once('connect', () => res());
      socket.once('error', rej);
    });
    return new SmtpWire(socket);
  }

  private attach(socket: net.Socket): void {
    socket.on('data', (d: Buffer) => this.onData(d.toString('latin1')));
    socket.on('error', () => {});
    socket.once('close', () => {
      this.ended = true;
      this.resolveClosed();
      this.wake();
    });
  }

  private onData(text: string): void {
    this.transcript += text;
    this.pending += text;
    let lines: string[] = [];
    for (let nl = this.pending.indexOf('\r\n'); nl !== -1; nl = this.pending.indexOf('\r\n')) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 2);
      lines.push(line);
      if (!/^\d{3}-/.test(line)) {
        this.replies.push({ code: Number(line.slice(0, 3)), lines, text: lines.join('\n') });
        lines = [];
      }
    }
    // Keep a partial multi-line reply for the next chunk.
    if (lines.length) this.pending = lines.map((l) => `${l}\r\n`).join('') + this.pending;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** Writes raw bytes exactly as given. */
  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** The next reply; rejects after timeoutMs or if the connection closes first. */
  async read(timeoutMs = 5000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length === 0) {
      if (this.ended) throw new Error(`connection closed while waiting for a reply; transcript:\n${this.transcript}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms; transcript:\n${this.transcript}`);
      await new Promise<void>((res) => {
        const timer = setTimeout(res, left);
        this.waiter = () => (clearTimeout(timer), res());
      });
    }
    return this.replies.shift()!;
  }

  /** The next reply, or undefined if none arrives within ms (the connection may stay open). */
  async maybeRead(ms: number): Promise<Reply | undefined> {
    try {
      return await this.read(ms);
    } catch {
      return undefined;
    }
  }

  /** Sends one command line (CRLF added) and reads its reply. */
  async cmd(line: string, timeoutMs = 5000): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.read(timeoutMs);
  }

  /** Replies received but not yet read. */
  get unread(): number {
    return this.replies.length;
  }

  /**
   * Starts TLS on the current socket (after a 220 to STARTTLS). Anything the
   * server sent in plaintext but the test has not read is kept, so a test can
   * tell whether the server answered injected commands.
   */
  async upgrade(options: TlsUpgradeOptions = {}): Promise<tls.TLSSocket> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = tls.connect({ socket: plain, rejectUnauthorized: false, ...options });
    await new Promise<void>((res, rej) => {
      secure.once('secureConnect', () => res());
      secure.once('error', rej);
    });
    this.socket = secure;
    this.attach(secure);
    return secure;
  }

  /** Resolves true if the server closes the connection within ms. */
  async closesWithin(ms: number): Promise<boolean> {
    if (this.ended) return true;
    return Promise.race([this.closed.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), ms).unref())]);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Connects, reads the banner and says EHLO (or LHLO); returns the client and the EHLO reply. */
export async function smtpSession(port: number, options: { lmtp?: boolean; implicitTls?: TlsUpgradeOptions; helo?: string } = {}): Promise<{ wire: SmtpWire; ehlo: Reply }> {
  const wire = await SmtpWire.connect(port, options.implicitTls ? { implicitTls: options.implicitTls } : {});
  const banner = await wire.read();
  if (banner.code !== 220) throw new Error(`banner: ${banner.text}`);
  const ehlo = await wire.cmd(`${options.lmtp ? 'LHLO' : 'EHLO'} ${options.helo ?? 'client.test'}`);
  return { wire, ehlo };
}
