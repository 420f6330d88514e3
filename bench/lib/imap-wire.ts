/*
 * A lean IMAP client for the benchmarks: one command at a time per
 * connection (no pipelining), responses split into complete responses with
 * their literals, APPEND through a non-synchronizing literal (LITERAL+).
 * It parses no more than the benchmarks need (tagged status, untagged
 * response text, literal bytes), so that on a two-core machine shared with
 * the server the client costs little next to the server it measures.
 *
 * Exports: ResponseReader, WireResponse, ImapClient, CommandResult.
 * Security: benchmark only; connects to 127.0.0.1 with TLS and accepts the
 * server's self-signed certificate.
 * Standards: RFC 9051 section 4.3 (literals), RFC 7888 (LITERAL+).
 */
import { connect } from 'node:net';
import tls from 'node:tls';

/** One complete server response: its lines joined (literal markers kept, literal bytes left out) and the literals. */
export interface WireResponse {
  text: string;
  literals: Buffer[];
}

const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);
const LITERAL_AT_END = /\{(\d+)\+?\}$/;

/** Splits the server's byte stream into complete responses; a line ending in {n} continues after n literal bytes. */
export class ResponseReader {
  private buf: Buffer = EMPTY;
  /** Literal bytes still expected; -1 when reading a line. */
  private need = -1;
  private parts: string[] = [];
  private literals: Buffer[] = [];

  push(chunk: Buffer): WireResponse[] {
    this.buf = this.buf.length > 0 ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: WireResponse[] = [];
    let off = 0;
    for (;;) {
      if (this.need >= 0) {
        if (this.buf.length - off < this.need) break;
        this.literals.push(this.buf.subarray(off, off + this.need));
        off += this.need;
        this.need = -1;
        continue;
      }
      const eol = this.buf.indexOf(CRLF, off);
      if (eol < 0) break;
      const line = this.buf.toString('latin1', off, eol);
      off = eol + 2;
      this.parts.push(line);
      const m = LITERAL_AT_END.exec(line);
      if (m) {
        this.need = Number(m[1]);
        continue;
      }
      out.push({ text: this.parts.length === 1 ? line : this.parts.join(''), literals: this.literals });
      this.parts = [];
      this.literals = [];
    }
    this.buf = off >= this.buf.length ? EMPTY : this.buf.subarray(off);
    return out;
  }
}

export interface CommandResult {
  status: 'OK' | 'NO' | 'BAD';
  /** The tagged line after the status. */
  text: string;
  untagged: WireResponse[];
}

interface Pending {
  tag: string;
  untagged: WireResponse[];
  resolve(r: CommandResult): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class ImapClient {
  private readonly reader = new ResponseReader();
  private pending: Pending | undefined;
  private greeting: ((r: WireResponse) => void) | undefined;
  private next = 0;
  closed = false;
  private closeError: Error | undefined;

  private constructor(private readonly socket: tls.TLSSocket, private readonly timeoutMs: number) {
    socket.on('data', (chunk: Buffer) => {
      for (const r of this.reader.push(chunk)) this.dispatch(r);
    });
    socket.on('error', (err) => (this.closeError = err));
    socket.on('close', () => {
      this.closed = true;
      const p = this.pending;
      this.pending = undefined;
      if (p) {
        clearTimeout(p.timer);
        p.reject(new Error(`connection closed during ${p.tag}${this.closeError ? `: ${this.closeError.message}` : ''}`));
      }
    });
  }

  /**
   * Connects with implicit TLS and waits for the greeting (`* OK`).
   * `localAddress` (another 127.0.0.x) makes the server see clients from
   * several addresses, under its per-address connection limit.
   */
  static async connect(port: number, options: { host?: string; localAddress?: string; timeoutMs?: number } = {}): Promise<ImapClient> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const tcp = connect({ host: options.host ?? '127.0.0.1', port, localAddress: options.localAddress, noDelay: true });
    const socket = tls.connect({ socket: tcp, rejectUnauthorized: false, servername: 'localhost' });
    const client = new ImapClient(socket, timeoutMs);
    const greeting = await new Promise<WireResponse>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no greeting')), timeoutMs);
      client.greeting = (r) => (clearTimeout(timer), resolve(r));
      socket.once('close', () => (clearTimeout(timer), reject(new Error(`closed before the greeting${client.closeError ? `: ${client.closeError.message}` : ''}`))));
    });
    if (!greeting.text.startsWith('* OK')) {
      socket.destroy();
      throw new Error(`greeting: ${greeting.text}`);
    }
    return client;
  }

  private dispatch(r: WireResponse): void {
    if (this.greeting) {
      const g = this.greeting;
      this.greeting = undefined;
      g(r);
      return;
    }
    const p = this.pending;
    if (!p) return; // unsolicited (a BYE at shutdown): nothing waits for it
    if (r.text.startsWith(p.tag) && r.text.charCodeAt(p.tag.length) === 32) {
      this.pending = undefined;
      clearTimeout(p.timer);
      const rest = r.text.slice(p.tag.length + 1);
      const sp = rest.indexOf(' ');
      const status = sp < 0 ? rest : rest.slice(0, sp);
      if (status !== 'OK' && status !== 'NO' && status !== 'BAD') return p.reject(new Error(`bad tagged response: ${r.text}`));
      p.resolve({ status, text: sp < 0 ? '' : rest.slice(sp + 1), untagged: p.untagged });
    } else {
      p.untagged.push(r);
    }
  }

  /**
   * Sends one command (without tag and CRLF) and resolves with its tagged
   * result. `literal` is appended as a non-synchronizing literal: the line
   * must then end with the literal's `{n+}` marker.
   */
  command(line: string, literal?: Buffer): Promise<CommandResult> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    if (this.pending) return Promise.reject(new Error(`command while ${this.pending.tag} is pending`));
    const tag = `b${++this.next}`;
    return new Promise<CommandResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new Error(`${tag} ${line.slice(0, 60)}: no answer within ${this.timeoutMs} ms`));
        this.socket.destroy();
      }, this.timeoutMs);
      this.pending = { tag, untagged: [], resolve, reject, timer };
      if (literal) this.socket.write(Buffer.concat([Buffer.from(`${tag} ${line}\r\n`, 'latin1'), literal, CRLF]));
      else this.socket.write(`${tag} ${line}\r\n`, 'latin1');
    });
  }

  /** APPEND with a LITERAL+ literal. */
  append(mailbox: string, flags: string, message: Buffer): Promise<CommandResult> {
    return this.command(`APPEND ${mailbox} (${flags}) {${message.length}+}`, message);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The number in `* n EXISTS` among untagged responses, or undefined. */
export function existsCount(untagged: WireResponse[]): number | undefined {
  let n: number | undefined;
  for (const r of untagged) {
    const m = /^\* (\d+) EXISTS$/.exec(r.text);
    if (m) n = Number(m[1]);
  }
  return n;
}

/** How many `* n EXPUNGE` responses (the benchmarks do not enable QRESYNC, so no VANISHED). */
export function expungeCount(untagged: WireResponse[]): number {
  let n = 0;
  for (const r of untagged) if (/^\* \d+ EXPUNGE$/.test(r.text)) n++;
  return n;
}

/** The numbers of the untagged SEARCH response (IMAP4rev1 form: the benchmarks do not ENABLE IMAP4rev2). */
export function searchResults(untagged: WireResponse[]): number[] {
  for (const r of untagged) {
    if (r.text === '* SEARCH') return [];
    if (r.text.startsWith('* SEARCH ')) return r.text.slice(9).trim().split(' ').filter(Boolean).map(Number);
  }
  return [];
}
