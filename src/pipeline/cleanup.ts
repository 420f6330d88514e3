/*
 * Cleanup, after Postfix's program of that name: the header work done to
 * every message between receipt and the queue. Pure functions over bytes.
 *
 *  - line endings: bare CR or LF in mail from the Internet is refused (the
 *    SMTP smuggling defence, as Postfix's smtpd_forbid_bare_newline); from
 *    authenticated or local clients it is normalised to CRLF;
 *  - hop count: too many Received headers means a loop;
 *  - a Received header on every hop; Message-ID and Date added to submitted
 *    mail that lacks them.
 *
 * Security: reads untrusted message bytes; linear scans, no recursion,
 * header block size capped.
 * Standards: RFC 5321 sections 2.3.8 (line endings), 4.4 (Received), 6.3
 * (loop detection); RFC 5322 section 3.6 (Message-ID, Date); RFC 3848
 * (with ESMTPS/ESMTPSA/LMTP protocol names); CVE-2023-51764 (smuggling).
 */
import { randomBytesFast } from '../core/ids.js';

const CR = 0x0d;
const LF = 0x0a;

export type LineEndingCheck = { ok: true; bytes: Buffer } | { ok: false; problem: 'bare-lf' | 'bare-cr' };

/**
 * Strict: any CR not followed by LF, or LF not preceded by CR, is refused.
 * Normalise: each of them becomes CRLF. A missing final CRLF is added.
 */
export function checkLineEndings(bytes: Buffer, mode: 'strict' | 'normalize'): LineEndingCheck {
  let bad = -1;
  for (let i = bytes.indexOf(LF); i !== -1; i = bytes.indexOf(LF, i + 1)) {
    if (i === 0 || bytes[i - 1] !== CR) {
      bad = i;
      break;
    }
  }
  let badCr = -1;
  for (let i = bytes.indexOf(CR); i !== -1; i = bytes.indexOf(CR, i + 1)) {
    if (i + 1 >= bytes.length || bytes[i + 1] !== LF) {
      badCr = i;
      break;
    }
  }
  const endsWell = bytes.length === 0 || (bytes.length >= 2 && bytes[bytes.length - 2] === CR && bytes[bytes.length - 1] === LF);
  if (bad === -1 && badCr === -1) return { ok: true, bytes: endsWell ? bytes : Buffer.concat([bytes, Buffer.from('\r\n')]) };
  if (mode === 'strict') {
    // A CR at the very end is the data stream's own edge, not a bare CR.
    if (bad !== -1) return { ok: false, problem: 'bare-lf' };
    if (badCr !== bytes.length - 1) return { ok: false, problem: 'bare-cr' };
  }
  return { ok: true, bytes: normalizeLineEndings(bytes) };
}

export function normalizeLineEndings(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length * 2 + 2);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === CR) {
      out[o++] = CR;
      out[o++] = LF;
      if (bytes[i + 1] === LF) i++;
    } else if (b === LF) {
      out[o++] = CR;
      out[o++] = LF;
    } else {
      out[o++] = b;
    }
  }
  if (o < 2 || out[o - 2] !== CR || out[o - 1] !== LF) {
    out[o++] = CR;
    out[o++] = LF;
  }
  return out.subarray(0, o);
}

/** Offset just past the blank line that ends the header block (or the message length). */
export function headerLength(bytes: Buffer): number {
  if (bytes.length >= 2 && bytes[0] === CR && bytes[1] === LF) return 2;
  const end = bytes.indexOf('\r\n\r\n');
  return end === -1 ? bytes.length : end + 4;
}

/** Names of the header fields in a header block, lower case, in order. */
export function headerNames(header: Buffer): string[] {
  const names: string[] = [];
  const text = header.toString('latin1');
  const re = /(?:^|\r\n)([!-9;-~]+)[ \t]*:/g;
  for (let m = re.exec(text); m; m = re.exec(text)) names.push(m[1]!.toLowerCase());
  return names;
}

export function countHeader(header: Buffer, name: string): number {
  const lower = name.toLowerCase();
  return headerNames(header).filter((n) => n === lower).length;
}

/** RFC 5322 date-time: "Fri, 27 Nov 2026 23:40:00 +0000". */
export function rfc5322Date(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[date.getUTCDay()]}, ${date.getUTCDate()} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} +0000`;
}

export function newMessageId(queueId: string, hostname: string): string {
  return `<${queueId}.${randomBytesFast(6).toString('hex')}@${hostname}>`;
}

export interface ReceivedInfo {
  helo: string;
  clientIp: string;
  clientHostname?: string | undefined;
  hostname: string;
  /** RFC 3848 protocol: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA, LMTP, LMTPS... */
  protocol: string;
  queueId: string;
  tls?: { version: string; cipher: string } | undefined;
  /** Only when there is exactly one recipient (several would disclose Bcc). */
  recipient?: string | undefined;
  date: Date;
}

// HELO strings are peer input: keep them printable and short in our header.
const cleanHelo = (helo: string) => helo.replace(/[^\x21-\x7e]/g, '?').slice(0, 255) || 'unknown';

export function receivedHeader(info: ReceivedInfo): string {
  const client = info.clientHostname ? `${info.clientHostname} [${info.clientIp}]` : `[${info.clientIp}]`;
  const lines = [`Received: from ${cleanHelo(info.helo)} (${client})`];
  if (info.tls) lines.push(`\t(using ${info.tls.version} with cipher ${info.tls.cipher})`);
  lines.push(`\tby ${info.hostname} (Petrel) with ${info.protocol} id ${info.queueId}`);
  if (info.recipient) lines.push(`\tfor <${info.recipient}>`);
  lines[lines.length - 1] += `; ${rfc5322Date(info.date)}`;
  return lines.join('\r\n') + '\r\n';
}
