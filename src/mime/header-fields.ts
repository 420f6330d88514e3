/*
 * Splits a header block into its fields, with the byte range of each, so
 * that the indexer interprets fields and IMAP's HEADER.FIELDS (and .NOT)
 * returns the raw bytes of the fields it selects.
 *
 * Exports: HeaderField, readHeaderFields, decodeHeaderBytes.
 * Security: reads untrusted bytes; one pass, no regular expressions, no
 * per-name objects (fields come back as an array).
 * Standards: RFC 5322 section 2.2 (fields, unfolding) and 4.5.3 (obsolete
 * whitespace before the colon); RFC 6532 (UTF-8 in header values).
 * Deviations: a line that is neither a field nor a continuation (no colon,
 * or a name with spaces such as an mbox "From " line) is skipped with its
 * continuation lines, as is a continuation line with no field before it.
 */
import { isUtf8 } from 'node:buffer';

export interface HeaderField {
  /** Field name as written (case kept), without whitespace before the colon. */
  name: string;
  /** Unfolded value: line breaks removed, leading and trailing whitespace trimmed. */
  value: string;
  /** Byte range of the whole field in the block, its folded lines and final line break included. */
  start: number;
  end: number;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

/** Header bytes as text: UTF-8 when they are valid UTF-8 (RFC 6532), otherwise Latin-1 so no byte is lost. */
export function decodeHeaderBytes(bytes: Buffer): string {
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
}

/**
 * The fields of a header block, in order. The block may include or omit
 * the blank line that ends it; reading stops at the first blank line.
 */
export function readHeaderFields(block: Buffer): HeaderField[] {
  const fields: HeaderField[] = [];
  const size = block.length;
  let fieldStart = -1;
  let colon = -1;
  let pos = 0;
  const flush = (end: number): void => {
    if (fieldStart >= 0) {
      const field = makeField(block, fieldStart, colon, end);
      if (field !== undefined) fields.push(field);
    }
    fieldStart = -1;
  };
  while (pos < size) {
    const lf = block.indexOf(LF, pos);
    const next = lf < 0 ? size : lf + 1;
    const first = block[pos];
    if (first === LF || (first === CR && block[pos + 1] === LF)) break; // the blank line ends the block
    if (first === SP || first === HT) {
      // continuation of the current field (or of nothing, when skipped)
      pos = next;
      continue;
    }
    flush(pos);
    const c = block.indexOf(COLON, pos);
    if (c >= 0 && c < next) {
      fieldStart = pos;
      colon = c;
    }
    pos = next;
  }
  flush(pos);
  return fields;
}

function makeField(block: Buffer, start: number, colon: number, end: number): HeaderField | undefined {
  let nameEnd = colon;
  while (nameEnd > start && (block[nameEnd - 1] === SP || block[nameEnd - 1] === HT)) nameEnd--;
  if (nameEnd === start) return undefined;
  for (let i = start; i < nameEnd; i++) {
    const b = block[i] as number;
    if (b <= SP || b === 0x7f) return undefined; // not a field name: an mbox "From " line, garbage
  }
  const name = block.toString('latin1', start, nameEnd);
  const value = unfold(decodeHeaderBytes(block.subarray(colon + 1, end)));
  return { name, value, start, end };
}

/** Removes the line breaks of folding (RFC 5322 section 2.2.3) and trims the ends (by hand: no regex backtracking). */
function unfold(text: string): string {
  const out = text.includes('\n') ? text.replace(/\r?\n/g, '') : text;
  let a = 0;
  let b = out.length;
  while (a < b && isBlank(out.charCodeAt(a))) a++;
  while (b > a && isBlank(out.charCodeAt(b - 1))) b--;
  return a === 0 && b === out.length ? out : out.slice(a, b);
}

function isBlank(code: number): boolean {
  return code === SP || code === HT || code === CR;
}
