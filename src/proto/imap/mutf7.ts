/*
 * Modified UTF-7 for IMAP mailbox names (RFC 3501 section 5.1.3).
 *
 * Exports: encodeMutf7, decodeMutf7 (throws Mutf7Error), isValidMutf7, Mutf7Error.
 * Security: decodes client-chosen names; the decoder is strict (only the
 * canonical encoding is accepted, so one mailbox has one wire name) and linear.
 * Standards: RFC 3501 section 5.1.3; RFC 9051 keeps it for IMAP4rev1 clients.
 */

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

export class Mutf7Error extends Error {
  override readonly name = 'Mutf7Error';
}

function isDirect(c: number): boolean {
  return c >= 0x20 && c <= 0x7e;
}

function encodeRun(units: number[]): string {
  let out = '&';
  let bits = 0;
  let acc = 0;
  for (const u of units) {
    acc = (acc << 16) | u;
    bits += 16;
    while (bits >= 6) {
      bits -= 6;
      out += B64[(acc >> bits) & 0x3f];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B64[(acc << (6 - bits)) & 0x3f];
  return out + '-';
}

/** Encodes a Unicode mailbox name to its modified UTF-7 wire form. */
export function encodeMutf7(name: string): string {
  let out = '';
  let run: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (isDirect(c)) {
      if (run.length) {
        out += encodeRun(run);
        run = [];
      }
      out += c === 0x26 ? '&-' : name[i];
    } else {
      run.push(c);
    }
  }
  if (run.length) out += encodeRun(run);
  return out;
}

/** Decodes a wire name; throws Mutf7Error on any non-canonical or invalid form. */
export function decodeMutf7(wire: string): string {
  let out = '';
  let i = 0;
  while (i < wire.length) {
    const c = wire.charCodeAt(i);
    if (!isDirect(c)) throw new Mutf7Error('character outside printable US-ASCII');
    if (c !== 0x26) {
      out += wire[i];
      i++;
      continue;
    }
    const end = wire.indexOf('-', i + 1);
    if (end < 0) throw new Mutf7Error('unterminated & shift');
    if (end === i + 1) {
      out += '&';
      i = end + 1;
      continue;
    }
    let acc = 0;
    let bits = 0;
    const units: number[] = [];
    for (let j = i + 1; j < end; j++) {
      const cc = wire.charCodeAt(j);
      const v = cc < 128 ? B64_INDEX[cc]! : -1;
      if (v < 0) throw new Mutf7Error('invalid base64 character in shift');
      acc = ((acc << 6) | v) & 0xffffff;
      bits += 6;
      if (bits >= 16) {
        bits -= 16;
        units.push((acc >> bits) & 0xffff);
      }
    }
    if (bits >= 6 || (acc & ((1 << bits) - 1)) !== 0) throw new Mutf7Error('non-zero or excess padding bits');
    for (let k = 0; k < units.length; k++) {
      const u = units[k]!;
      if (isDirect(u)) throw new Mutf7Error('printable ASCII encoded in a shift');
      if (u >= 0xd800 && u <= 0xdbff) {
        const lo = units[k + 1];
        if (lo === undefined || lo < 0xdc00 || lo > 0xdfff) throw new Mutf7Error('lone high surrogate');
        k++;
      } else if (u >= 0xdc00 && u <= 0xdfff) {
        throw new Mutf7Error('lone low surrogate');
      }
    }
    if (units.length === 0) throw new Mutf7Error('empty shift');
    if (wire.charCodeAt(end + 1) === 0x26 && wire.charCodeAt(end + 2) !== 0x2d) {
      throw new Mutf7Error('adjacent shifts must be merged');
    }
    for (let k = 0; k < units.length; k += 4096) out += String.fromCharCode(...units.slice(k, k + 4096));
    i = end + 1;
  }
  return out;
}

export function isValidMutf7(wire: string): boolean {
  try {
    decodeMutf7(wire);
    return true;
  } catch {
    return false;
  }
}
