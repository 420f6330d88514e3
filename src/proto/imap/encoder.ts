/*
 * IMAP response encoder: typed replies in, bytes out.
 *
 * Values are serialised by form: atoms verbatim, strings quoted or, when they
 * hold CR, LF, NUL or (without UTF-8 enabled) 8-bit bytes, as literals;
 * literal8 `~{n}` for BINARY; mailbox names in modified UTF-7 or UTF-8;
 * sequence sets compressed into ranges.
 *
 * Exports: ImapValue, EncoderOptions, ResponseCode, StatusKind, encodeValue,
 * encodeTagged, encodeUntaggedStatus, encodeUntagged, encodeContinuation,
 * encodeResponseCode, encodeMailboxName, compressSequence, formatSequenceSet,
 * formatSection, formatFetchItemName, formatInternalDate, envelopeValue,
 * bodyStructureValue, Envelope, EnvelopeAddress, BodyPart, and helpers for common untagged data (exists, expunge,
 * fetch, vanished, list, status, search, esearch, capability, flags,
 * enabled, namespace, quota, quotaRoot, id, metadata, sort, thread).
 * Security: output goes to the client; human text is stripped of CR/LF so a
 * value chosen by someone else (a mailbox name, a message header) can never
 * inject a response line; atoms are checked before being sent as atoms.
 * Standards: RFC 9051 sections 4 and 7, RFC 3501, RFC 3516 (literal8),
 * RFC 4315 (APPENDUID/COPYUID), RFC 5530 (response codes), RFC 7162
 * (HIGHESTMODSEQ, MODIFIED, VANISHED), RFC 4731 (ESEARCH), RFC 9208 (QUOTA),
 * RFC 5464 (METADATA), RFC 5256 (SORT/THREAD), RFC 2971 (ID), RFC 2342.
 */
import { encodeMutf7 } from './mutf7.js';
import type { FetchItem, Section } from './parse/fetch.js';
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
  /** Items written next to each other without SP (multipart bodies in BODYSTRUCTURE). */
  | { adjacent: ImapValue[] }
  | ImapValue[];

export type StatusKind = 'OK' | 'NO' | 'BAD';

export type ResponseCode =
  | {
      code:
        | 'ALERT' | 'PARSE' | 'READ-ONLY' | 'READ-WRITE' | 'TRYCREATE' | 'OVERQUOTA' | 'TOOBIG' | 'LIMIT'
        | 'CANNOT' | 'NONEXISTENT' | 'ALREADYEXISTS' | 'SERVERBUG' | 'CLOSED' | 'UNAVAILABLE'
        | 'AUTHENTICATIONFAILED' | 'AUTHORIZATIONFAILED' | 'EXPIRED' | 'PRIVACYREQUIRED' | 'CONTACTADMIN'
        | 'NOPERM' | 'INUSE' | 'EXPUNGEISSUED' | 'CORRUPTION' | 'CLIENTBUG' | 'NOTSAVED' | 'HASCHILDREN'
        | 'UNKNOWN-CTE' | 'UIDNOTSTICKY' | 'NOMODSEQ' | 'COMPRESSIONACTIVE' | 'USEATTR';
    }
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

const CRLF = '\r\n';
const ATOM_RE = /^[!#$&'+-Z^-z|}~\x5b]+$/;
/** Tags are ASTRING-CHARs without "+"; `"` and `\` can never appear, so a tag can be quoted as is. */
const TAG_RE = /^[!#-*,-[\]-~]+$/;
const FLAG_RE = /^\\?[!#$&'+-Z^-z|}~\x5b]+$|^\\\*$/;

function assertAtom(s: string, re = ATOM_RE): string {
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

/** BODY[section] response name part, e.g. `1.HEADER.FIELDS (FROM TO)`. */
export function formatSection(section: Section): string {
  const parts: string[] = section.part.map(String);
  const t = section.text;
  if (t) {
    if (t.kind === 'HEADER.FIELDS') {
      const fields = t.fields.map((f) => (ATOM_RE.test(f) ? f.toUpperCase() : JSON.stringify(f)));
      parts.push(`HEADER.FIELDS${t.not ? '.NOT' : ''} (${fields.join(' ')})`);
    } else parts.push(t.kind);
  }
  return parts.join('.');
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
  } else if ('atom' in v) out.push(Buffer.from(assertAtom(v.atom, FLAG_RE)));
  else if ('literal' in v) literal(typeof v.literal === 'string' ? Buffer.from(v.literal, 'utf8') : v.literal, v.binary ?? false, out);
  else if ('mailbox' in v) stringInto(encodeMailboxName(v.mailbox, opts), opts, out);
  else if ('adjacent' in v) for (const x of v.adjacent) valueInto(x, opts, out);
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
      return `[PERMANENTFLAGS (${c.flags.map((f) => assertAtom(f, FLAG_RE)).join(' ')})]`;
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
    default:
      return `[${c.code}]`;
  }
}

function statusLine(prefix: string, kind: string, message: string, code?: ResponseCode): Buffer {
  return Buffer.from(`${prefix} ${kind} ${code ? encodeResponseCode(code) + ' ' : ''}${text(message)}${CRLF}`, 'utf8');
}

/** `tag OK|NO|BAD [code] text` */
export function encodeTagged(tag: string, kind: StatusKind, message: string, code?: ResponseCode): Buffer {
  return statusLine(assertAtom(tag, TAG_RE), kind, message, code);
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

const atom = (s: string) => ({ atom: s });

export function encodeExists(n: number): Buffer {
  return Buffer.from(`* ${n} EXISTS${CRLF}`);
}

export function encodeExpunge(seq: number): Buffer {
  return Buffer.from(`* ${seq} EXPUNGE${CRLF}`);
}

export function encodeVanished(uids: number[], earlier: boolean): Buffer {
  return Buffer.from(`* VANISHED ${earlier ? '(EARLIER) ' : ''}${compressSequence(uids)}${CRLF}`);
}

/** `* seq FETCH (NAME value ...)`; names are response item names such as `BODY[1.TEXT]<0>` and are not escaped. */
export function encodeFetch(seq: number, items: Array<[string, ImapValue]>, opts: EncoderOptions): Buffer {
  const out: Buffer[] = [Buffer.from(`* ${seq} FETCH (`)];
  items.forEach(([name, value], i) => {
    if (/[\r\n]/.test(name)) throw new TypeError('bad fetch item name');
    out.push(Buffer.from(`${i ? ' ' : ''}${name} `));
    valueInto(value, opts, out);
  });
  out.push(Buffer.from(`)${CRLF}`));
  return Buffer.concat(out);
}

export function encodeFlags(flags: string[]): Buffer {
  return encodeUntagged([atom('FLAGS'), flags.map(atom)], { utf8: false });
}

export function encodeCapability(caps: string[]): Buffer {
  return Buffer.from(`* CAPABILITY ${caps.map((c) => assertAtom(c)).join(' ')}${CRLF}`);
}

export function encodeEnabled(caps: string[]): Buffer {
  return Buffer.from(`* ENABLED${caps.map((c) => ' ' + assertAtom(c)).join('')}${CRLF}`);
}

/** `* LIST (attrs) "/" name [(extended)]`; kind LSUB for the rev1 command. */
export function encodeList(
  attrs: string[],
  delimiter: string | null,
  mailbox: string,
  opts: EncoderOptions,
  extended: ImapValue[] = [],
  kind: 'LIST' | 'LSUB' = 'LIST',
): Buffer {
  const values: ImapValue[] = [atom(kind), attrs.map(atom), delimiter, { mailbox }];
  if (extended.length) values.push(extended);
  return encodeUntagged(values, opts);
}

export function encodeStatus(mailbox: string, items: Array<[string, number | bigint]>, opts: EncoderOptions): Buffer {
  return encodeUntagged([atom('STATUS'), { mailbox }, items.flatMap(([k, v]) => [atom(k), v])], opts);
}

/** `* SEARCH 1 2 3 [(MODSEQ n)]` (also `* SORT`). */
export function encodeSearch(nums: number[], modseq: bigint | null = null, kind: 'SEARCH' | 'SORT' = 'SEARCH'): Buffer {
  return Buffer.from(`* ${kind}${nums.map((n) => ' ' + n).join('')}${modseq !== null ? ` (MODSEQ ${modseq})` : ''}${CRLF}`);
}

export interface EsearchData {
  min?: number;
  max?: number;
  all?: number[];
  count?: number;
  modseq?: bigint;
}

export function encodeEsearch(tag: string | null, uid: boolean, data: EsearchData): Buffer {
  let s = '* ESEARCH';
  if (tag !== null) s += ` (TAG "${assertAtom(tag, TAG_RE)}")`;
  if (uid) s += ' UID';
  if (data.min !== undefined) s += ` MIN ${data.min}`;
  if (data.max !== undefined) s += ` MAX ${data.max}`;
  if (data.all !== undefined && data.all.length) s += ` ALL ${compressSequence(data.all)}`;
  if (data.count !== undefined) s += ` COUNT ${data.count}`;
  if (data.modseq !== undefined) s += ` MODSEQ ${data.modseq}`;
  return Buffer.from(s + CRLF);
}

/** A thread: its message numbers in order, then its branches (each a thread). */
export type ThreadNode = number | ThreadNode[];

/** `* THREAD (2)(3 6 (4 23)(44 7 96))`: members separated by SP, nested branches adjacent (RFC 5256 section 4). */
export function encodeThread(threads: ThreadNode[][]): Buffer {
  const node = (t: ThreadNode[]): string => {
    const members = t.filter((x): x is number => typeof x === 'number');
    const nested = t.filter((x): x is ThreadNode[] => typeof x !== 'number');
    const sep = members.length && nested.length ? ' ' : '';
    return `(${members.join(' ')}${sep}${nested.map(node).join('')})`;
  };
  return Buffer.from(`* THREAD${threads.length ? ' ' + threads.map(node).join('') : ''}${CRLF}`);
}

export interface NamespaceEntry {
  prefix: string;
  delimiter: string | null;
}

export function encodeNamespace(
  personal: NamespaceEntry[] | null,
  other: NamespaceEntry[] | null,
  shared: NamespaceEntry[] | null,
  opts: EncoderOptions,
): Buffer {
  const ns = (l: NamespaceEntry[] | null): ImapValue => (l ? l.map((e) => [{ mailbox: e.prefix }, e.delimiter]) : null);
  return encodeUntagged([atom('NAMESPACE'), ns(personal), ns(other), ns(shared)], opts);
}

export function encodeQuota(root: string, resources: Array<{ name: string; usage: number | bigint; limit: number | bigint }>): Buffer {
  return encodeUntagged([atom('QUOTA'), root, resources.flatMap((r) => [atom(r.name), r.usage, r.limit])], { utf8: true });
}

export function encodeQuotaRoot(mailbox: string, roots: string[], opts: EncoderOptions): Buffer {
  return encodeUntagged([atom('QUOTAROOT'), { mailbox }, ...roots], opts);
}

export function encodeId(params: Array<[string, string | null]> | null): Buffer {
  return encodeUntagged([atom('ID'), params ? params.flat() : null], { utf8: true });
}

export function encodeMetadata(mailbox: string, entries: Array<[string, Buffer | null]>, opts: EncoderOptions): Buffer {
  const list: ImapValue[] = entries.flatMap(([k, v]) => [k, v === null ? null : { literal: v, binary: v.includes(0) }]);
  return encodeUntagged([atom('METADATA'), mailbox === '' ? '' : { mailbox }, list], opts);
}

/** Response name of a requested FETCH item: `.PEEK` dropped, partial shown as its origin only (RFC 9051 section 7.5.2). */
export function formatFetchItemName(item: FetchItem): string {
  switch (item.kind) {
    case 'BODY[]':
      return `BODY[${formatSection(item.section)}]${item.partial ? `<${item.partial.offset}>` : ''}`;
    case 'BINARY[]':
      return `BINARY[${item.part.join('.')}]${item.partial ? `<${item.partial.offset}>` : ''}`;
    case 'BINARY.SIZE':
      return `BINARY.SIZE[${item.part.join('.')}]`;
    default:
      return item.kind;
  }
}

/** `"17-Jul-1996 02:44:25 -0700"` for INTERNALDATE/SAVEDATE; the zone offset (minutes east of UTC) is the caller's choice. */
export function formatInternalDate(date: Date, offsetMinutes = 0): string {
  const d = new Date(date.getTime() + offsetMinutes * 60_000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${p2(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${sign}${p2(Math.floor(abs / 60))}${p2(abs % 60)}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface EnvelopeAddress {
  name: string | null;
  /** Source route (obsolete); almost always null. */
  adl: string | null;
  /** Local part, or the group name in a group start marker (host null). */
  mailbox: string | null;
  host: string | null;
}

export interface Envelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[];
  sender: EnvelopeAddress[];
  replyTo: EnvelopeAddress[];
  to: EnvelopeAddress[];
  cc: EnvelopeAddress[];
  bcc: EnvelopeAddress[];
  inReplyTo: string | null;
  messageId: string | null;
}

const addresses = (list: EnvelopeAddress[]): ImapValue => (list.length ? list.map((a) => [a.name, a.adl, a.mailbox, a.host]) : null);

/** ENVELOPE as a value (RFC 9051 section 7.5.2); empty address lists are NIL. */
export function envelopeValue(e: Envelope): ImapValue {
  return [e.date, e.subject, addresses(e.from), addresses(e.sender), addresses(e.replyTo), addresses(e.to), addresses(e.cc), addresses(e.bcc), e.inReplyTo, e.messageId];
}

export interface BodyPart {
  /** Lower or upper case as stored; e.g. "text", "multipart". */
  type: string;
  subtype: string;
  params: Array<[string, string]>;
  id: string | null;
  description: string | null;
  encoding: string;
  size: number;
  /** Lines of text/* and message/rfc822 parts. */
  lines?: number;
  /** message/rfc822 (and message/global): the encapsulated message. */
  envelope?: Envelope;
  body?: BodyPart;
  /** multipart/*: the children. */
  parts?: BodyPart[];
  md5?: string | null;
  disposition?: { type: string; params: Array<[string, string]> } | null;
  language?: string[] | null;
  location?: string | null;
}

const params = (list: Array<[string, string]>): ImapValue => (list.length ? list.flat() : null);

/** BODYSTRUCTURE (extended = true) or BODY (false) as a value (RFC 9051 section 7.5.2). */
export function bodyStructureValue(part: BodyPart, extended: boolean): ImapValue {
  const ext = (): ImapValue[] =>
    extended
      ? [part.disposition ? [part.disposition.type, params(part.disposition.params)] : null, part.language?.length ? part.language : null, part.location ?? null]
      : [];
  if (part.parts && part.parts.length) {
    const kids = { adjacent: part.parts.map((p) => bodyStructureValue(p, extended)) };
    return [kids, part.subtype, ...(extended ? [params(part.params), ...ext()] : [])];
  }
  const out: ImapValue[] = [part.type, part.subtype, params(part.params), part.id, part.description, part.encoding, part.size];
  const isMessage = part.type.toLowerCase() === 'message' && (part.subtype.toLowerCase() === 'rfc822' || part.subtype.toLowerCase() === 'global');
  if (isMessage && part.envelope && part.body) out.push(envelopeValue(part.envelope), bodyStructureValue(part.body, extended), part.lines ?? 0);
  else if (part.type.toLowerCase() === 'text') out.push(part.lines ?? 0);
  if (extended) out.push(part.md5 ?? null, ...ext());
  return out;
}
