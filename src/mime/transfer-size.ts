/*
 * The decoded size of a body (IMAP BINARY.SIZE), counted without decoding.
 *
 * Exports: transferDecodedSize.
 * Security: reads untrusted bytes; one pass, each byte looked at a bounded
 * number of times, no allocation.
 * Standards: RFC 3516 (BINARY.SIZE; an unknown encoding has no size), RFC
 * 2045 section 6.7 (quoted-printable: `=XX` is one octet, `=` before a line
 * break is a soft break, whitespace at the end of a line is removed, an `=`
 * that starts no valid sequence is kept) and section 6.8 (base64: characters
 * outside the alphabet are ignored, decoding stops at `=`).
 * Choices: line breaks are counted as written (CRLF two octets, a bare LF
 * one); a decoder serving BINARY[] must follow the same rules.
 */

const SP = 0x20;
const HT = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const EQ = 0x3d;

const BASE64 = new Uint8Array(256);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64[ch.charCodeAt(0)] = 1;

function isHex(b: number | undefined): boolean {
  return b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
}

/** Octets the body [start, end) decodes to under `encoding` (lower case; null is 7bit), or null for an unknown encoding. */
export function transferDecodedSize(buf: Buffer, start: number, end: number, encoding: string | null): number | null {
  switch (encoding) {
    case null:
    case '7bit':
    case '8bit':
    case 'binary':
      return end - start;
    case 'base64':
      return base64Size(buf, start, end);
    case 'quoted-printable':
      return quotedPrintableSize(buf, start, end);
    default:
      return null;
  }
}

function base64Size(buf: Buffer, start: number, end: number): number {
  let count = 0;
  for (let i = start; i < end; i++) {
    const b = buf[i] as number;
    if (b === EQ) break;
    count += BASE64[b] as number;
  }
  return Math.floor((count * 3) / 4);
}

function quotedPrintableSize(buf: Buffer, start: number, end: number): number {
  let size = 0;
  let pendingSpace = 0; // whitespace that counts only if something other than a line break follows
  for (let i = start; i < end; i++) {
    const b = buf[i] as number;
    if (b === SP || b === HT) {
      pendingSpace++;
    } else if (b === LF || (b === CR && buf[i + 1] === LF && i + 1 < end)) {
      pendingSpace = 0;
      if (b === CR) i++;
      size += b === CR ? 2 : 1;
    } else if (b === EQ) {
      size += pendingSpace;
      pendingSpace = 0;
      let j = i + 1;
      while (j < end && (buf[j] === SP || buf[j] === HT)) j++;
      if (j >= end) break; // '=' ending the body: a soft break
      if (buf[j] === LF) {
        i = j;
      } else if (buf[j] === CR && j + 1 < end && buf[j + 1] === LF) {
        i = j + 1;
      } else if (i + 2 < end && isHex(buf[i + 1]) && isHex(buf[i + 2])) {
        size++;
        i += 2;
      } else {
        size++; // a literal '='
      }
    } else {
      size += pendingSpace + 1;
      pendingSpace = 0;
    }
  }
  return size;
}
