/*
 * A small line-oriented client for the doctor's probes of Petrel's own
 * listeners: SMTP, IMAP and POP3 replies read whole, STARTTLS upgrades,
 * implicit TLS, and what the TLS session looked like (protocol, cipher,
 * the certificate chain, whether it verified).
 *
 * Exports: LineClient, TlsView, tlsView.
 * Security: talks to the server's own ports (or a name the operator
 * gave); replies are bounded (MAX_REPLY_BYTES) and every wait times out.
 */
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';

/** A reply larger than this is not one of ours. */
const MAX_REPLY_BYTES = 64 * 1024;

export interface TlsView {
  protocol: string | null;
  cipher: string;
  authorized: boolean;
  authorizationError: string | null;
  /** Leaf first, as the server sent them. */
  chain: X509Certificate[];
  alpn: string | false;
}

/** What a TLS socket's session looks like. */
export function tlsView(socket: tls.TLSSocket): TlsView {
  // getPeerCertificate(true) is the chain the peer sent, linked leaf first (and, where the local trust store has it,
  // the root that signed the last one); the last link points at itself.
  const chain: X509Certificate[] = [];
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert && cert.raw && chain.length < 10) {
    chain.push(new X509Certificate(cert.raw));
    const next: tls.DetailedPeerCertificate | undefined = cert.issuerCertificate;
    if (!next || next === cert || next.fingerprint256 === cert.fingerprint256) break;
    cert = next;
  }
  return {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.name ?? '',
    authorized: socket.authorized,
    authorizationError: socket.authorizationError ? String(socket.authorizationError) : null,
    chain,
    alpn: socket.alpnProtocol ?? false,
  };
}

export type ReplyKind = 'smtp' | 'pop3' | 'line' | { imapTag: string };

export class LineClient {
  private buffer = '';
  private waiting: (() => void) | undefined;
  private ended = false;

  private constructor(
    private socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    this.attach(socket);
  }

  private attach(socket: net.Socket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      if (this.buffer.length > MAX_REPLY_BYTES) socket.destroy(new Error('reply too large'));
      this.waiting?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.waiting?.();
    });
    socket.on('error', () => {});
  }

  /** Connects (with implicit TLS when given) and resolves once connected. */
  static connect(host: string, port: number, options: { timeoutMs: number; implicitTls?: tls.ConnectionOptions }): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection to ${host}:${port} within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(new LineClient(socket, options.timeoutMs));
      };
      const socket: net.Socket = options.implicitTls ? tls.connect({ host, port, ...options.implicitTls }, done) : net.connect({ host, port }, done);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  get tls(): TlsView | undefined {
    return this.socket instanceof tls.TLSSocket ? tlsView(this.socket) : undefined;
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`, 'latin1');
  }

  /** The next whole reply: SMTP (multi-line until "ddd "), POP3 or one line, or IMAP up to the tagged line. */
  async read(kind: ReplyKind): Promise<string> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const reply = this.take(kind);
      if (reply !== undefined) return reply;
      if (this.ended) throw new Error(`connection closed${this.buffer ? ` after "${this.buffer.slice(0, 80)}"` : ''}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no reply in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiting = undefined;
    }
  }

  private take(kind: ReplyKind): string | undefined {
    let end = -1;
    if (kind === 'smtp') {
      const m = /(?:^|\r\n)\d{3} [^\r\n]*\r\n/.exec(this.buffer);
      if (m) end = m.index + m[0].length;
    } else if (kind === 'pop3' || kind === 'line') {
      const i = this.buffer.indexOf('\r\n');
      if (i >= 0) end = i + 2;
    } else {
      const m = new RegExp(`(?:^|\\r\\n)${kind.imapTag} [^\\r\\n]*\\r\\n`).exec(this.buffer);
      if (m) end = m.index + m[0].length;
    }
    if (end < 0) return undefined;
    const reply = this.buffer.slice(0, end);
    this.buffer = this.buffer.slice(end);
    return reply.replace(/\r\n$/, '');
  }

  /** Upgrades to TLS (after a STARTTLS the server accepted); the plaintext buffer is dropped. */
  upgrade(options: tls.ConnectionOptions): Promise<TlsView> {
    this.buffer = '';
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        secure.destroy();
        reject(new Error('TLS handshake timed out'));
      }, this.timeoutMs);
      const secure = tls.connect({ socket: plain, ...options }, () => {
        clearTimeout(timer);
        this.socket = secure;
        this.attach(secure);
        resolve(tlsView(secure));
      });
      secure.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
