/*
 * PREVIEW text of a message: the start of its first readable text part,
 * decoded and with whitespace collapsed, for FETCH PREVIEW.
 *
 * Exports: PREVIEW_MAX_CHARS, PREVIEW_MAX_INPUT_BYTES, preview, stripHtml
 * (also the search text's HTML reduction).
 * Security: reads untrusted bytes; only the first PREVIEW_MAX_INPUT_BYTES
 * of one part are decoded, tag stripping is one linear pass without
 * regular expressions over markup; never throws.
 * Standards: RFC 8970 (PREVIEW: at most 200 characters of plain text, no
 * markup; an empty preview when there is nothing to show), RFC 2045
 * (transfer encodings, via binary.ts), RFC 2046 (charset parameter).
 * Choices: the first text/plain leaf that is not an attachment, else the
 * first such text/html with tags, comments, script and style removed and
 * the common entities decoded; parts of attached messages are not read.
 */
import { decodeTextPart } from './text-part.js';
import type { MessageIndex, MimePart } from './types.js';

/** RFC 8970 section 3: a preview is at most 200 characters. */
export const PREVIEW_MAX_CHARS = 200;
/** Raw body octets read for a preview: enough for 200 characters behind most markup, bounded for huge parts. */
export const PREVIEW_MAX_INPUT_BYTES = 64 * 1024;

/** The preview text; empty when the message has no text part to show. */
export function preview(message: Buffer, index: MessageIndex): string {
  try {
    const plain = findText(index.root, 'plain');
    if (plain !== undefined) return collapse(decodeText(message, plain));
    const html = findText(index.root, 'html');
    if (html !== undefined) return collapse(stripHtml(decodeText(message, html)));
  } catch {
    // a charset decoder failing on hostile input: no preview rather than an error
  }
  return '';
}

/** Depth-first, in part order, through multiparts only. */
function findText(root: MimePart, subtype: string): MimePart | undefined {
  const stack: MimePart[] = [root];
  while (stack.length > 0) {
    const part = stack.pop() as MimePart;
    if (part.children !== undefined) {
      for (let i = part.children.length - 1; i >= 0; i--) stack.push(part.children[i] as MimePart);
    } else if (part.message === undefined && part.type === 'text' && part.subtype === subtype && part.disposition?.type !== 'attachment') {
      return part;
    }
  }
  return undefined;
}

function decodeText(message: Buffer, part: MimePart): string {
  return decodeTextPart(message, part, PREVIEW_MAX_INPUT_BYTES);
}

/** Whitespace runs become one space, the ends are trimmed, at most PREVIEW_MAX_CHARS characters are kept. */
function collapse(text: string): string {
  let out = '';
  let count = 0;
  let space = false;
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (code <= 0x20 || code === 0x7f || code === 0xa0 || ch === '\u2028' || ch === '\u2029' || ch === '\ufffd') {
      space = true;
      continue;
    }
    if (space && count > 0) {
      if (count + 1 >= PREVIEW_MAX_CHARS) break;
      out += ' ';
      count++;
    }
    space = false;
    out += ch;
    if (++count >= PREVIEW_MAX_CHARS) break;
  }
  return out;
}

const ENTITIES: ReadonlyMap<string, string> = new Map([
  ['amp', '&'], ['lt', '<'], ['gt', '>'], ['quot', '"'], ['apos', "'"], ['nbsp', ' '],
]);

/** Text of an HTML document: tags and comments removed (block tags become spaces), script and style dropped, entities decoded. */
export function stripHtml(html: string): string {
  let out = '';
  let i = 0;
  const len = html.length;
  while (i < len) {
    const ch = html[i] as string;
    if (ch === '<') {
      if (html.startsWith('<!--', i)) {
        const end = html.indexOf('-->', i + 4);
        i = end < 0 ? len : end + 3;
        continue;
      }
      const close = html.indexOf('>', i + 1);
      if (close < 0) break;
      const tag = html.slice(i + 1, Math.min(close, i + 10)).toLowerCase();
      i = close + 1;
      for (const skipped of ['script', 'style', 'head', 'title']) {
        if (tag.startsWith(skipped) && !/[a-z0-9]/.test(tag[skipped.length] ?? '')) {
          i = findCloseTag(html, skipped, i);
          break;
        }
      }
      out += ' ';
    } else if (ch === '&') {
      const semi = html.indexOf(';', i + 1);
      const name = semi > i && semi - i <= 10 ? html.slice(i + 1, semi) : '';
      const decoded = decodeEntity(name);
      if (decoded !== undefined) {
        out += decoded;
        i = semi + 1;
      } else {
        out += ch;
        i++;
      }
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Where `</name` starts at or after `from` (any case), or the end of the text. */
function findCloseTag(html: string, name: string, from: number): number {
  let at = html.indexOf('</', from);
  while (at >= 0) {
    if (html.slice(at + 2, at + 2 + name.length).toLowerCase() === name) return at;
    at = html.indexOf('</', at + 2);
  }
  return html.length;
}

function decodeEntity(name: string): string | undefined {
  if (name === '') return undefined;
  const named = ENTITIES.get(name.toLowerCase());
  if (named !== undefined) return named;
  if (name[0] !== '#') return undefined;
  const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
  if (!Number.isInteger(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
  return String.fromCodePoint(code);
}
