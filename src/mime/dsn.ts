/*
 * Delivery status notifications: the bounce, delay and success reports the
 * outbound queue sends to a message's envelope sender, built as one
 * multipart/report message from what the queue kept about the message and
 * its recipients. Pure: the date, the Message-ID and the MIME boundary are
 * inputs; no I/O, no clock, no randomness.
 *
 * Exports: buildDsn, dsnKindSubject, wantsDsn, parseEnhancedStatus,
 * dsnTransport, DsnInput, DsnRecipientReport, DsnKind, DsnAction,
 * DSN_RETURN_LIMIT_DEFAULT.
 * Security: everything in the input may come from a peer: the original
 * message (any bytes), the remote server's reply, the envelope addresses,
 * ENVID and ORCPT. None of it can end a field, a part or the message: CR,
 * LF and other controls in field values are replaced, every field is
 * folded under 998 octets a line, the boundary is checked against every
 * part and changed if any part contains it, and the original is returned
 * as it is (line ends made CRLF) only when it can travel as 7bit or 8bit
 * (no NUL, no line over 998 octets), else its header alone. The work is
 * linear in the input; what is returned is capped by `returnLimit`.
 * The caller sends the result with a null reverse-path (RFC 3461 section
 * 6.2, RFC 5321 section 4.5.5) and never for a message whose own
 * reverse-path was null.
 * Standards:
 * - RFC 6522 section 3 (multipart/report: human-readable part, then the
 *   machine-readable part, then the returned content; report-type is the
 *   second part's subtype), RFC 6522 section 4 (text/rfc822-headers).
 * - RFC 3464 section 2.2 (per-message fields: Original-Envelope-Id,
 *   Reporting-MTA, Arrival-Date, in the ABNF's order; X-Petrel-Queue-ID as
 *   the MTA-specific extension field section 2.4 (c) suggests), 2.3
 *   (per-recipient fields in the ABNF's order; Status without leading
 *   zeros, 2.3.4; Will-Retry-Until only on "delayed", 2.3.9; Final-Recipient
 *   exactly as in the envelope but for characters a field cannot carry,
 *   2.3.2), 2.1.1 (fields fold like header fields), 2.1 (message/
 *   delivery-status is 7bit).
 * - RFC 3461 section 4.3 (RET: FULL or HDRS apply only to a report with a
 *   "failed" recipient; a report without one returns the header only; with
 *   no RET a failure returns the whole message when it fits), 4.1 and 5.2
 *   (NOTIFY, in wantsDsn), 6.2 (addressed to the envelope sender), 6.3 (a)
 *   and (d) (Original-Envelope-Id from ENVID and Original-Recipient from
 *   ORCPT, each only when given, decoded from xtext).
 * - RFC 6533 section 3 (the utf-8 address type: the utf-8-address form in a
 *   global report, the 7-bit utf-8-addr-xtext form in a classic one),
 *   section 6 (message/global-delivery-status, 8bit; message/global-headers);
 *   RFC 6532 section 3.7 (message/global). A report is "global" when any
 *   address in it or the returned header is not ASCII.
 * - RFC 3834 section 5 (Auto-Submitted: auto-replied: a report is made
 *   automatically as a direct response to a message), RFC 5322 (header,
 *   dates with a numeric zone), RFC 2047 (the From display name), RFC 2046
 *   section 5.1.1 (boundary), RFC 3463 (enhanced status codes).
 * Deviations and choices:
 * - A returned message that is too large, or that cannot be carried as
 *   7bit or 8bit, is replaced by its header, and the first part says so.
 *   Header fields that cannot be carried are left out of a returned header,
 *   and it stops at the size limit; the first part says so too.
 * - The header of the original is the run of header-field lines at its
 *   start: a message without the blank line after its header ends its
 *   header at its first line that is not a field.
 * - ENVID characters outside printable ASCII (RFC 3461 section 4.4 allows
 *   no others) become "?", as do non-ASCII characters of a remote reply in
 *   a classic report; a U-label host name is written as A-labels. A word
 *   (of a reply, or an address) over 900 octets is cut with a fold, which
 *   reads back as a space.
 */
import libmime from 'libmime';
import { createHash } from 'node:crypto';
import { domainToAscii } from '../core/address.js';

export type DsnKind = 'failure' | 'delay' | 'success';
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

/** What happened to one recipient: one per-recipient group of the report. */
export interface DsnRecipientReport {
  /** The envelope address delivery was attempted to (Final-Recipient). */
  finalRecipient: string;
  /** RFC 3461 ORCPT as the queue keeps it: `addr-type;address`, xtext decoded; null when not given. */
  orcpt: string | null;
  action: DsnAction;
  /** RFC 3463 enhanced status code such as 5.1.1 (see parseEnhancedStatus). */
  status: string;
  /** Host name of the server that answered, when one was involved (Remote-MTA). */
  remoteMta?: string | null;
  /** That server's reply, as received (possibly multi-line), or our own diagnostic text. */
  diagnostic?: string | null;
  /** RFC 3464 diagnostic-type of `diagnostic`: "smtp" (the default) for SMTP replies, "X-..." for private ones. */
  diagnosticType?: string;
  lastAttempt?: Date | null;
  /** With action "delayed": when the queue gives up on this recipient. */
  willRetryUntil?: Date | null;
}

export interface DsnInput {
  kind: DsnKind;
  /** Our host name (Reporting-MTA). */
  reportingMta: string;
  /** The report's From address, e.g. MAILER-DAEMON@host. */
  from: string;
  /** Its display name; "Mail Delivery System" when absent. */
  fromName?: string;
  /** The original envelope sender: the report's To (and, for the caller, its RCPT). */
  sender: string;
  /** The original message as stored. */
  original: Buffer;
  ret: 'FULL' | 'HDRS' | null;
  /** RFC 3461 ENVID, decoded; null when not given. */
  envid: string | null;
  /** When the original was accepted (Arrival-Date). */
  arrivalDate: Date;
  recipients: readonly DsnRecipientReport[];
  /** The report's own Date, Message-ID (`<id@host>`) and MIME boundary (1 to 70 RFC 2046 bchars). */
  date: Date;
  messageId: string;
  boundary: string;
  /** Most octets of original content returned; DSN_RETURN_LIMIT_DEFAULT when absent. */
  returnLimit?: number;
  /** Our queue ID, shown to the reader and as X-Petrel-Queue-ID, so the postmaster finds the log lines. */
  queueId?: string | null;
}

/** Postfix's bounce_size_limit: a letter's text comes back whole, a large attachment is not mailed back. */
export const DSN_RETURN_LIMIT_DEFAULT = 50_000;
/** RFC 5322 section 2.1.1: lines of at most 998 octets; longer original lines cannot travel as 7bit/8bit. */
const MAX_LINE_OCTETS = 998;
/** RFC 5322 section 2.1.1 recommends 78 characters a header line; text is wrapped the same way. */
const FOLD_WIDTH = 78;
const TEXT_WIDTH = 76;
/** A word longer than this is cut so that, with a field name or an indent before it, no line passes 998 octets. */
const MAX_WORD_OCTETS = 900;
/** An SMTP reply line is at most 512 octets (RFC 5321 section 4.5.3.1.5); a long multi-line reply still fits. */
const MAX_DIAGNOSTIC_CHARS = 8 * 1024;
/** A path is at most 256 octets (RFC 5321 section 4.5.3.1.3); longer values are cut so a field fits a line. */
const MAX_VALUE_CHARS = 900;
/** A host name is at most 255 octets (RFC 1035 section 2.3.4). */
const MAX_HOST_CHARS = 255;
/** A display name longer than this is not one; bounds the From field. */
const MAX_DISPLAY_NAME_CHARS = 128;
/** RFC 2046 section 5.1.1: a boundary is 1 to 70 characters. */
const MAX_BOUNDARY_CHARS = 70;
/** Numbered variants of a boundary tried when a part contains it, before one derived from a hash of the parts. */
const MAX_BOUNDARY_TRIES = 100;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

const SUBJECTS: Readonly<Record<DsnKind, string>> = {
  failure: 'Undelivered Mail Returned to Sender',
  delay: 'Delayed Mail (still being retried)',
  success: 'Successful Mail Delivery Report',
};

/** The Subject of a report of this kind, in the wording operators know from Postfix. */
export function dsnKindSubject(kind: DsnKind): string {
  return SUBJECTS[kind];
}

const NOTIFY_KEYWORD: Readonly<Record<DsnKind, string>> = { failure: 'FAILURE', delay: 'DELAY', success: 'SUCCESS' };

/**
 * Whether a recipient's RFC 3461 NOTIFY asks for a report of this kind:
 * NEVER asks for none (and wins if a client combined it with others,
 * which section 4.1 forbids); no NOTIFY (null or empty) asks for failures
 * and delays but not successes (sections 5.2.2, 5.2.5, 5.2.6); otherwise
 * exactly the keywords listed.
 */
export function wantsDsn(notify: readonly string[] | null, kind: DsnKind): boolean {
  if (notify === null || notify.length === 0) return kind !== 'success';
  const words = new Set(notify.map((word) => word.trim().toUpperCase()));
  if (words.has('NEVER')) return false;
  return words.has(NOTIFY_KEYWORD[kind]);
}

const REPLY_LINE = /^([245])\d\d(?:[ -](.*))?$/s;
const ENHANCED_CODE = /^[ \t]*([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/;

/**
 * The enhanced status code of an SMTP reply (RFC 3463, RFC 2034 section
 * 4): the first `class.subject.detail` after a reply code, written without
 * leading zeros; `X.0.0` from the basic code when the reply has none. The
 * class is always the basic code's: the reply code is what makes a
 * failure permanent or temporary (RFC 5321 section 4.2.1), so "550 4.1.1"
 * gives 5.1.1. Null when the text does not start with a 2xx, 4xx or 5xx code.
 */
export function parseEnhancedStatus(reply: string): string | null {
  const lines = reply.split(/\r\n|\r|\n/);
  const first = REPLY_LINE.exec(lines[0] ?? '');
  if (first === null) return null;
  const replyClass = first[1] as string;
  for (const line of lines) {
    const m = REPLY_LINE.exec(line);
    if (m === null) continue;
    const e = ENHANCED_CODE.exec(m[2] ?? '');
    if (e !== null) return `${replyClass}.${Number(e[2])}.${Number(e[3])}`;
  }
  return `${replyClass}.0.0`;
}

/**
 * What sending a built report needs: 8BITMIME when any octet is 8-bit,
 * SMTPUTF8 when its own header is not ASCII (a UTF-8 address in To or From).
 */
export function dsnTransport(dsn: Buffer): { body: '7bit' | '8bitmime'; smtpUtf8: boolean } {
  const end = dsn.indexOf('\r\n\r\n');
  const header = end < 0 ? dsn : dsn.subarray(0, end);
  return { body: hasEightBit(dsn) ? '8bitmime' : '7bit', smtpUtf8: hasEightBit(header) };
}

/**
 * Builds the whole report: header and body, CRLF line ends. Throws a
 * TypeError for caller errors (no recipients, an empty sender, an invalid
 * Message-ID, boundary or date), never for anything a peer controls.
 */
export function buildDsn(input: DsnInput): Buffer {
  checkInput(input);
  const original = toCrlf(input.original);
  const returned = chooseReturn(input, original);
  const global = isGlobal(input, returned);
  const status = statusBody(input, global);
  const text = Buffer.from(humanText(input, returned, global), 'utf8');
  const third = returned.bytes.length > 0 ? returnedPart(input.kind, returned, global) : null;
  const bodies = [text, status, ...(third ? [third.body] : [])];
  const boundary = safeBoundary(input.boundary, bodies);
  const parts: MimePartOut[] = [
    { headers: textHeaders(text), body: text },
    {
      headers: [
        `Content-Type: message/${global ? 'global-delivery-status' : 'delivery-status'}`,
        `Content-Transfer-Encoding: ${global ? '8bit' : '7bit'}`,
        'Content-Description: Delivery report',
      ],
      body: status,
    },
    ...(third ? [third] : []),
  ];
  return assemble(topHeader(input, boundary, global), boundary, parts);
}

interface MimePartOut {
  headers: string[];
  body: Buffer;
}

function checkInput(input: DsnInput): void {
  if (input.recipients.length === 0) throw new TypeError('a DSN reports on at least one recipient');
  if (input.sender.trim() === '') throw new TypeError('no DSN goes to the null reverse-path');
  if (!/^<[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+>$/.test(input.messageId)) {
    throw new TypeError(`not a Message-ID: ${JSON.stringify(input.messageId)}`);
  }
  if (!isBoundary(input.boundary)) throw new TypeError(`not a MIME boundary: ${JSON.stringify(input.boundary)}`);
  for (const date of [input.date, input.arrivalDate]) {
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new TypeError('invalid date');
  }
}

// ---------------------------------------------------------------- returned content

interface Returned {
  /** The octets of the third part (may be empty: no third part). */
  bytes: Buffer;
  /** The whole message (message/rfc822 or message/global) or its header only. */
  whole: boolean;
  /** Why the header only, when the whole message was wanted. */
  reason: 'asked' | 'no-failure' | 'too-large' | 'not-8bit' | null;
  /** Header fields were left out (unsendable or past the limit). */
  headerCut: boolean;
  originalSize: number;
  limit: number;
}

function chooseReturn(input: DsnInput, original: Buffer): Returned {
  const limit = returnLimitOf(input.returnLimit);
  const base = { originalSize: original.length, limit };
  const failed = input.recipients.some((r) => r.action === 'failed');
  let reason: Returned['reason'] = null;
  if (!failed) reason = 'no-failure';
  else if (input.ret === 'HDRS') reason = 'asked';
  else if (original.length > limit) reason = 'too-large';
  else if (!carriable(original, 0, original.length)) reason = 'not-8bit';
  if (reason === null) return { ...base, bytes: original, whole: true, reason, headerCut: false };
  const header = returnableHeader(original, limit);
  return { ...base, bytes: header.bytes, whole: false, reason, headerCut: header.cut };
}

function returnLimitOf(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : DSN_RETURN_LIMIT_DEFAULT;
}

/** The header fields of the message that can be carried, in order, up to `limit` octets in all. */
function returnableHeader(message: Buffer, limit: number): { bytes: Buffer; cut: boolean } {
  const end = headerEnd(message);
  const pieces: Buffer[] = [];
  let size = 0;
  let cut = false;
  for (const [start, stop] of fieldRanges(message, end)) {
    if (!carriable(message, start, stop)) {
      cut = true;
      continue;
    }
    if (size + (stop - start) > limit) {
      cut = true;
      break;
    }
    pieces.push(message.subarray(start, stop));
    size += stop - start;
  }
  return { bytes: Buffer.concat(pieces), cut };
}

/**
 * Where the header of a CRLF message ends: before its blank line, or
 * before its first line that is neither a field nor a continuation of one.
 */
function headerEnd(message: Buffer): number {
  let pos = 0;
  while (pos < message.length) {
    const lf = message.indexOf(LF, pos);
    const next = lf < 0 ? message.length : lf + 1;
    const lineEnd = lf < 0 ? message.length : lf - 1;
    if (lineEnd <= pos) return pos;
    const first = message[pos];
    const continuation = first === SP || first === HT;
    if (continuation ? pos === 0 : !isFieldLine(message, pos, lineEnd)) return pos;
    pos = next;
  }
  return pos;
}

/** A field name (printable ASCII but colon), optional blanks (RFC 5322 section 4.5.3), then a colon. */
function isFieldLine(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end && (buf[i] as number) > SP && (buf[i] as number) < 0x7f && buf[i] !== COLON) i++;
  if (i === start) return false;
  while (i < end && (buf[i] === SP || buf[i] === HT)) i++;
  return i < end && buf[i] === COLON;
}

/** [start, end) of each field (first line and its continuations) in a header of `end` octets. */
function fieldRanges(header: Buffer, end: number): [number, number][] {
  const ranges: [number, number][] = [];
  let pos = 0;
  while (pos < end) {
    const lf = header.indexOf(LF, pos);
    const next = lf < 0 || lf >= end ? end : lf + 1;
    const first = header[pos];
    const last = ranges[ranges.length - 1];
    if ((first === SP || first === HT) && last !== undefined) last[1] = next;
    else ranges.push([pos, next]);
    pos = next;
  }
  return ranges;
}

/** True when [start, end) of a CRLF buffer can travel as 7bit or 8bit: no NUL, no line over 998 octets. */
function carriable(buf: Buffer, start: number, end: number): boolean {
  if (buf.subarray(start, end).includes(0)) return false;
  let pos = start;
  while (pos < end) {
    const lf = buf.indexOf(LF, pos);
    const stop = lf < 0 || lf >= end ? end : lf;
    const length = stop - pos - (stop > pos && buf[stop - 1] === CR ? 1 : 0);
    if (length > MAX_LINE_OCTETS) return false;
    pos = stop + 1;
  }
  return true;
}

/** Bare CR and bare LF become CRLF; nothing else changes (no line break is added at the end). */
function toCrlf(buf: Buffer): Buffer {
  let clean = true;
  for (let i = buf.indexOf(LF); i >= 0 && clean; i = buf.indexOf(LF, i + 1)) clean = i > 0 && buf[i - 1] === CR;
  for (let i = buf.indexOf(CR); i >= 0 && clean; i = buf.indexOf(CR, i + 1)) clean = buf[i + 1] === LF;
  if (clean) return buf;
  const out = Buffer.allocUnsafe(buf.length * 2);
  let o = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i] as number;
    if (b === CR || b === LF) {
      out[o++] = CR;
      out[o++] = LF;
      if (b === CR && buf[i + 1] === LF) i++;
    } else {
      out[o++] = b;
    }
  }
  return out.subarray(0, o);
}

function returnedPart(kind: DsnKind, returned: Returned, global: boolean): MimePartOut {
  const type = returned.whole
    ? global ? 'message/global' : 'message/rfc822'
    : global ? 'message/global-headers' : 'text/rfc822-headers';
  const noun = { failure: 'Undelivered Message', delay: 'Delayed Message', success: 'Delivered Message' }[kind];
  return {
    headers: [
      `Content-Type: ${type}`,
      `Content-Transfer-Encoding: ${hasEightBit(returned.bytes) ? '8bit' : '7bit'}`,
      `Content-Description: ${returned.whole ? noun : `${noun} Headers`}`,
    ],
    body: returned.bytes,
  };
}

// ---------------------------------------------------------------- addresses

interface TypedAddress {
  type: string;
  address: string;
}

const NON_ASCII = /[^\x00-\x7f]/;

function isGlobal(input: DsnInput, returned: Returned): boolean {
  const addresses = [input.sender, input.from, ...input.recipients.map((r) => r.finalRecipient)];
  for (const r of input.recipients) {
    const orcpt = parseOrcpt(r.orcpt);
    if (orcpt !== null) addresses.push(orcpt.address);
  }
  if (addresses.some((a) => NON_ASCII.test(a))) return true;
  const header = returned.whole ? returned.bytes.subarray(0, headerEnd(returned.bytes)) : returned.bytes;
  return hasEightBit(header);
}

/**
 * An ORCPT value as the queue keeps it, split and decoded: the utf-8 type's
 * `\x{HEX}` escapes (RFC 6533 section 3, utf-8-addr-xtext and -unitext) are
 * decoded; a non-ASCII address of another type is typed utf-8, the only
 * type that can hold one. Null when it is not `type;address`.
 */
function parseOrcpt(orcpt: string | null): TypedAddress | null {
  if (orcpt === null) return null;
  const semi = orcpt.indexOf(';');
  if (semi <= 0) return null;
  const rawType = orcpt.slice(0, semi).trim();
  if (!/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/.test(rawType)) return null;
  let type = rawType.toLowerCase() === 'rfc822' ? 'rfc822' : rawType.toLowerCase() === 'utf-8' ? 'utf-8' : rawType;
  let address = orcpt.slice(semi + 1).trim();
  if (type === 'utf-8') address = decodeEmbeddedUnicode(address);
  address = cleanValue(address);
  if (address === '') return null;
  if (NON_ASCII.test(address)) type = 'utf-8';
  return { type, address };
}

/** `\x{HEX}` to the character, for code points outside ASCII and the xtext specials; others stay as written. */
function decodeEmbeddedUnicode(text: string): string {
  return text.replace(/\\x\{([0-9A-Fa-f]{1,6})\}/g, (all, hex: string) => {
    const cp = parseInt(hex, 16);
    const allowed = cp === 0x20 || cp === 0x2b || cp === 0x3d || cp === 0x5c || (cp >= 0x80 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff));
    return allowed ? String.fromCodePoint(cp) : all;
  });
}

/** RFC 6533 section 3 utf-8-addr-xtext: QCHARs as they are, everything else as `\x{HEX}`. */
function utf8AddrXtext(address: string): string {
  let out = '';
  for (const ch of address) {
    const cp = ch.codePointAt(0) as number;
    const qchar = cp >= 0x21 && cp <= 0x7e && cp !== 0x2b && cp !== 0x3d && cp !== 0x5c;
    out += qchar ? ch : `\\x{${cp.toString(16).toUpperCase()}}`;
  }
  return out;
}

/** `type; address` for a DSN field: the utf-8 type in its global or 7-bit form. */
function typedField(typed: TypedAddress, global: boolean): string {
  const address = typed.type === 'utf-8' && !global ? utf8AddrXtext(typed.address) : typed.address;
  return `${typed.type}; ${address}`;
}

function finalRecipientOf(address: string): TypedAddress {
  const clean = cleanValue(address);
  return { type: NON_ASCII.test(clean) ? 'utf-8' : 'rfc822', address: clean };
}

// ---------------------------------------------------------------- text values

/** One line of text: controls become "?" (CR and LF among them), cut to `max` code points. */
function cleanValue(text: string, max = MAX_VALUE_CHARS): string {
  const clean = wellFormed(text).replace(/[\x00-\x1f\x7f-\x9f]/g, '?').trim();
  return clean.length <= max ? clean : Array.from(clean).slice(0, max).join('');
}

/**
 * A host name for `dns;` fields, which are ASCII (RFC 3464 section 2.1.2 (c)):
 * a U-label name as its A-labels, then only the characters of names and
 * address literals.
 */
function cleanHost(host: string): string {
  const ascii = NON_ASCII.test(host) ? (domainToAscii(host) ?? host) : host;
  return ascii.replace(/[^A-Za-z0-9.:_[\]-]/g, '').slice(0, MAX_HOST_CHARS);
}

/** Our queue IDs are short ASCII words; anything else becomes "?", so the 7-bit parts stay 7-bit. */
function queueIdOf(queueId: string): string {
  return queueId.replace(/[^\x21-\x7e]/g, '?').slice(0, 64);
}

/** Printable ASCII, as RFC 3461 section 4.4 requires of an ENVID; anything else becomes "?". */
function cleanEnvid(envid: string): string {
  return cleanValue(envid.replace(/[^\x20-\x7e]/g, '?'));
}

/**
 * A diagnostic as lines: split at every CR or LF, each line's controls made
 * spaces, non-ASCII made "?" unless the report is global, empty lines dropped,
 * the whole capped.
 */
function diagnosticLines(text: string, global: boolean): string[] {
  let capped = wellFormed(text);
  if (capped.length > MAX_DIAGNOSTIC_CHARS) capped = `${Array.from(capped.slice(0, MAX_DIAGNOSTIC_CHARS)).join('')}...`;
  const lines: string[] = [];
  for (const raw of capped.split(/\r\n|\r|\n/)) {
    let line = raw.replace(/[\x00-\x1f\x7f-\x9f]/g, ' ');
    if (!global) line = line.replace(/[^\x00-\x7f]/g, '?');
    line = line.replace(/ {2,}/g, ' ').trim();
    if (line !== '') lines.push(line);
  }
  return lines;
}

function diagnosticTypeOf(type: string | undefined): string {
  return type !== undefined && /^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(type) ? type : 'smtp';
}

/** The reply without a `smtp;` prefix, should the caller have kept one. */
function diagnosticText(r: DsnRecipientReport): string | null {
  if (r.diagnostic === null || r.diagnostic === undefined) return null;
  const type = diagnosticTypeOf(r.diagnosticType);
  const prefix = new RegExp(`^\\s*${type.replace(/-/g, '\\-')}\\s*;\\s*`, 'i');
  const text = r.diagnostic.replace(prefix, '');
  return text.trim() === '' ? null : text;
}

const DEFAULT_STATUS: Readonly<Record<DsnAction, string>> = {
  failed: '5.0.0', delayed: '4.0.0', delivered: '2.0.0', relayed: '2.0.0', expanded: '2.0.0',
};
const STATUS_CLASSES: Readonly<Record<DsnAction, string>> = {
  failed: '45', delayed: '4', delivered: '2', relayed: '2', expanded: '2',
};

/**
 * The Status of a recipient: the caller's code without leading zeros
 * (RFC 3464 section 2.3.4), or the action's X.0.0 when it is not a code of
 * a class the action allows ("failed" with 4.x.x is a temporary failure
 * given up on, section 2.3.3).
 */
function statusOf(r: DsnRecipientReport): string {
  const m = /^\s*([245])\.(\d{1,3})\.(\d{1,3})\s*$/.exec(r.status);
  if (m === null || !STATUS_CLASSES[r.action].includes(m[1] as string)) return DEFAULT_STATUS[r.action];
  return `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
}

// ---------------------------------------------------------------- folding

/**
 * A header or DSN field folded at spaces under FOLD_WIDTH where it can be
 * and always under 998 octets: each segment starts a line of its own, a
 * word too long for any line is cut (RFC 5322 section 2.2.3).
 */
function fold(name: string, segments: readonly string[]): string[] {
  const lines: string[] = [];
  let line = `${name}:`;
  let hasWord = false;
  for (const segment of segments) {
    if (hasWord && line.trim() !== '') {
      lines.push(line);
      line = '';
    }
    for (const word of cutWords(segment)) {
      if (line.trim() !== '' && hasWord && octets(line) + 1 + octets(word) > FOLD_WIDTH) {
        lines.push(line);
        line = '';
      }
      line += ` ${word}`;
      hasWord = true;
    }
  }
  lines.push(line);
  return lines;
}

/** The words of a text (split at spaces), each at most MAX_WORD_OCTETS, cut between code points. */
function cutWords(text: string): string[] {
  const words: string[] = [];
  for (const word of text.split(' ')) {
    if (word === '') continue;
    if (octets(word) <= MAX_WORD_OCTETS) {
      words.push(word);
      continue;
    }
    let piece = '';
    for (const ch of word) {
      if (octets(piece) + octets(ch) > MAX_WORD_OCTETS) {
        words.push(piece);
        piece = '';
      }
      piece += ch;
    }
    if (piece !== '') words.push(piece);
  }
  return words;
}

/** Text wrapped at spaces to TEXT_WIDTH: the first line starts with `first`, the others with `rest`. */
function wrap(text: string, first: string, rest: string): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of cutWords(text)) {
    if (!empty && octets(line) + 1 + octets(word) > TEXT_WIDTH) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines;
}

function octets(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

// ---------------------------------------------------------------- the report's header

function topHeader(input: DsnInput, boundary: string, global: boolean): string[] {
  const name = displayName(input.fromName ?? 'Mail Delivery System');
  const from = cleanValue(input.from);
  const reportType = global ? 'global-delivery-status' : 'delivery-status';
  return [
    ...fold('From', [name === '' ? from : `${name} <${from}>`]),
    ...fold('To', [cleanValue(input.sender)]),
    `Subject: ${dsnKindSubject(input.kind)}`,
    `Date: ${formatDate(input.date)}`,
    `Message-ID: ${input.messageId}`,
    'MIME-Version: 1.0',
    'Auto-Submitted: auto-replied',
    `Content-Type: multipart/report; report-type=${reportType};`,
    `\tboundary="${boundary}"`,
  ];
}

/** A display name as a phrase: atoms as they are, a quoted string, or RFC 2047 encoded words when not ASCII. */
function displayName(name: string): string {
  const clean = cleanValue(name.replace(/[\x00-\x1f\x7f]/g, ' '), MAX_DISPLAY_NAME_CHARS).replace(/\s+/g, ' ');
  if (clean === '') return '';
  if (NON_ASCII.test(clean)) return libmime.encodeWord(clean, 'Q', 52);
  if (/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+$/.test(clean)) return clean;
  return `"${clean.replace(/[\\"]/g, '\\$&')}"`;
}

/** RFC 5322 section 3.3 date-time in UTC with a numeric zone (RFC 3464 section 2.3.7 requires one). */
function formatDate(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  const hms = `${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())}`;
  return `${days[date.getUTCDay()]}, ${date.getUTCDate()} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${hms} +0000`;
}

function validDate(date: Date | null | undefined): date is Date {
  return date instanceof Date && !Number.isNaN(date.getTime());
}

// ---------------------------------------------------------------- the delivery-status part

function statusBody(input: DsnInput, global: boolean): Buffer {
  const perMessage: string[] = [];
  if (input.envid !== null) perMessage.push(...fold('Original-Envelope-Id', [cleanEnvid(input.envid)]));
  perMessage.push(...fold('Reporting-MTA', [`dns; ${cleanHost(input.reportingMta)}`]));
  perMessage.push(`Arrival-Date: ${formatDate(input.arrivalDate)}`);
  if (input.queueId) perMessage.push(...fold('X-Petrel-Queue-ID', [queueIdOf(input.queueId)]));
  const groups = [perMessage, ...input.recipients.map((r) => recipientFields(r, global))];
  return Buffer.from(groups.map((group) => group.map((line) => `${line}\r\n`).join('')).join('\r\n'), 'utf8');
}

function recipientFields(r: DsnRecipientReport, global: boolean): string[] {
  const fields: string[] = [];
  const orcpt = parseOrcpt(r.orcpt);
  if (orcpt !== null) fields.push(...fold('Original-Recipient', [typedField(orcpt, global)]));
  fields.push(...fold('Final-Recipient', [typedField(finalRecipientOf(r.finalRecipient), global)]));
  fields.push(`Action: ${r.action}`, `Status: ${statusOf(r)}`);
  const host = r.remoteMta ? cleanHost(r.remoteMta) : '';
  if (host !== '') fields.push(`Remote-MTA: dns; ${host}`);
  const diagnostic = diagnosticText(r);
  if (diagnostic !== null) {
    const lines = diagnosticLines(diagnostic, global);
    if (lines.length > 0) {
      lines[0] = `${diagnosticTypeOf(r.diagnosticType)}; ${lines[0]}`;
      fields.push(...fold('Diagnostic-Code', lines));
    }
  }
  if (validDate(r.lastAttempt)) fields.push(`Last-Attempt-Date: ${formatDate(r.lastAttempt)}`);
  if (r.action === 'delayed' && validDate(r.willRetryUntil)) fields.push(`Will-Retry-Until: ${formatDate(r.willRetryUntil)}`);
  return fields;
}

// ---------------------------------------------------------------- the human-readable part

const INTRO: Readonly<Record<DsnKind, string>> = {
  failure:
    'Your message could not be delivered to one or more of its recipients. ' +
    'The mail system has given up on the recipients listed below.',
  delay:
    'Your message has not been delivered yet to the recipients listed below. ' +
    'The mail system is still trying; you do not need to send the message again. ' +
    'If it gives up, you will get another report.',
  success: 'Your message was delivered to the recipients listed below; you asked for this report.',
};

function humanText(input: DsnInput, returned: Returned, global: boolean): string {
  const host = cleanHost(input.reportingMta);
  const out: string[] = [`This is the mail system at ${host}.`, ''];
  out.push(...wrap(INTRO[input.kind], '', ''), '');
  if (input.kind !== 'success') {
    const queue = input.queueId ? ` and give the queue ID ${queueIdOf(input.queueId)}` : '';
    out.push(...wrap(`If you need help, write to the postmaster of ${host}${queue}.`, '', ''), '');
  }
  for (const r of input.recipients) out.push(...recipientText(r, global), '');
  out.push(...wrap(returnSentence(returned), '', ''));
  const text = out.join('\r\n') + '\r\n';
  return global ? text : text.replace(/[^\x00-\x7f]/g, '?');
}

function recipientText(r: DsnRecipientReport, global: boolean): string[] {
  const rcpt = cleanValue(r.finalRecipient);
  const orcpt = parseOrcpt(r.orcpt);
  const mailType = orcpt !== null && (orcpt.type === 'rfc822' || orcpt.type === 'utf-8');
  const was = mailType && orcpt.address !== rcpt ? ` (you wrote to <${orcpt.address}>)` : '';
  const lines = wrap(`<${rcpt}>${was}: ${actionText(r)}`, '', '    ');
  const diagnostic = diagnosticText(r);
  const host = r.remoteMta ? cleanHost(r.remoteMta) : '';
  if (diagnostic !== null) {
    lines.push(host !== '' ? `    The mail server ${host} answered:` : '    Reason:');
    for (const line of diagnosticLines(diagnostic, global)) lines.push(...wrap(line, '      ', '        '));
  } else if (host !== '') {
    lines.push(`    The last server tried was ${host}.`);
  }
  return lines;
}

function actionText(r: DsnRecipientReport): string {
  const status = statusOf(r);
  switch (r.action) {
    case 'failed':
      return `delivery failed (status ${status}).`;
    case 'delayed': {
      const until = validDate(r.willRetryUntil) ? ` until ${formatDate(r.willRetryUntil)}` : '';
      return `delivery is delayed (status ${status}); the mail system will keep trying${until}.`;
    }
    case 'delivered':
      return `delivered (status ${status}).`;
    case 'relayed':
      return `passed on (status ${status}) to a mail system that sends no delivery reports; none will follow.`;
    case 'expanded':
      return `delivered (status ${status}) to an alias, which passed it on to further recipients.`;
  }
}

function returnSentence(returned: Returned): string {
  if (returned.bytes.length === 0) return 'The message is not attached: it had no header to return.';
  const cut = returned.headerCut ? ' Some of its header fields were left out: they were too long to send back, or past the size limit.' : '';
  switch (returned.reason) {
    case null:
      return 'The message is attached below.';
    case 'too-large':
      return `The message was too large to return in full (${returned.originalSize} octets, the limit is ${returned.limit}); only its header is attached below.${cut}`;
    case 'not-8bit':
      return `The message could not be returned in full (it has lines too long or characters mail cannot carry as they are); only its header is attached below.${cut}`;
    default:
      return `The header of the message is attached below.${cut}`;
  }
}

function textHeaders(text: Buffer): string[] {
  const eight = hasEightBit(text);
  return [
    `Content-Type: text/plain; charset=${eight ? 'utf-8' : 'us-ascii'}`,
    `Content-Transfer-Encoding: ${eight ? '8bit' : '7bit'}`,
    'Content-Description: Notification',
  ];
}

// ---------------------------------------------------------------- boundary and assembly

/** RFC 2046 section 5.1.1: 1 to 70 bchars, not ending in a space. */
function isBoundary(value: string): boolean {
  return /^[0-9A-Za-z'()+_,./:=? -]{0,69}[0-9A-Za-z'()+_,./:=?-]$/.test(value);
}

/**
 * The caller's boundary, unless a part contains it (compared without case,
 * as some readers match boundaries). Then, deterministically, the first of
 * `boundary=1`, `boundary=2`... that no part contains, and past
 * MAX_BOUNDARY_TRIES one ending in a hash of the parts, which a part could
 * only contain by containing its own hash.
 */
function safeBoundary(base: string, bodies: readonly Buffer[]): string {
  const texts = bodies.map((body) => body.toString('latin1').toLowerCase());
  const free = (candidate: string): boolean => texts.every((text) => !text.includes(candidate.toLowerCase()));
  if (free(base)) return base;
  for (let n = 1; n <= MAX_BOUNDARY_TRIES; n++) {
    const candidate = withSuffix(base, `=${n}`);
    if (free(candidate)) return candidate;
  }
  const hash = createHash('sha256');
  for (const body of bodies) hash.update(body);
  const candidate = withSuffix(base, `=${hash.digest('hex').slice(0, 32)}`);
  if (!free(candidate)) throw new Error('no MIME boundary found that the parts do not contain');
  return candidate;
}

function withSuffix(base: string, suffix: string): string {
  return base.slice(0, MAX_BOUNDARY_CHARS - suffix.length).trimEnd() + suffix;
}

function assemble(header: readonly string[], boundary: string, parts: readonly MimePartOut[]): Buffer {
  const chunks: Buffer[] = [Buffer.from(`${header.join('\r\n')}\r\n\r\nThis is a MIME-encapsulated message.\r\n`, 'utf8')];
  for (const part of parts) {
    chunks.push(Buffer.from(`\r\n--${boundary}\r\n${part.headers.join('\r\n')}\r\n\r\n`, 'utf8'), part.body);
  }
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'));
  return Buffer.concat(chunks);
}

/** Lone surrogates become U+FFFD, as UTF-8 encoding would make them (String#toWellFormed is not in ES2023). */
function wellFormed(text: string): string {
  return /[\ud800-\udfff]/.test(text) ? Buffer.from(text, 'utf8').toString('utf8') : text;
}

function hasEightBit(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) if ((buf[i] as number) >= 0x80) return true;
  return false;
}
