/*
 * ManageSieve response formatting: OK / NO / BYE lines with an optional
 * response code and text, strings (quoted when they can be, literals
 * otherwise), the capability listing, LISTSCRIPTS lines, a GETSCRIPT
 * body and the SASL challenge line.
 *
 * Exports: ResponseCode, ResponseCodeName, encodeOk, encodeNo, encodeBye,
 * encodeString, encodeQuoted, encodeCapabilities, encodeScriptLine,
 * encodeScriptBody, encodeChallenge.
 * Security: response text never carries CR, LF or NUL (a peer-chosen name
 * echoed in an error cannot inject a line) and is cut at
 * MAX_RESPONSE_TEXT_BYTES; a string that could not be quoted safely
 * (controls, invalid UTF-8, long) goes out as a literal, byte for byte.
 * Standards: RFC 5804 section 1.3 (response codes: AUTH-TOO-WEAK,
 * ENCRYPT-NEEDED, QUOTA, QUOTA/MAXSCRIPTS, QUOTA/MAXSIZE, REFERRAL, SASL,
 * TRANSITION-NEEDED, TRYLATER, ACTIVE, NONEXISTENT, ALREADYEXISTS, TAG,
 * WARNINGS), section 1.7 (capabilities), section 4 (quoted, literal-s2c).
 */
import { MAX_RESPONSE_TEXT_BYTES } from './limits.js';

export type ResponseCodeName =
  | 'AUTH-TOO-WEAK'
  | 'ENCRYPT-NEEDED'
  | 'QUOTA'
  | 'QUOTA/MAXSCRIPTS'
  | 'QUOTA/MAXSIZE'
  | 'TRANSITION-NEEDED'
  | 'TRYLATER'
  | 'ACTIVE'
  | 'NONEXISTENT'
  | 'ALREADYEXISTS'
  | 'WARNINGS'
  | 'TAG'
  | 'SASL';

/** A response code, with its string argument for TAG and SASL. */
export type ResponseCode = ResponseCodeName | { name: 'TAG' | 'SASL'; arg: Buffer | string };

const CRLF = '\r\n';
const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Longest string sent quoted; longer ones are literals, as clients expect for scripts. */
const MAX_QUOTED_BYTES = 1024;

function cleanText(text: string): string {
  const t = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  const bytes = Buffer.from(t, 'utf8');
  if (bytes.length <= MAX_RESPONSE_TEXT_BYTES) return t;
  return new TextDecoder().decode(bytes.subarray(0, MAX_RESPONSE_TEXT_BYTES)).replace(/\uFFFD$/, '');
}

/** A quoted string of text we chose (controls already removed): `"` and `\` escaped. */
export function encodeQuoted(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A string as the client will read it: quoted when it is short, valid UTF-8 and free of CR, LF and NUL, else a literal. */
export function encodeString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (bytes.length <= MAX_QUOTED_BYTES && !bytes.includes(0x00) && !bytes.includes(0x0d) && !bytes.includes(0x0a)) {
    try {
      return Buffer.from(encodeQuoted(utf8.decode(bytes)), 'utf8');
    } catch {
      // not UTF-8: a literal carries it unchanged
    }
  }
  return Buffer.concat([Buffer.from(`{${bytes.length}}${CRLF}`), bytes]);
}

function codeText(code: ResponseCode): Buffer {
  if (typeof code === 'string') return Buffer.from(code);
  return Buffer.concat([Buffer.from(`${code.name} `), encodeString(code.arg)]);
}

function status(kind: 'OK' | 'NO' | 'BYE', code: ResponseCode | undefined, text: string | undefined): Buffer {
  const pieces: Buffer[] = [Buffer.from(kind)];
  if (code !== undefined) pieces.push(Buffer.from(' ('), codeText(code), Buffer.from(')'));
  if (text !== undefined && text !== '') pieces.push(Buffer.from(` ${encodeQuoted(cleanText(text))}`, 'utf8'));
  pieces.push(Buffer.from(CRLF));
  return Buffer.concat(pieces);
}

export function encodeOk(text?: string, code?: ResponseCode): Buffer {
  return status('OK', code, text);
}

export function encodeNo(text?: string, code?: ResponseCode): Buffer {
  return status('NO', code, text);
}

export function encodeBye(text?: string, code?: ResponseCode): Buffer {
  return status('BYE', code, text);
}

/** The capability listing (greeting, CAPABILITY, after STARTTLS): one `"NAME" "value"` line each; the caller adds the OK. */
export function encodeCapabilities(capabilities: ReadonlyArray<readonly [string, string?]>): Buffer {
  return Buffer.concat(capabilities.map(([name, value]) => Buffer.concat([encodeString(name), value === undefined ? Buffer.alloc(0) : Buffer.concat([Buffer.from(' '), encodeString(value)]), Buffer.from(CRLF)])));
}

/** One LISTSCRIPTS line: the name, and ACTIVE for the active script. */
export function encodeScriptLine(name: string, active: boolean): Buffer {
  return Buffer.concat([encodeString(name), Buffer.from(active ? ` ACTIVE${CRLF}` : CRLF)]);
}

/** GETSCRIPT's answer before its OK: the script as a literal, then CRLF. */
export function encodeScriptBody(source: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`{${source.length}}${CRLF}`), source, Buffer.from(CRLF)]);
}

/** A SASL challenge: a string of base64 on its own line (`""` for PLAIN's empty one). */
export function encodeChallenge(base64: string): Buffer {
  return Buffer.from(`${encodeQuoted(base64.replace(/[^A-Za-z0-9+/=]/g, ''))}${CRLF}`);
}
