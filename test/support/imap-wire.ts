/*
 * A raw IMAP client for end-to-end tests: writes bytes, waits for a
 * pattern in what came back, runs tagged commands. Over implicit TLS
 * (the 993 role) or plaintext, always to 127.0.0.1.
 *
 * Exports: ImapWire.
 * Security: test only; certificates are not verified (self-signed).
 */
import { connect } from 'node:net';
import tls from 'node:tls';

export class ImapWire {
  buf = Buffer.alloc(0);
  closed = false;
  private waiters: Array<() => void> = [];

  /** How replies are decoded for matching: latin1 keeps one character per octet (literal sizes); utf8 for text checks. */
  constructor(
    readonly sock: import('node:net').Socket,
    readonly encoding: BufferEncoding = 'latin1',
  ) {
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

  /** Connects (TLS unless plain), waits for the greeting, optionally logs in as user@example.com with pw-user. */
  static async open(port: number, opts: { user?: string; plain?: boolean; localAddress?: string } = {}): Promise<ImapWire> {
    const raw = connect({ host: '127.0.0.1', port, localAddress: opts.localAddress });
    const sock = opts.plain ? raw : tls.connect({ socket: raw, servername: 'localhost', rejectUnauthorized: false });
    const w = new ImapWire(sock);
    await w.until(/^\* (OK|BYE) .*\r\n/m);
    if (opts.user) {
      const r = await w.cmd('L', `LOGIN ${opts.user}@example.com pw-${opts.user}`);
      if (!/^L OK/m.test(r)) throw new Error(`login failed: ${r}`);
    }
    return w;
  }

  get text(): string {
    return this.buf.toString(this.encoding);
  }

  /** Text received from offset on (use mark() to take an offset). */
  since(offset: number): string {
    return this.buf.subarray(offset).toString(this.encoding);
  }

  mark(): number {
    return this.buf.length;
  }

  write(data: string): void {
    this.sock.write(data);
  }

  /** Waits until the text from offset on matches re. */
  async until(re: RegExp, timeoutMs = 5000, offset = 0): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const t = this.since(offset);
      if (re.test(t)) return t;
      if (this.closed) throw new Error(`closed before ${re}; got:\n${t}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${re}; got:\n${t}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends `tag line` and returns everything received until its tagged reply. */
  async cmd(tag: string, line: string, timeoutMs = 5000): Promise<string> {
    const start = this.buf.length;
    this.sock.write(`${tag} ${line}\r\n`);
    return this.until(new RegExp(`^${tag} (OK|NO|BAD)[^\\r]*\\r\\n`, 'm'), timeoutMs, start);
  }

  close(): void {
    this.sock.destroy();
  }
}
