/*
 * ManageSieve command parser: a framed command (text lines and literals,
 * from reader.ts) in, a typed command or a typed error out. Tokens are
 * separated by exactly one space: atoms (command names, case-insensitive),
 * numbers, quoted strings (`\"` and `\\` the only escapes) and literals
 * (a string whose octets came in a `{n+}` literal).
 *
 * Exports: parseCommand, parseAuthResponse, tokenize, Token, ParseResult,
 * ParseErrorCode, AuthResponse.
 * Security: reads untrusted bytes. NUL in a quoted string, unknown
 * escapes, numbers beyond MAX_NUMBER, tags over MAX_TAG_BYTES and
 * mechanism names that are not RFC 4422 names are refused here. Strings
 * stay octets: names are checked as UTF-8 by the session, scripts by the
 * compiler.
 * Standards: RFC 5804 section 4 (command, string, quoted, literal-c2s,
 * number), section 2.1 (AUTHENTICATE with an optional initial response,
 * "*" to cancel).
 */
import type { ManageSieveCommand } from './commands.js';
import { MAX_MECHANISM_LENGTH, MAX_NUMBER, MAX_NUMBER_DIGITS, MAX_TAG_BYTES } from './limits.js';
import type { Part } from './reader.js';

export type Token = { type: 'atom'; value: string } | { type: 'number'; value: number } | { type: 'string'; value: Buffer };

export type ParseErrorCode = 'unknown-command' | 'syntax';
export type ParseResult = { ok: true; command: ManageSieveCommand } | { ok: false; code: ParseErrorCode; message: string };
export type AuthResponse = { kind: 'data'; data: Buffer } | { kind: 'cancel' } | { kind: 'invalid' };

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MECHANISM = /^[A-Z0-9_-]+$/;

class SyntaxError_ extends Error {}

function isAtomByte(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** One token at text[i]; returns it and the index after it. */
function token(text: Buffer, i: number): [Token, number] {
  const b = text[i]!;
  if (b === DQUOTE) {
    const out: number[] = [];
    for (let j = i + 1; j < text.length; j++) {
      const c = text[j]!;
      if (c === DQUOTE) return [{ type: 'string', value: Buffer.from(out) }, j + 1];
      if (c === BACKSLASH) {
        const next = text[j + 1];
        if (next !== DQUOTE && next !== BACKSLASH) throw new SyntaxError_('invalid escape in quoted string');
        out.push(next);
        j++;
        continue;
      }
      if (c === 0x00) throw new SyntaxError_('NUL in quoted string');
      out.push(c);
    }
    throw new SyntaxError_('unterminated quoted string');
  }
  if (isDigit(b)) {
    let j = i;
    while (j < text.length && isDigit(text[j]!)) j++;
    const digits = text.subarray(i, j).toString('latin1');
    if (digits.length > MAX_NUMBER_DIGITS || Number(digits) > MAX_NUMBER) throw new SyntaxError_('number too large');
    if (j < text.length && text[j] !== SP) throw new SyntaxError_('invalid number');
    return [{ type: 'number', value: Number(digits) }, j];
  }
  if (isAtomByte(b)) {
    let j = i;
    while (j < text.length && isAtomByte(text[j]!)) j++;
    if (j < text.length && text[j] !== SP) throw new SyntaxError_('invalid atom');
    return [{ type: 'atom', value: text.subarray(i, j).toString('latin1').toUpperCase() }, j];
  }
  throw new SyntaxError_('unexpected character');
}

/**
 * The tokens of a framed command. Every token but the first is preceded by
 * one space; a literal's line ends with the space before its marker.
 */
export function tokenize(parts: readonly Part[]): Token[] {
  const tokens: Token[] = [];
  // True when the next token needs a space before it.
  let needSpace = false;
  for (const part of parts) {
    if (part.kind === 'literal') {
      if (needSpace) throw new SyntaxError_('missing space before literal');
      tokens.push({ type: 'string', value: part.data });
      needSpace = true;
      continue;
    }
    const text = part.text;
    let i = 0;
    while (i < text.length) {
      if (needSpace) {
        if (text[i] !== SP) throw new SyntaxError_('missing space');
        i++;
        needSpace = false;
        continue;
      }
      if (text[i] === SP) throw new SyntaxError_('extra space');
      const [t, after] = token(text, i);
      tokens.push(t);
      i = after;
      needSpace = true;
    }
  }
  // A space with nothing after it (a trailing space, or one before a missing literal).
  if (!needSpace && tokens.length > 0) throw new SyntaxError_('trailing space');
  return tokens;
}

const fail = (code: ParseErrorCode, message: string): ParseResult => ({ ok: false, code, message });

type Shape = 'string' | 'number';

/** The argument shapes of each command; `?` marks the optional last one. */
const SHAPES: Record<ManageSieveCommand['name'], { required: Shape[]; optional?: Shape }> = {
  AUTHENTICATE: { required: ['string'], optional: 'string' },
  STARTTLS: { required: [] },
  LOGOUT: { required: [] },
  CAPABILITY: { required: [] },
  NOOP: { required: [], optional: 'string' },
  UNAUTHENTICATE: { required: [] },
  LISTSCRIPTS: { required: [] },
  HAVESPACE: { required: ['string', 'number'] },
  PUTSCRIPT: { required: ['string', 'string'] },
  CHECKSCRIPT: { required: ['string'] },
  GETSCRIPT: { required: ['string'] },
  SETACTIVE: { required: ['string'] },
  DELETESCRIPT: { required: ['string'] },
  RENAMESCRIPT: { required: ['string', 'string'] },
};

function isName(name: string): name is ManageSieveCommand['name'] {
  return Object.prototype.hasOwnProperty.call(SHAPES, name);
}

export function parseCommand(parts: readonly Part[]): ParseResult {
  let tokens: Token[];
  try {
    tokens = tokenize(parts);
  } catch (err) {
    if (err instanceof SyntaxError_) return fail('syntax', err.message);
    throw err;
  }
  const [first, ...args] = tokens;
  if (!first || first.type !== 'atom' || !isName(first.value)) return fail('unknown-command', 'unknown command');
  const name = first.value;
  const shape = SHAPES[name];
  const max = shape.required.length + (shape.optional ? 1 : 0);
  if (args.length < shape.required.length || args.length > max) return fail('syntax', `wrong number of arguments for ${name}`);
  for (let i = 0; i < args.length; i++) {
    const want = shape.required[i] ?? shape.optional!;
    if (args[i]!.type !== want) return fail('syntax', `${name} expects a ${want} as argument ${i + 1}`);
  }
  const str = (i: number) => (args[i] as { type: 'string'; value: Buffer }).value;
  switch (name) {
    case 'AUTHENTICATE': {
      const mechanism = str(0).toString('latin1').toUpperCase();
      if (mechanism.length === 0 || mechanism.length > MAX_MECHANISM_LENGTH || !MECHANISM.test(mechanism)) return fail('syntax', 'invalid mechanism name');
      return { ok: true, command: { name, mechanism, initialResponse: args.length > 1 ? str(1) : null } };
    }
    case 'NOOP': {
      const tag = args.length > 0 ? str(0) : null;
      if (tag && tag.length > MAX_TAG_BYTES) return fail('syntax', 'tag too long');
      return { ok: true, command: { name, tag } };
    }
    case 'HAVESPACE':
      return { ok: true, command: { name, script: str(0), size: (args[1] as { type: 'number'; value: number }).value } };
    case 'PUTSCRIPT':
      return { ok: true, command: { name, script: str(0), content: str(1) } };
    case 'CHECKSCRIPT':
      return { ok: true, command: { name, content: str(0) } };
    case 'GETSCRIPT':
    case 'SETACTIVE':
    case 'DELETESCRIPT':
      return { ok: true, command: { name, script: str(0) } };
    case 'RENAMESCRIPT':
      return { ok: true, command: { name, from: str(0), to: str(1) } };
    default:
      return { ok: true, command: { name } };
  }
}

/**
 * A client's answer to a SASL challenge: one string (quoted or literal)
 * holding base64, or "*" to cancel (RFC 5804 section 2.1).
 */
export function parseAuthResponse(parts: readonly Part[]): AuthResponse {
  let tokens: Token[];
  try {
    tokens = tokenize(parts);
  } catch (err) {
    if (err instanceof SyntaxError_) return { kind: 'invalid' };
    throw err;
  }
  if (tokens.length !== 1 || tokens[0]!.type !== 'string') return { kind: 'invalid' };
  return decodeSaslString(tokens[0]!.value);
}

/** Base64 in a SASL string: "*" cancels, anything not strict base64 is invalid, "" is an empty response. */
export function decodeSaslString(value: Buffer): AuthResponse {
  const text = value.toString('latin1');
  if (text === '*') return { kind: 'cancel' };
  if (!BASE64.test(text)) return { kind: 'invalid' };
  return { kind: 'data', data: Buffer.from(text, 'base64') };
}
