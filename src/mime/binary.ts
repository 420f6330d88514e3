/*
 * Decoding of a part's body for IMAP BINARY[section], by the same rules
 * that count BINARY.SIZE at delivery, so the bytes sent always have the
 * length the index promised.
 *
 * Exports: decodeTransfer, decodePart, binaryBytes.
 * Security: reads untrusted bytes; one pass over the body, output at most
 * as long as the input, no regular expressions; never throws.
 * Standards: RFC 3516 (BINARY; an unknown encoding answers UNKNOWN-CTE,
 * BINARY[] is the whole message undecoded), RFC 2045 sections 6.7 and 6.8,
 * with the choices of transfer-size.ts: base64 ignores characters outside
 * the alphabet and stops at `=`; quoted-printable drops whitespace at the
 * end of a line, honours soft breaks, keeps an `=` that starts no valid
 * sequence, and keeps line breaks as written (CRLF or bare LF).
 */
import { findPart } from './sections.js';
import type { MessageIndex, MimePart } from './types.js';

const SP = 0x20;
const HT = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const EQ = 0x3d;

/** Base64 alphabet value plus one (0 means "not in the alphabet"). */
const B64 = new Uint8Array(256);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((ch, i) => {
  B64[ch.charCodeAt(0)] = i + 1;
});

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

/** The body bytes [start, end) decoded under `encoding` (lower case; null is 7bit), or null for an unknown encoding. */
export function decodeTransfer(buf: Buffer, start: number, end: number, encoding: string | null): Buffer | null {
  switch (encoding) {
    case null:
    case '7bit':
    case '8bit':
    case 'binary':
      return buf.subarray(start, end);
    case 'base64':
      return decodeBase64(buf, start, end);
    case 'quoted-printable':
      return decodeQuotedPrintable(buf, start, end);
    default:
      return null;
  }
}

function decodeBase64(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(Math.floor(((end - start) * 3) / 4) + 3);
  let size = 0;
  let acc = 0;
  let count = 0;
  for (let i = start; i < end; i++) {
    const b = buf[i] as number;
    if (b === EQ) break;
    const v = B64[b] as number;
    if (v === 0) continue;
    acc = (acc << 6) | (v - 1);
    count++;
    if (count === 4) {
      out[size++] = (acc >>> 16) & 0xff;
      out[size++] = (acc >>> 8) & 0xff;
      out[size++] = acc & 0xff;
      acc = 0;
      count = 0;
    }
  }
  // 2 leftover characters make one octet, 3 make two, 1 makes none
  if (count === 2) out[size++] = (acc >>> 4) & 0xff;
  else if (count === 3) {
    out[size++] = (acc >>> 10) & 0xff;
    out[size++] = (acc >>> 2) & 0xff;
  }
  return out.subarray(0, size);
}

function decodeQuotedPrintable(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  let size = 0;
  let spaceStart = -1; // start of a run of whitespace kept only if something other than a line break follows
  const flushSpace = (upTo: number): void => {
    if (spaceStart < 0) return;
    buf.copy(out, size, spaceStart, upTo);
    size += upTo - spaceStart;
    spaceStart = -1;
  };
  for (let i = start; i < end; i++) {
    const b = buf[i] as number;
    if (b === SP || b === HT) {
      if (spaceStart < 0) spaceStart = i;
    } else if (b === LF || (b === CR && buf[i + 1] === LF && i + 1 < end)) {
      spaceStart = -1;
      if (b === CR) {
        out[size++] = CR;
        i++;
      }
      out[size++] = LF;
    } else if (b === EQ) {
      flushSpace(i);
      let j = i + 1;
      while (j < end && (buf[j] === SP || buf[j] === HT)) j++;
      if (j >= end) break; // '=' ending the body: a soft break
      const hi = hexValue(buf[i + 1]);
      const lo = hexValue(buf[i + 2]);
      if (buf[j] === LF) {
        i = j;
      } else if (buf[j] === CR && j + 1 < end && buf[j + 1] === LF) {
        i = j + 1;
      } else if (i + 2 < end && hi >= 0 && lo >= 0) {
        out[size++] = (hi << 4) | lo;
        i += 2;
      } else {
        out[size++] = EQ;
      }
    } else {
      flushSpace(i);
      out[size++] = b;
    }
  }
  return out.subarray(0, size);
}

/**
 * BINARY[part]: the part's body decoded. `undefined` when the section names
 * no part, `null` when its encoding is unknown (UNKNOWN-CTE). The empty
 * section is the whole message, undecoded. A multipart or encapsulated
 * message is decoded only under an identity encoding, as its binarySize says.
 */
export function binaryBytes(message: Buffer, index: MessageIndex, part: number[]): Buffer | null | undefined {
  if (part.length === 0) return message;
  const found = findPart(index.root, part);
  if (found === undefined) return undefined;
  return decodePart(message, found);
}

/** A part's body decoded as binaryBytes does; null for an unknown encoding. */
export function decodePart(message: Buffer, part: MimePart): Buffer | null {
  const start = Math.min(part.bodyStart, message.length);
  const end = Math.min(Math.max(part.bodyEnd, start), message.length);
  const isContainer = part.children !== undefined || part.message !== undefined;
  if (isContainer && !(part.encoding === null || part.encoding === '7bit' || part.encoding === '8bit' || part.encoding === 'binary')) {
    return null;
  }
  return decodeTransfer(message, start, end, part.encoding);
}
