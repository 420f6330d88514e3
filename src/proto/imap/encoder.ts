/*
 * IMAP response encoder core: typed values and status lines in, bytes out.
 *
 * Values are serialised by form: atoms verbatim (checked), strings quoted or,
 * when they hold CR, LF, NUL or (without UTF-8 enabled) 8-bit bytes, as
 * literals; literal8 `~{n}` for BINARY; mailbox names in modified UTF-7 or
 * UTF-8; sequence sets compressed into ranges. The value tree src/mime
 * builds for ENVELOPE/BODYSTRUCTURE/BODY (mime/imap-value.ts) is a subset of
 * ImapValue and is serialised as is.
 *
 * Exports: ImapValue, EncoderOptions, ResponseCode, StatusKind, CRLF,
 * assertAtom, encodeValue, encodeTagged, encodeUntaggedStatus,
 * encodeUntagged, encodeContinuation, encodeResponseCode, encodeMailboxName,
 * compressSequence, formatSequenceSet.
 * Security: output goes to the client; human text is stripped of CR/LF/NUL
 * so a value chosen by someone else (a mailbox name, a header) can never
 * inject a response line; words sent bare are checked against the atom
 * grammar.
 * Standards: RFC 9051 sections 4 and 7.1, RFC 3501, RFC 3516 (literal8),
 * RFC 4315 (APPENDUID/COPYUID), RFC 5530 (response codes), RFC 7162
 * (HIGHESTMODSEQ, MODIFIED), RFC 7889 (APPENDLIMIT, TOOBIG), RFC 5464
 * (METADATA codes), RFC 8474 (MAILBOXID), RFC 5465 (BADEVENT,
 * NOTIFICATIONOVERFLOW).
 */
import { encodeMutf7 } from './mutf7.js';
import type { SequenceSet } from './reader.js';

export interface EncoderOptions {
  /** UTF8=ACCEPT or IMAP4rev2 enabled: 8-bit UTF-8 may go in quoted strings, mailbox names in UTF-8. */
  utf8: boolean;
}

export type ImapValue =
  | null
  | number
  | bigint
  | string
  | { atom: string }
  | { literal: Buffer | string; binary?: boolean }
  | { mailbox: string }
  | { sequence: number[] }
  /** Items written next to each other without SP (`1*body` of a multipart, `1*address`); the same shape as src/mime's ImapRun. */
  | { run: ImapValue[] }
  | ImapValue[];

export type StatusKind = 'OK' | 'NO' | 'BAD';

export type ResponseCode =
  | {
      code:
        | 'ALERT' | 'PARSE' | 'READ-ONLY' | 'READ-WRITE' | 'TRYCREATE' | 'OVERQUOTA' | 'TOOBIG' | 'LIMIT'
        | 'CANNOT' | 'NONEXISTENT' | 'ALREADYEXISTS' | 'SERVERBUG' | 'CLOSED' | 'UNAVAILABLE'
        | 'AUTHENTICATIONFAILED' | 'AUTHORIZATIONFAILED' | 'EXPIRED' | 'PRIVACYREQUIRED' | 'CONTACTADMIN'
        | 'NOPERM' | 'INUSE' | 'EXPUNGEISSUED' | 'CORRUPTION' | 'CLIENTBUG' | 'NOTSAVED' | 'HASCHILDREN'
        | 'UNKNOWN-CTE' | 'UIDNOTSTICKY' | 'NOMODSEQ' | 'COMPRESSIONACTIVE' | 'USEATTR' | 'NOTIFICATIONOVERFLOW';
    }
  | { code: 'BADEVENT'; events: string[] }
  | { code: 'UIDNEXT' | 'UIDVALIDITY' | 'UNSEEN' | 'APPENDLIMIT'; value: number }
  | { code: 'HIGHESTMODSEQ'; value: bigint | number }
  | { code: 'PERMANENTFLAGS'; flags: string[] }
  | { code: 'CAPABILITY'; capabilities: string[] }
  | { code: 'BADCHARSET'; charsets: string[] }
  | { code: 'APPENDUID'; uidValidity: number; uids: number[] }
  | { code: 'COPYUID'; uidValidity: number; source: number[]; dest: number[] }
  | { code: 'MODIFIED'; set: number[] }
  | { code: 'METADATA'; detail: 'LONGENTRIES' | 'MAXSIZE' | 'TOOMANY' | 'NOPRIVATE'; value?: number }
  | { code: 'MAILBOXID'; id: string };

export const CRLF = '\r\n';
const ATOM_RE = /^[!#$&'+-Z^-z|}~\x5b]+$/;
/** Tags are ASTRING-CHARs without "+"; `"` and `\` can never appear, so a tag can be quoted as is. */
const TAG_RE = /^[!#-*,-[\]-~]+$/;
const FLAG_RE = /^\\?[!#$&'+-Z^-z|}~\x5b]+$|^\\\*$/;

/** Checks a value that will be sent as a bare word; throws TypeError otherwise (never client-controlled bytes on the wire). */
export function assertAtom(s: string, kind: 'atom' | 'flag' | 'tag' = 'atom'): string {
  const re = kind === 'flag' ? FLAG_RE : kind === 'tag' ? TAG_RE : ATOM_RE;
  if (!re.test(s)) throw new TypeError('not an atom');
  return s;
}

/** Human-readable text: no CR/LF, never empty. */
function text(s: string): string {
  const t = s.replace(/[\r\n\0]+/g, ' ');
  return t.length ? t : 'completed';
}

function needsLiteral(s: string, opts: EncoderOptions): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0) return true;
    if (c > 0x7e && !opts.utf8) return true;
  }
  return false;
}

function literal(data: Buffer, binary: boolean, out: Buffer[]): void {
  out.push(Buffer.from(`${binary ? '~' : ''}{${data.length}}${CRLF}`), data);
}

function stringInto(s: string, opts: EncoderOptions, out: Buffer[]): void {
  if (needsLiteral(s, opts)) literal(Buffer.from(s, 'utf8'), false, out);
  else out.push(Buffer.from('"' + s.replace(/[\\"]/g, '\\$&') + '"', 'utf8'));
}

/** Mailbox name on the wire for this session (modified UTF-7 unless UTF-8 is enabled). */
export function encodeMailboxName(name: string, opts: EncoderOptions): string {
  return opts.utf8 ? name : encodeMutf7(name);
}

/** Sorted, de-duplicated and compressed (`1:5,7`); with sort = false only adjacent ascending runs merge (COPYUID order). */
export function compressSequence(nums: readonly number[], sort = true): string {
  const list = sort ? [...new Set(nums)].sort((a, b) => a - b) : nums;
  const parts: string[] = [];
  let i = 0;
  while (i < list.length) {
    const start = list[i]!;
    let end = start;
    while (i + 1 < list.length && list[i + 1] === end + 1) end = list[++i]!;
    parts.push(start === end ? `${start}` : `${start}:${end}`);
    i++;
  }
  return parts.join(',');
}

/** A parsed sequence set back to wire form. */
export function formatSequenceSet(set: SequenceSet): string {
  if (set.kind === 'saved') return '$';
  return set.ranges.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}:${r.to}`)).join(',');
}


function valueInto(v: ImapValue, opts: EncoderOptions, out: Buffer[]): void {
  if (v === null) out.push(Buffer.from('NIL'));
  else if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) throw new TypeError('not a number');
    out.push(Buffer.from(String(v)));
  } else if (typeof v === 'bigint') out.push(Buffer.from(v.toString()));
  else if (typeof v === 'string') stringInto(v, opts, out);
  else if (Array.isArray(v)) {
    out.push(Buffer.from('('));
    v.forEach((x, i) => {
      if (i) out.push(Buffer.from(' '));
      valueInto(x, opts, out);
    });
    out.push(Buffer.from(')'));
  } else if ('atom' in v) out.push(Buffer.from(assertAtom(v.atom, 'flag')));
  else if ('literal' in v) literal(typeof v.literal === 'string' ? Buffer.from(v.literal, 'utf8') : v.literal, v.binary ?? false, out);
  else if ('mailbox' in v) stringInto(encodeMailboxName(v.mailbox, opts), opts, out);
  else if ('run' in v) for (const x of v.run) valueInto(x, opts, out);
  else out.push(Buffer.from(compressSequence(v.sequence)));
}

export function encodeValue(v: ImapValue, opts: EncoderOptions): Buffer {
  const out: Buffer[] = [];
  valueInto(v, opts, out);
  return Buffer.concat(out);
}

export function encodeResponseCode(c: ResponseCode): string {
  switch (c.code) {
    case 'UIDNEXT':
    case 'UIDVALIDITY':
    case 'UNSEEN':
    case 'APPENDLIMIT':
    case 'HIGHESTMODSEQ':
      return `[${c.code} ${c.value}]`;
    case 'PERMANENTFLAGS':
      return `[PERMANENTFLAGS (${c.flags.map((f) => assertAtom(f, 'flag')).join(' ')})]`;
    case 'CAPABILITY':
      return `[CAPABILITY ${c.capabilities.map((x) => assertAtom(x)).join(' ')}]`;
    case 'BADCHARSET':
      return c.charsets.length ? `[BADCHARSET (${c.charsets.map((x) => assertAtom(x)).join(' ')})]` : '[BADCHARSET]';
    case 'APPENDUID':
      return `[APPENDUID ${c.uidValidity} ${compressSequence(c.uids, false)}]`;
    case 'COPYUID':
      return `[COPYUID ${c.uidValidity} ${compressSequence(c.source, false)} ${compressSequence(c.dest, false)}]`;
    case 'MODIFIED':
      return `[MODIFIED ${compressSequence(c.set)}]`;
    case 'METADATA':
      return c.value !== undefined ? `[METADATA ${c.detail} ${c.value}]` : `[METADATA ${c.detail}]`;
    case 'MAILBOXID':
      return `[MAILBOXID (${assertAtom(c.id)})]`;
    case 'BADEVENT':
      return `[BADEVENT (${c.events.map((e) => assertAtom(e)).join(' ')})]`;
    default:
      return `[${c.code}]`;
  }
}

function statusLine(prefix: string, kind: string, message: string, code?: ResponseCode): Buffer {
  return Buffer.from(`${prefix} ${kind} ${code ? encodeResponseCode(code) + ' ' : ''}${text(message)}${CRLF}`, 'utf8');
}

/** `tag OK|NO|BAD [code] text` */
export function encodeTagged(tag: string, kind: StatusKind, message: string, code?: ResponseCode): Buffer {
  return statusLine(assertAtom(tag, 'tag'), kind, message, code);
}

/** `* OK|NO|BAD|BYE|PREAUTH [code] text` */
export function encodeUntaggedStatus(kind: StatusKind | 'BYE' | 'PREAUTH', message: string, code?: ResponseCode): Buffer {
  return statusLine('*', kind, message, code);
}

/** `* v1 v2 ...` with each value serialised. */
export function encodeUntagged(values: ImapValue[], opts: EncoderOptions): Buffer {
  const out: Buffer[] = [Buffer.from('*')];
  for (const v of values) {
    out.push(Buffer.from(' '));
    valueInto(v, opts, out);
  }
  out.push(Buffer.from(CRLF));
  return Buffer.concat(out);
}

/** `+ text` (continuation request; base64 challenge for AUTHENTICATE). */
export function encodeContinuation(message = ''): Buffer {
  return Buffer.from(`+ ${message.replace(/[\r\n]+/g, ' ')}${CRLF}`, 'utf8');
}
