/*
 * A raw ManageSieve client for tests: write bytes, read whole responses
 * (the lines before an OK, NO or BYE at the start of a line, literals in
 * them skipped over by their length), upgrade to TLS mid-stream with a
 * chosen SNI name, and log in with AUTHENTICATE "PLAIN".
 *
 * Exports: SieveWire, plainToken.
 * Security: test only; 127.0.0.1; certificates are not verified (the
 * tests check the served one by its subject instead).
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import tls from 'node:tls';

/** The base64 of a PLAIN response for user and password. */
export function plainToken(user: string, password: string, authzid = ''): string {
  return Buffer.from(`${authzid}\0${user}\0${password}`).toString('base64');
}

/** Where the first complete response in buf ends, or -1: lines are read, literals `{n}` skipped, until one starts with OK, NO or BYE. */
function responseEnd(buf: Buffer): number {
  let at = 0;
  for (;;) {
    const lf = buf.indexOf(0x0a, at);
    if (lf === -1) return -1;
    const line = buf.subarray(at, lf).toString('latin1').replace(/\r$/, '');
    const literal = /\{(\d+)\+?\}$/.exec(line);
    if (/^(OK|NO|BYE)\b/.test(line)) {
      if (!literal) return lf + 1;
    }
    at = lf + 1;
    if (literal) {
      at += Number(literal[1]);
      if (at > buf.length) return -1;
    }
  }
}

export class SieveWire {
  private buf = Buffer.alloc(0);
  closed = false;
  private waiters: Array<() => void> = [];
  /** The greeting (capabilities and OK) as received. */
  greeting = '';

  constructor(public sock: Socket) {
    this.attach(sock);
  }

  attach(sock: Socket): void {
    this.sock = sock;
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('error', () => {});
  }

  static async open(port: number): Promise<SieveWire> {
    const w = new SieveWire(connect(port, '127.0.0.1'));
    w.greeting = await w.response();
    return w;
  }

  /** Everything received and not yet taken by response(). */
  get pending(): string {
    return this.buf.toString('utf8');
  }

  private async wait(until: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!until()) {
      if (this.closed) throw new Error(`closed before ${what}; got:\n${this.pending.slice(0, 2000)}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${what}; got:\n${this.pending.slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next complete response (up to and including its OK/NO/BYE line), as text. */
  async response(timeoutMs = 5000): Promise<string> {
    await this.wait(() => responseEnd(this.buf) !== -1, 'a response', timeoutMs);
    const end = responseEnd(this.buf);
    const text = this.buf.subarray(0, end).toString('utf8');
    this.buf = this.buf.subarray(end);
    return text;
  }

  /** The next line (a SASL challenge), without its CRLF. */
  async line(timeoutMs = 5000): Promise<string> {
    await this.wait(() => this.buf.includes(0x0a), 'a line', timeoutMs);
    const lf = this.buf.indexOf(0x0a);
    const text = this.buf.subarray(0, lf).toString('utf8').replace(/\r$/, '');
    this.buf = this.buf.subarray(lf + 1);
    return text;
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > end) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  send(s: string | Buffer): void {
    this.sock.write(s);
  }

  /** Sends one command (CRLF added) and returns its whole response. */
  async cmd(line: string | Buffer, timeoutMs?: number): Promise<string> {
    this.send(typeof line === 'string' ? `${line}\r\n` : Buffer.concat([line, Buffer.from('\r\n')]));
    return this.response(timeoutMs);
  }

  /** PUTSCRIPT with the script as a non-synchronizing literal. */
  putScript(name: string, script: string | Buffer): Promise<string> {
    const bytes = typeof script === 'string' ? Buffer.from(script, 'utf8') : script;
    return this.cmd(Buffer.concat([Buffer.from(`PUTSCRIPT "${name}" {${bytes.length}+}\r\n`), bytes]));
  }

  /** STARTTLS, the handshake with the given SNI name, and the capabilities the server re-sends. Returns them and the peer certificate. */
  async startTls(servername?: string, alpn?: string[]): Promise<{ capabilities: string; certificate: tls.PeerCertificate }> {
    assert.match(await this.cmd('STARTTLS'), /^OK/);
    const secure = tls.connect({ socket: this.sock, rejectUnauthorized: false, servername, ALPNProtocols: alpn });
    this.sock.removeAllListeners('data');
    this.buf = Buffer.alloc(0);
    this.attach(secure);
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    const capabilities = await this.response();
    return { capabilities, certificate: secure.getPeerCertificate() };
  }

  /** Opens, upgrades to TLS and logs in with an initial response; throws unless OK. */
  static async login(port: number, user: string, password: string, servername?: string): Promise<SieveWire> {
    const w = await SieveWire.open(port);
    await w.startTls(servername);
    const r = await w.cmd(`AUTHENTICATE "PLAIN" "${plainToken(user, password)}"`);
    assert.match(r, /^OK/, r);
    return w;
  }

  close(): void {
    this.sock.destroy();
  }
}
