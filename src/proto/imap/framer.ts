/*
 * Streaming IMAP framer: socket bytes in, complete command units out.
 *
 * The session pushes every chunk it reads and then pulls events with next()
 * until it returns null. A command unit is the command's lines with the bytes
 * of each literal attached. A synchronising literal `{n}` yields a `continue`
 * event (the session writes `+ ...`) once its size passed the limit; `{n+}`
 * (LITERAL+) and `{n-}` (LITERAL-, at most 4096 octets) need none. Because the
 * session pulls, it can switch mode (IDLE waiting for DONE, AUTHENTICATE
 * response lines) before the framer looks at the next pipelined bytes.
 *
 * Exports: ImapFramer, FrameEvent, FrameError, FrameErrorCode, CommandUnit,
 * FramedLiteral, FramerMode.
 * Security: reads untrusted bytes before login. A literal's declared size is
 * checked before anything is allocated or `+` is sent; an unterminated line
 * never grows past the line cap; work is linear in the input (chunks are
 * joined once per line or literal).
 * Standards: RFC 9051 sections 2.2 and 4.3, RFC 3501, RFC 7888 (LITERAL+,
 * LITERAL-), RFC 3516 (literal8 `~{n}`), RFC 2177 (IDLE). Deviation: a bare LF
 * also ends a line (some clients send it; it cannot smuggle anything here).
 */
import {
  MAX_AUTH_LINE_BYTES,
  MAX_IDLE_LINE_BYTES,
  MAX_LITERAL_MINUS_BYTES,
  MAX_LITERAL_SIZE_DIGITS,
  MAX_TAG_LENGTH,
  PRE_AUTH_FRAMER_LIMITS,
  type FramerLimits,
} from './limits.js';

export interface FramedLiteral {
  data: Buffer;
  /** literal8 (`~{n}`, RFC 3516): may contain NUL. */
  binary: boolean;
}

/** lines.length === literals.length + 1; literals[i] follows lines[i] (which ends in its `{n}`). */
export interface CommandUnit {
  lines: Buffer[];
  literals: FramedLiteral[];
}

export type FrameErrorCode =
  | 'line-too-long'
  | 'literal-too-large'
  | 'literal-minus-too-large'
  | 'command-too-large'
  | 'too-many-literals'
  | 'bad-literal-size';

export interface FrameError {
  code: FrameErrorCode;
  /** The command's tag when it could be read, so the session can answer `tag BAD`/`tag NO [TOOBIG]`. */
  tag: string | null;
  /** Upper-cased command word (after a UID prefix) when readable, e.g. APPEND, so the session can answer `NO [TOOBIG]`. */
  command: string | null;
  /** Fatal: the byte stream can no longer be trusted; the session sends `* BYE` and closes. */
  fatal: boolean;
  message: string;
}

export type FrameEvent =
  | { kind: 'command'; unit: CommandUnit }
  | { kind: 'continue'; size: number }
  | { kind: 'line'; line: Buffer }
  | { kind: 'error'; error: FrameError };

/** command: normal commands; idle: lines until DONE; authenticate: SASL response lines. */
export type FramerMode = 'command' | 'idle' | 'authenticate';

const LITERAL_RE = /(~?)\{(\d+)([+-]?)\}$/;
/** Enough of a line's end to see a literal announcement with far more digits than allowed. */
const LITERAL_TAIL_WINDOW = 64;
const TAG_RE = /^[\x21-\x7e]+/;

function commandOf(line: Buffer | undefined): string | null {
  if (!line) return null;
  const words = line.subarray(0, 128).toString('latin1').split(' ');
  let w = words[1]?.toUpperCase();
  if (w === 'UID') w = words[2]?.toUpperCase();
  return w && /^[A-Z]{1,32}$/.test(w) ? w : null;
}

function tagOf(line: Buffer): string | null {
  const head = line.subarray(0, MAX_TAG_LENGTH + 1).toString('latin1');
  const m = TAG_RE.exec(head.split(' ')[0] ?? '');
  if (!m || m[0].length > MAX_TAG_LENGTH || /[(){%*"\\\]+]/.test(m[0])) return null;
  return m[0];
}

export class ImapFramer {
  private queue: Buffer[] = [];
  private mode: FramerMode = 'command';
  private limits: FramerLimits;
  // current line
  private lineParts: Buffer[] = [];
  private lineLen = 0;
  // current command
  private lines: Buffer[] = [];
  private literals: FramedLiteral[] = [];
  private unitBytes = 0;
  // current literal
  private literalLeft = -1;
  private literalBinary = false;
  private literalParts: Buffer[] = [];
  private dead = false;

  constructor(limits: FramerLimits = PRE_AUTH_FRAMER_LIMITS) {
    this.limits = { ...limits };
  }

  /** Swaps limits (after authentication); applies from the next line or literal. */
  setLimits(limits: FramerLimits): void {
    this.limits = { ...limits };
  }

  setMode(mode: FramerMode): void {
    this.mode = mode;
  }

  getMode(): FramerMode {
    return this.mode;
  }

  /** Bytes held for an incomplete line or literal (for tests and metrics). */
  bufferedBytes(): number {
    let n = this.lineLen + this.unitBytes;
    for (const p of this.literalParts) n += p.length;
    return n;
  }

  push(chunk: Buffer): void {
    if (this.dead || chunk.length === 0) return;
    this.queue.push(chunk);
  }

  /** The next complete event, or null when more bytes are needed. */
  next(): FrameEvent | null {
    if (this.dead) return null;
    for (;;) {
      if (this.literalLeft >= 0) {
        const ev = this.readLiteral();
        if (ev === 'more') return null;
        if (ev) return ev;
        continue;
      }
      const line = this.readLine();
      if (line === null) return null;
      if ('kind' in line) return line;
      const ev = this.onLine(line.buf);
      if (ev) return ev;
    }
  }

  private lineCap(): number {
    if (this.mode === 'idle') return MAX_IDLE_LINE_BYTES;
    if (this.mode === 'authenticate') return MAX_AUTH_LINE_BYTES;
    return this.limits.maxLineBytes;
  }

  private fail(code: FrameErrorCode, message: string, fatal: boolean, tag: string | null, first?: Buffer): FrameEvent {
    const command = tag === null ? null : commandOf(this.lines[0] ?? first);
    if (fatal) {
      this.dead = true;
      this.queue = [];
    }
    this.resetCommand();
    return { kind: 'error', error: { code, tag, command, fatal, message } };
  }

  private resetCommand(): void {
    this.lines = [];
    this.literals = [];
    this.unitBytes = 0;
    this.literalLeft = -1;
    this.literalParts = [];
  }

  /** A complete line without its line ending, or an error, or null (need more). */
  private readLine(): { buf: Buffer } | FrameEvent | null {
    const cap = this.lineCap();
    while (this.queue.length) {
      const head = this.queue[0]!;
      const lf = head.indexOf(0x0a);
      if (lf < 0) {
        this.queue.shift();
        this.lineParts.push(head);
        this.lineLen += head.length;
      } else {
        const part = head.subarray(0, lf);
        if (lf + 1 < head.length) this.queue[0] = head.subarray(lf + 1);
        else this.queue.shift();
        this.lineParts.push(part);
        this.lineLen += part.length;
        let buf = this.lineParts.length === 1 ? this.lineParts[0]! : Buffer.concat(this.lineParts, this.lineLen);
        this.lineParts = [];
        this.lineLen = 0;
        if (buf.length && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
        if (buf.length > cap) return this.lineTooLong(buf);
        return { buf };
      }
      if (this.lineLen > cap + 1) {
        const first = this.lineParts[0]!;
        this.lineParts = [];
        this.lineLen = 0;
        return this.lineTooLong(first);
      }
    }
    return null;
  }

  private lineTooLong(start: Buffer): FrameEvent {
    const tag = this.lines.length ? tagOf(this.lines[0]!) : this.mode === 'command' ? tagOf(start) : null;
    return this.fail('line-too-long', 'line too long', true, tag, start);
  }

  private onLine(buf: Buffer): FrameEvent | null {
    if (this.mode !== 'command') return { kind: 'line', line: buf };
    const tag = tagOf(this.lines[0] ?? buf);
    const tail = buf.subarray(Math.max(0, buf.length - LITERAL_TAIL_WINDOW)).toString('latin1');
    const m = LITERAL_RE.exec(tail);
    // A refused non-synchronising literal is already on its way: its bytes would be read as
    // commands, so any refusal then ends the connection. A refused synchronising literal
    // (the client waits for `+`, also in the middle of a command: MULTIAPPEND's second
    // message) or a refused plain line ends only this command (RFC 9051 section 4.3).
    const sync = m !== null && m[3] === '';
    const refuse = (code: FrameErrorCode, message: string): FrameEvent => this.fail(code, message, m !== null && !sync, tag, buf);
    this.unitBytes += buf.length + 2;
    if (this.unitBytes > this.limits.maxCommandBytes) return refuse('command-too-large', 'command too large');
    this.lines.push(buf);
    if (!m) {
      const unit: CommandUnit = { lines: this.lines, literals: this.literals };
      this.resetCommand();
      return { kind: 'command', unit };
    }
    const digits = m[2]!;
    if (digits.length > MAX_LITERAL_SIZE_DIGITS) return refuse('bad-literal-size', 'literal size too long');
    const size = Number(digits);
    if (m[3] === '-' && size > MAX_LITERAL_MINUS_BYTES) return refuse('literal-minus-too-large', 'LITERAL- literal over 4096 octets');
    if (this.literals.length >= this.limits.maxLiterals) return refuse('too-many-literals', 'too many literals');
    // Checked before anything is allocated and before `+` is sent.
    if (size > this.limits.maxLiteralBytes) return refuse('literal-too-large', 'literal too large');
    if (this.unitBytes + size > this.limits.maxCommandBytes) return refuse('command-too-large', 'command too large');
    this.literalLeft = size;
    this.literalBinary = m[1] === '~';
    this.literalParts = [];
    return sync ? { kind: 'continue', size } : null;
  }

  /** Returns an event, null (literal done, continue with lines) or 'more'. */
  private readLiteral(): FrameEvent | null | 'more' {
    while (this.literalLeft > 0 && this.queue.length) {
      const head = this.queue[0]!;
      const take = Math.min(head.length, this.literalLeft);
      this.literalParts.push(head.subarray(0, take));
      this.literalLeft -= take;
      if (take < head.length) this.queue[0] = head.subarray(take);
      else this.queue.shift();
    }
    if (this.literalLeft > 0) return 'more';
    const data = this.literalParts.length === 1 ? this.literalParts[0]! : Buffer.concat(this.literalParts);
    this.unitBytes += data.length;
    this.literals.push({ data, binary: this.literalBinary });
    this.literalParts = [];
    this.literalLeft = -1;
    return null;
  }
}
