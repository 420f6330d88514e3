/*
 * POP3 command parser: one line (without its CRLF) in, a typed command or
 * a typed error out. Keywords are case-insensitive; arguments are split on
 * single spaces, except PASS, whose argument is the rest of the line
 * (passwords may hold spaces, RFC 1939 section 7 note).
 *
 * Exports: parseCommand, parseAuthResponse, ParseResult, ParseErrorCode,
 * AuthResponse.
 * Security: reads untrusted bytes. Lines with NUL or other control
 * characters, invalid UTF-8 in arguments, numbers with more than
 * MAX_NUMBER_DIGITS digits or above MAX_NUMBER, and base64 that does not
 * round-trip are refused here, before any handler sees them.
 * Standards: RFC 1939, RFC 2449 (CAPA), RFC 2595 (STLS), RFC 5034 (AUTH,
 * `=` for an empty initial response, `*` to cancel).
 */
import type { Pop3Command } from './commands.js';
import { MAX_MECHANISM_LENGTH, MAX_NUMBER, MAX_NUMBER_DIGITS } from './limits.js';

export type ParseErrorCode = 'unknown-command' | 'syntax' | 'bad-bytes';
export type ParseResult = { ok: true; command: Pop3Command } | { ok: false; code: ParseErrorCode; message: string };

export type AuthResponse = { kind: 'data'; data: Buffer } | { kind: 'cancel' } | { kind: 'invalid' };

const utf8 = new TextDecoder('utf-8', { fatal: true });
// Control characters other than tab are never valid in a POP3 command line.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MECHANISM = /^[A-Z0-9_-]+$/;

const fail = (code: ParseErrorCode, message: string): ParseResult => ({ ok: false, code, message });
const ok = (command: Pop3Command): ParseResult => ({ ok: true, command });

function number(text: string | undefined): number | null {
  if (text === undefined || text.length === 0 || text.length > MAX_NUMBER_DIGITS || !/^[0-9]+$/.test(text)) return null;
  const n = Number(text);
  return n <= MAX_NUMBER ? n : null;
}

export function parseCommand(line: Buffer): ParseResult {
  let text: string;
  try {
    text = utf8.decode(line);
  } catch {
    return fail('bad-bytes', 'invalid UTF-8');
  }
  if (CONTROL.test(text)) return fail('bad-bytes', 'control character in command');
  const space = text.indexOf(' ');
  const keyword = (space === -1 ? text : text.slice(0, space)).toUpperCase();
  let rest = space === -1 ? null : text.slice(space + 1);
  // Trailing spaces are tolerated (some clients send `LIST `), except in PASS where they belong to the password.
  if (rest !== null && keyword !== 'PASS') {
    rest = rest.replace(/ +$/, '');
    if (rest === '') rest = null;
  }
  const args = rest === null ? [] : rest.split(' ');
  const none = (name: 'CAPA' | 'STLS' | 'STAT' | 'RSET' | 'NOOP' | 'QUIT'): ParseResult => (rest === null ? ok({ name }) : fail('syntax', `${name} takes no argument`));
  switch (keyword) {
    case 'CAPA':
    case 'STLS':
    case 'STAT':
    case 'RSET':
    case 'NOOP':
    case 'QUIT':
      return none(keyword);
    case 'USER':
      if (args.length !== 1 || args[0] === '') return fail('syntax', 'USER needs one name');
      return ok({ name: 'USER', user: args[0]! });
    case 'PASS':
      if (rest === null || rest === '') return fail('syntax', 'PASS needs a password');
      return ok({ name: 'PASS', password: rest });
    case 'LIST':
    case 'UIDL': {
      if (rest === null) return ok({ name: keyword, msg: null });
      const msg = args.length === 1 ? number(args[0]) : null;
      return msg === null ? fail('syntax', `${keyword} takes one message number`) : ok({ name: keyword, msg });
    }
    case 'RETR':
    case 'DELE': {
      const msg = args.length === 1 ? number(args[0]) : null;
      return msg === null ? fail('syntax', `${keyword} needs a message number`) : ok({ name: keyword, msg });
    }
    case 'TOP': {
      const msg = args.length === 2 ? number(args[0]) : null;
      const lines = args.length === 2 ? number(args[1]) : null;
      return msg === null || lines === null ? fail('syntax', 'TOP needs a message number and a line count') : ok({ name: 'TOP', msg, lines });
    }
    case 'AUTH': {
      if (rest === null) return ok({ name: 'AUTH', mechanism: null, initialResponse: null });
      if (args.length > 2 || args[0] === '') return fail('syntax', 'AUTH takes a mechanism and an optional initial response');
      const mechanism = args[0]!.toUpperCase();
      if (mechanism.length > MAX_MECHANISM_LENGTH || !MECHANISM.test(mechanism)) return fail('syntax', 'invalid mechanism name');
      const initial = args[1];
      if (initial === undefined) return ok({ name: 'AUTH', mechanism, initialResponse: null });
      if (initial !== '=' && !BASE64.test(initial)) return fail('syntax', 'invalid initial response');
      return ok({ name: 'AUTH', mechanism, initialResponse: initial === '=' ? '' : initial });
    }
    default:
      return fail('unknown-command', 'unknown command');
  }
}

/** One SASL response line after `+ `: `*` cancels, otherwise strict base64 (empty means an empty response). */
export function parseAuthResponse(line: Buffer): AuthResponse {
  const text = line.toString('latin1');
  if (text === '*') return { kind: 'cancel' };
  if (!BASE64.test(text)) return { kind: 'invalid' };
  return { kind: 'data', data: Buffer.from(text, 'base64') };
}
