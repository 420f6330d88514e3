/*
 * The text of one text/* part: its transfer encoding undone and its
 * charset decoded, reading at most a given number of body octets. Shared
 * by the preview, the search text and the spam filter.
 *
 * Exports: decodeTextPart.
 * Security: reads untrusted bytes, at most maxBytes of the body; never
 * throws on a charset it does not know (UTF-8 when the bytes are valid
 * UTF-8, Latin-1 otherwise, so no byte is lost).
 * Standards: RFC 2045 (transfer encodings), RFC 2046 section 4.1.2 (charset).
 */
import { decode as decodeCharset } from 'libmime/lib/charset.js';
import { isUtf8 } from 'node:buffer';
import { decodePart } from './binary.js';
import { paramValue } from './part-header.js';
import type { MimePart } from './types.js';

/** The decoded text of the first maxBytes octets of a part's body; '' for an unknown transfer encoding. */
export function decodeTextPart(message: Buffer, part: MimePart, maxBytes: number): string {
  const head: MimePart = { ...part, bodyEnd: Math.min(part.bodyEnd, part.bodyStart + maxBytes) };
  const bytes = decodePart(message, head);
  if (bytes === null) return '';
  const charset = paramValue(part.params, 'charset');
  if (charset !== undefined && !/^(us-ascii|utf-?8)$/i.test(charset)) {
    try {
      return decodeCharset(bytes, charset);
    } catch {
      // unknown charset: guess below
    }
  }
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
}
