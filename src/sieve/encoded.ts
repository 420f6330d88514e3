/*
 * The encoded-character extension: `${hex:...}` and `${unicode:...}` inside
 * strings, decoded once at compile time when the script requires it.
 *
 * Exports: decodeEncodedCharacters, EncodedCharacterError.
 * Security: linear scan; the output is never longer than the input.
 * Standards: RFC 5228 section 2.4.2.4. Sequences that do not match the
 * grammar are left as written, as the RFC requires; a unicode value in the
 * surrogate range or above 10FFFF is an error.
 */

export class EncodedCharacterError extends Error {}

const SEQ = /\$\{(hex|unicode):([\s0-9a-fA-F]*)\}/gi;
const BLANK_SPLIT = /[ \t\r\n]+/;

export function decodeEncodedCharacters(s: string): string {
  if (!s.includes('${')) return s;
  return s.replace(SEQ, (whole, kind: string, body: string) => {
    if (/[^ \t\r\n0-9a-fA-F]/.test(body)) return whole;
    const items = body.trim() === '' ? [] : body.trim().split(BLANK_SPLIT);
    if (kind.toLowerCase() === 'hex') {
      if (items.some((h) => h.length > 2)) return whole;
      const bytes = Uint8Array.from(items.map((h) => parseInt(h, 16)));
      return new TextDecoder('utf-8').decode(bytes);
    }
    let out = '';
    for (const h of items) {
      const v = parseInt(h.length > 8 ? h.replace(/^0+(?=.)/, '') : h, 16);
      if (!Number.isFinite(v) || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        throw new EncodedCharacterError(`invalid unicode character ${h} in \${unicode:...}`);
      }
      out += String.fromCodePoint(v);
    }
    return out;
  });
}
