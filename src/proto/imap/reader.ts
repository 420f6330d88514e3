/*
 * Token reader over a framed command unit: the grammar's terminals (atom,
 * number, quoted, literal, astring, nstring, lists, sequence sets, flags,
 * mailbox names, dates).
 *
 * Exports: Reader, ReaderOptions, SequenceSet, SeqRange, SeqNumber, IMAP_MONTHS.
 * Security: input is untrusted; every read is bounds-checked, nesting and token
 * counts are capped (limits.ts), errors are ImapParseError with fixed text.
 * Standards: RFC 9051 section 9 (formal syntax), RFC 3501 section 9, RFC 5182
 * (`$`), RFC 6855 (UTF-8 quoted strings), RFC 3516 (literal8). Deviation: 8-bit
 * UTF-8 is accepted in quoted strings even before UTF8=ACCEPT (clients send
 * non-ASCII passwords and search strings that way, and Dovecot accepts them);
 * it must be valid UTF-8, and mailbox names still go through strict
 * modified UTF-7 in rev1, which rejects 8-bit.
 */
import type { CommandUnit } from './framer.js';
import { ImapParseError } from './errors.js';
import {
  MAX_LIST_ITEMS,
  MAX_MAILBOX_NAME_BYTES,
  MAX_NESTING_DEPTH,
  MAX_SEQUENCE_RANGES,
  MAX_TOKENS_PER_COMMAND,
} from './limits.js';
import { decodeMutf7, Mutf7Error } from './mutf7.js';

export interface ReaderOptions {
  /** UTF8=ACCEPT or IMAP4rev2 enabled: mailbox names and quoted strings are UTF-8, not modified UTF-7. */
  utf8: boolean;
}

/** A message number or UID; '*' is the largest in use. */
export type SeqNumber = number | '*';
export interface SeqRange {
  from: SeqNumber;
  to: SeqNumber;
}
/** `$` (SEARCHRES, RFC 5182) or ranges in the order given (a single number has from === to). */
export type SequenceSet = { kind: 'saved' } | { kind: 'ranges'; ranges: SeqRange[] };

export const IMAP_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

/** ATOM-CHAR: any CHAR except atom-specials ( ) { SP CTL % * " \ ] */
const ATOM_CHAR = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) ATOM_CHAR[c] = 1;
for (const ch of '(){%*"\\]') ATOM_CHAR[ch.charCodeAt(0)] = 0;
/** ASTRING-CHAR = ATOM-CHAR / resp-specials (]) */
const ASTRING_CHAR = ATOM_CHAR.slice();
ASTRING_CHAR[0x5d] = 1;

export class Reader {
  private seg = 0;
  private pos = 0;
  private line: Buffer;
  private tokens = 0;
  depth = 0;
  tag: string | null = null;
  command: string | null = null;

  constructor(
    private readonly unit: CommandUnit,
    readonly options: ReaderOptions,
  ) {
    this.line = unit.lines[0] ?? Buffer.alloc(0);
  }

  error(message: string, code: ImapParseError['code'] = 'syntax'): ImapParseError {
    return new ImapParseError(code, message, this.tag, this.command);
  }

  private count(): void {
    if (++this.tokens > MAX_TOKENS_PER_COMMAND) throw this.error('too many tokens', 'limit');
  }

  /** Next byte of the current line, or -1 at its end. */
  peek(): number {
    return this.pos < this.line.length ? this.line[this.pos]! : -1;
  }

  /** True when the whole command has been consumed. */
  atEnd(): boolean {
    return this.pos >= this.line.length && this.seg >= this.unit.lines.length - 1;
  }

  end(): void {
    if (!this.atEnd()) throw this.error('unexpected characters at end of command');
  }

  sp(): void {
    if (this.peek() !== SP) throw this.error('expected space');
    this.pos++;
  }

  /** Consumes a space if one follows. */
  maybeSp(): boolean {
    if (this.peek() === SP) {
      this.pos++;
      return true;
    }
    return false;
  }

  is(ch: string): boolean {
    return this.peek() === ch.charCodeAt(0);
  }

  expect(ch: string): void {
    if (this.peek() !== ch.charCodeAt(0)) throw this.error(`expected ${ch}`);
    this.pos++;
  }

  skip(ch: string): boolean {
    if (this.peek() === ch.charCodeAt(0)) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** True when the current line continues with `s` (case-insensitive); consumes nothing. */
  lookahead(s: string): boolean {
    return this.line.toString('latin1', this.pos, this.pos + s.length).toUpperCase() === s.toUpperCase();
  }

  /** Case-insensitive keyword lookahead followed by a non-atom char; consumes it when matched. */
  keyword(word: string): boolean {
    const n = word.length;
    if (this.pos + n > this.line.length) return false;
    const s = this.line.toString('latin1', this.pos, this.pos + n);
    if (s.toUpperCase() !== word) return false;
    const next = this.pos + n < this.line.length ? this.line[this.pos + n]! : -1;
    if (next >= 0 && ATOM_CHAR[next] && word.at(-1) !== '[' && word.at(-1) !== '(') return false;
    this.pos += n;
    return true;
  }

  /** Raw run of bytes accepted by the table. */
  private run(table: Uint8Array): string {
    const start = this.pos;
    while (this.pos < this.line.length && table[this.line[this.pos]!]) this.pos++;
    return this.line.toString('latin1', start, this.pos);
  }

  /** tag = 1*<any ASTRING-CHAR except "+"> */
  readTag(): string {
    this.count();
    const start = this.pos;
    while (this.pos < this.line.length && ASTRING_CHAR[this.line[this.pos]!] && this.line[this.pos] !== 0x2b) this.pos++;
    return this.line.toString('latin1', start, this.pos);
  }

  atom(): string {
    this.count();
    const s = this.run(ATOM_CHAR);
    if (!s) throw this.error('expected atom');
    return s;
  }

  /** Atom made of chars that are ATOM-CHAR except those in `stop` (e.g. '[' '.' '<'). */
  atomUntil(stop: string): string {
    this.count();
    const start = this.pos;
    while (this.pos < this.line.length) {
      const c = this.line[this.pos]!;
      if (!ATOM_CHAR[c] || stop.includes(String.fromCharCode(c))) break;
      this.pos++;
    }
    if (this.pos === start) throw this.error('expected atom');
    return this.line.toString('latin1', start, this.pos);
  }

  number(): number {
    this.count();
    const start = this.pos;
    while (this.pos < this.line.length && this.line[this.pos]! >= 0x30 && this.line[this.pos]! <= 0x39) this.pos++;
    const len = this.pos - start;
    if (len === 0) throw this.error('expected number');
    if (len > 10) throw this.error('number too large');
    const n = Number(this.line.toString('latin1', start, this.pos));
    if (n > 0xffffffff) throw this.error('number too large');
    return n;
  }

  nzNumber(): number {
    const n = this.number();
    if (n === 0) throw this.error('expected non-zero number');
    return n;
  }

  /** number64 (RFC 9051: mod-sequence values, sizes) as bigint. */
  number64(): bigint {
    this.count();
    const start = this.pos;
    while (this.pos < this.line.length && this.line[this.pos]! >= 0x30 && this.line[this.pos]! <= 0x39) this.pos++;
    if (this.pos === start) throw this.error('expected number');
    if (this.pos - start > 20) throw this.error('number too large');
    const n = BigInt(this.line.toString('latin1', start, this.pos));
    if (n > 0x7fffffffffffffffn) throw this.error('number too large');
    return n;
  }

  private quotedBytes(): Buffer {
    this.count();
    this.expect('"');
    const start = this.pos;
    let escaped = false;
    for (;;) {
      const c = this.peek();
      if (c < 0) throw this.error('unterminated quoted string');
      this.pos++;
      if (c === DQUOTE) break;
      if (c === BACKSLASH) {
        const e = this.peek();
        if (e !== DQUOTE && e !== BACKSLASH) throw this.error('bad escape in quoted string');
        this.pos++;
        escaped = true;
      } else if (c === 0x0d || c === 0x0a || c === 0) throw this.error('bad character in quoted string');
    }
    const raw = this.line.subarray(start, this.pos - 1);
    if (!escaped) return Buffer.from(raw);
    const out = Buffer.allocUnsafe(raw.length);
    let n = 0;
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] === BACKSLASH) i++;
      out[n++] = raw[i]!;
    }
    return out.subarray(0, n);
  }

  /** `{n}` / `~{n}` at the end of the current line: returns the literal and moves to the next line. */
  private literalBytes(allowBinary: boolean): Buffer {
    this.count();
    const binary = this.skip('~');
    if (binary && !allowBinary) throw this.error('literal8 not allowed here');
    this.expect('{');
    this.number();
    if (!this.skip('+')) this.skip('-');
    this.expect('}');
    if (this.pos !== this.line.length) throw this.error('literal must end the line');
    const lit = this.unit.literals[this.seg];
    if (!lit) throw this.error('missing literal data');
    this.seg++;
    this.line = this.unit.lines[this.seg] ?? Buffer.alloc(0);
    this.pos = 0;
    if (!binary && lit.data.includes(0)) throw this.error('NUL in literal; use literal8');
    return lit.data;
  }

  isLiteralStart(): boolean {
    return this.is('{') || this.is('~');
  }

  /** string = quoted / literal, as bytes. */
  stringBytes(allowBinary = false): Buffer {
    if (this.is('"')) return this.quotedBytes();
    if (this.isLiteralStart()) return this.literalBytes(allowBinary);
    throw this.error('expected string');
  }

  /** Decodes client text: UTF-8 (must be valid) or, when not enabled, rejects 8-bit from literals too. */
  text(buf: Buffer): string {
    try {
      return UTF8.decode(buf);
    } catch {
      throw this.error('invalid UTF-8', 'bad-charset');
    }
  }

  string(): string {
    return this.text(this.stringBytes());
  }

  /** astring = 1*ASTRING-CHAR / string */
  astringBytes(): Buffer {
    if (this.is('"') || this.isLiteralStart()) return this.stringBytes();
    this.count();
    const s = this.run(ASTRING_CHAR);
    if (!s) throw this.error('expected astring');
    return Buffer.from(s, 'latin1');
  }

  astring(): string {
    return this.text(this.astringBytes());
  }

  /** nstring = string / NIL */
  nstring(): string | null {
    if (this.keyword('NIL')) return null;
    return this.string();
  }

  /** mailbox = "INBOX" / astring, decoded (mUTF-7 unless UTF-8 is enabled); INBOX is case-insensitive. */
  mailbox(): string {
    const raw = this.astringBytes();
    return this.decodeMailbox(raw);
  }

  /** list-mailbox: astring plus list-wildcards % and *. */
  listMailbox(): string {
    let raw: Buffer;
    if (this.is('"') || this.isLiteralStart()) raw = this.stringBytes();
    else {
      this.count();
      const start = this.pos;
      while (this.pos < this.line.length) {
        const c = this.line[this.pos]!;
        if (!(ASTRING_CHAR[c] || c === 0x25 || c === 0x2a)) break;
        this.pos++;
      }
      if (this.pos === start) throw this.error('expected mailbox pattern');
      raw = this.line.subarray(start, this.pos);
    }
    return this.decodeMailbox(raw);
  }

  private decodeMailbox(raw: Buffer): string {
    if (raw.length > MAX_MAILBOX_NAME_BYTES) throw this.error('mailbox name too long', 'limit');
    if (raw.includes(0)) throw this.error('NUL in mailbox name', 'bad-mailbox-name');
    let name: string;
    if (this.options.utf8) {
      name = this.text(raw);
      for (let i = 0; i < name.length; i++) {
        if (name.charCodeAt(i) < 0x20 || name.charCodeAt(i) === 0x7f) throw this.error('control character in mailbox name', 'bad-mailbox-name');
      }
    } else {
      try {
        name = decodeMutf7(raw.toString('latin1'));
      } catch (e) {
        if (e instanceof Mutf7Error) throw this.error('invalid modified UTF-7 mailbox name', 'bad-mailbox-name');
        throw e;
      }
    }
    return name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
  }

  /** Opens a parenthesised list, counting depth. */
  open(): void {
    this.expect('(');
    this.count();
    if (++this.depth > MAX_NESTING_DEPTH) throw this.error('nesting too deep', 'too-deep');
  }

  close(): void {
    this.expect(')');
    this.depth--;
  }

  /** Generic `( item *(SP item) )`, with `allowEmpty`. */
  list<T>(item: () => T, allowEmpty = true): T[] {
    this.open();
    const out: T[] = [];
    if (this.is(')')) {
      if (!allowEmpty) throw this.error('empty list');
      this.close();
      return out;
    }
    for (;;) {
      if (out.length >= MAX_LIST_ITEMS) throw this.error('list too long', 'limit');
      out.push(item());
      if (this.is(')')) break;
      this.sp();
    }
    this.close();
    return out;
  }

  /** One flag: `\Word` (system or extension) or a keyword atom. */
  flag(allowWildcard = false): string {
    if (this.skip('\\')) {
      if (allowWildcard && this.skip('*')) return '\\*';
      return '\\' + this.atom();
    }
    return this.atom();
  }

  flagList(): string[] {
    return this.list(() => this.flag());
  }

  private seqNumber(): SeqNumber {
    if (this.skip('*')) return '*';
    return this.nzNumber();
  }

  sequenceSet(): SequenceSet {
    if (this.skip('$')) return { kind: 'saved' };
    const ranges: SeqRange[] = [];
    for (;;) {
      if (ranges.length >= MAX_SEQUENCE_RANGES) throw this.error('sequence set too long', 'limit');
      const from = this.seqNumber();
      const to = this.skip(':') ? this.seqNumber() : from;
      ranges.push({ from, to });
      if (!this.skip(',')) break;
    }
    return { kind: 'ranges', ranges };
  }

  /** True when a sequence set starts here (digit, `*` or `$`). */
  isSequenceSetStart(): boolean {
    const c = this.peek();
    return (c >= 0x30 && c <= 0x39) || c === 0x2a || c === 0x24;
  }

  private month(): number {
    const s = this.line.toString('latin1', this.pos, this.pos + 3);
    const m = IMAP_MONTHS.findIndex((x) => x.toUpperCase() === s.toUpperCase());
    if (m < 0) throw this.error('bad month');
    this.pos += 3;
    return m;
  }

  private digits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const c = this.peek();
      if (c < 0x30 || c > 0x39) throw this.error('expected digit');
      v = v * 10 + (c - 0x30);
      this.pos++;
    }
    return v;
  }

  /** date = date-text / DQUOTE date-text DQUOTE; date-text = 1*2DIGIT "-" month "-" 4DIGIT. Returns a calendar date. */
  date(): { year: number; month: number; day: number } {
    this.count();
    const quoted = this.skip('"');
    const d1 = this.digits(1);
    const day = this.peek() >= 0x30 && this.peek() <= 0x39 ? d1 * 10 + this.digits(1) : d1;
    this.expect('-');
    const month = this.month() + 1;
    this.expect('-');
    const year = this.digits(4);
    if (quoted) this.expect('"');
    if (day < 1 || day > daysIn(year, month)) throw this.error('bad day');
    return { year, month, day };
  }

  /** date-time = DQUOTE date-day-fixed "-" month "-" date-year SP time SP zone DQUOTE, as a Date (UTC instant). */
  dateTime(): Date {
    this.count();
    this.expect('"');
    const day = this.skip(' ') ? this.digits(1) : this.digits(2);
    this.expect('-');
    const month = this.month();
    this.expect('-');
    const year = this.digits(4);
    this.expect(' ');
    const hh = this.digits(2);
    this.expect(':');
    const mm = this.digits(2);
    this.expect(':');
    const ss = this.digits(2);
    this.expect(' ');
    const sign = this.peek();
    if (sign !== 0x2b && sign !== 0x2d) throw this.error('bad zone');
    this.pos++;
    const zh = this.digits(2);
    const zm = this.digits(2);
    this.expect('"');
    if (day < 1 || day > daysIn(year, month + 1) || hh > 23 || mm > 59 || ss > 60 || zm > 59) {
      throw this.error('bad date-time');
    }
    const offset = (sign === 0x2d ? -1 : 1) * (zh * 60 + zm);
    return new Date(Date.UTC(year, month, day, hh, mm, Math.min(ss, 59)) - offset * 60_000);
  }

  /** Bytes up to the end of the current line (e.g. AUTHENTICATE initial response). */
  restOfLine(): string {
    const s = this.line.toString('latin1', this.pos);
    this.pos = this.line.length;
    return s;
  }
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
