/*
 * ManageSieve framing: bytes in, whole commands out. A command is one or
 * more lines joined by literals: a line ending in `{n+}` (or `{n}`, which
 * some clients send; ManageSieve has no continuation for literals, so both
 * are read the same way) is followed by exactly n octets, then the command
 * goes on until a line without a literal marker ends it.
 *
 * Nothing is allocated for a literal before its length is checked: one
 * above the current limit (MAX_PRE_AUTH_LITERAL_BYTES before login, the
 * configured script size after) is skipped octet by octet without being
 * kept, and the command is reported as `literal-too-large` with its first
 * word, so PUTSCRIPT can answer NO (QUOTA/MAXSIZE) and the session stays
 * in step. A literal over MAX_SKIPPED_LITERAL_BYTES is `fatal`: the
 * session ends. A line over the line limit is dropped up to its LF and
 * reported once as `too-long`.
 *
 * Exports: ManageSieveReader, FrameEvent, Part, ReaderLimits.
 * Security: reads untrusted bytes; holds at most one line limit plus the
 * current literal limit plus the last chunk pushed (the session stops
 * reading while a command is waiting).
 * Standards: RFC 5804 section 4 (literal-c2s), RFC 7888 (`{n+}`).
 */
import { MAX_LINE_BYTES, MAX_LITERALS_PER_COMMAND, MAX_NUMBER, MAX_PRE_AUTH_LITERAL_BYTES, MAX_SKIPPED_LITERAL_BYTES } from './limits.js';

/** A piece of a command: the text of a line (without CRLF and without its literal marker), or a literal's octets. */
export type Part = { kind: 'text'; text: Buffer } | { kind: 'literal'; data: Buffer };

export type FrameEvent =
  | { kind: 'command'; parts: Part[] }
  | { kind: 'too-long' }
  | { kind: 'literal-too-large'; size: number; keyword: string }
  | { kind: 'fatal'; reason: string };

export interface ReaderLimits {
  maxLineBytes: number;
  maxLiteralBytes: number;
}

const MARKER = /\{([0-9]{1,10})(\+?)\}$/;

export class ManageSieveReader {
  private buf: Buffer = Buffer.alloc(0);
  private parts: Part[] = [];
  private literals = 0;
  /** Octets of the current literal still to come, and whether they are kept. */
  private literalLeft = -1;
  private keepLiteral = true;
  private literalChunks: Buffer[] = [];
  /** Set when the command is already lost (an oversized or an extra literal): framing goes on, nothing is kept. */
  private dropped: { size: number; keyword: string } | null = null;
  private discardingLine = false;
  private dead = false;
  private limits: ReaderLimits;

  constructor(limits: Partial<ReaderLimits> = {}) {
    this.limits = { maxLineBytes: limits.maxLineBytes ?? MAX_LINE_BYTES, maxLiteralBytes: limits.maxLiteralBytes ?? MAX_PRE_AUTH_LITERAL_BYTES };
  }

  /** Changes the literal limit for literals not started yet (after login: the script size). */
  setLiteralLimit(maxLiteralBytes: number): void {
    this.limits = { ...this.limits, maxLiteralBytes };
  }

  push(chunk: Buffer): void {
    if (this.dead) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** Bytes held in the buffer and in the command being assembled. */
  get buffered(): number {
    let n = this.buf.length;
    for (const p of this.parts) n += p.kind === 'text' ? p.text.length : p.data.length;
    for (const c of this.literalChunks) n += c.length;
    return n;
  }

  /** Forgets everything buffered (STARTTLS: plaintext sent after the command must not reach the TLS session). */
  clear(): void {
    this.buf = Buffer.alloc(0);
    this.resetCommand();
    this.discardingLine = false;
  }

  /** The next complete command or error, or null when more bytes are needed. */
  next(): FrameEvent | null {
    while (!this.dead) {
      if (this.literalLeft >= 0) {
        if (!this.readLiteral()) return null;
        continue;
      }
      const lf = this.buf.indexOf(0x0a);
      if (this.discardingLine) {
        if (lf === -1) {
          this.buf = Buffer.alloc(0);
          return null;
        }
        this.buf = this.buf.subarray(lf + 1);
        this.discardingLine = false;
        continue;
      }
      if (lf === -1) {
        if (this.buf.length > this.limits.maxLineBytes) {
          this.buf = Buffer.alloc(0);
          this.discardingLine = true;
          this.resetCommand();
          return { kind: 'too-long' };
        }
        return null;
      }
      if (lf + 1 > this.limits.maxLineBytes) {
        this.buf = this.buf.subarray(lf + 1);
        this.resetCommand();
        return { kind: 'too-long' };
      }
      const end = lf > 0 && this.buf[lf - 1] === 0x0d ? lf - 1 : lf;
      const line = Buffer.from(this.buf.subarray(0, end));
      this.buf = this.buf.subarray(lf + 1);
      const marker = MARKER.exec(line.toString('latin1'));
      if (!marker) {
        this.keep({ kind: 'text', text: line });
        return this.finishCommand();
      }
      const size = Number(marker[1]);
      this.keep({ kind: 'text', text: line.subarray(0, line.length - marker[0].length) });
      if (size > MAX_SKIPPED_LITERAL_BYTES || size > MAX_NUMBER) {
        this.dead = true;
        this.buf = Buffer.alloc(0);
        this.resetCommand();
        return { kind: 'fatal', reason: 'literal too large' };
      }
      this.literals++;
      this.keepLiteral = this.dropped === null && size <= this.limits.maxLiteralBytes && this.literals <= MAX_LITERALS_PER_COMMAND;
      if (!this.keepLiteral && this.dropped === null) this.dropped = { size, keyword: this.keyword() };
      this.literalLeft = size;
    }
    return null;
  }

  /** Moves literal octets out of the buffer; true once the literal is complete. */
  private readLiteral(): boolean {
    const n = Math.min(this.literalLeft, this.buf.length);
    if (this.keepLiteral && n > 0) this.literalChunks.push(Buffer.from(this.buf.subarray(0, n)));
    this.buf = this.buf.subarray(n);
    this.literalLeft -= n;
    if (this.literalLeft > 0) return false;
    if (this.keepLiteral) this.parts.push({ kind: 'literal', data: Buffer.concat(this.literalChunks) });
    this.literalChunks = [];
    this.literalLeft = -1;
    return true;
  }

  private keep(part: Part): void {
    if (this.dropped === null) this.parts.push(part);
  }

  /** The command's first word, for telling PUTSCRIPT's oversized literal from others. */
  private keyword(): string {
    const first = this.parts.find((p) => p.kind === 'text') as { kind: 'text'; text: Buffer } | undefined;
    const word = first ? /^[A-Za-z]{1,20}/.exec(first.text.toString('latin1'))?.[0] : undefined;
    return (word ?? '').toUpperCase();
  }

  private finishCommand(): FrameEvent {
    const dropped = this.dropped;
    const parts = this.parts;
    this.resetCommand();
    if (dropped) return { kind: 'literal-too-large', size: dropped.size, keyword: dropped.keyword };
    return { kind: 'command', parts };
  }

  private resetCommand(): void {
    this.parts = [];
    this.literals = 0;
    this.literalLeft = -1;
    this.keepLiteral = true;
    this.literalChunks = [];
    this.dropped = null;
  }
}
