/*
 * Parsers for the MIME structured header fields: Content-Type and
 * Content-Disposition (a value and parameters), Content-Transfer-Encoding
 * and Content-Language.
 *
 * Exports: StructuredValue, parseStructuredValue, parseContentType,
 * parseDisposition, parseEncoding, parseLanguageList.
 * Security: reads untrusted header values. One pass per value; parameter
 * names are keys of a Map, never of a plain object; nothing throws.
 * Standards: RFC 2045 section 5.1 (syntax, tokens, quoted strings, comments),
 * RFC 2231 (continuations, charset and language), RFC 2183 (disposition),
 * RFC 3282 (language). Deviations, as most readers do: an unquoted value
 * runs to the next `;` or whitespace, so `name=a(1).pdf` keeps its
 * parentheses; a parameter given twice keeps its first value, except that
 * an RFC 2231 value wins over a plain one of the same name; a parameter
 * without `=` is dropped; RFC 2047 encoded words in values are left as
 * they are.
 */
import { decode as decodeCharset } from 'libmime/lib/charset.js';
import { isUtf8 } from 'node:buffer';

export interface StructuredValue {
  /** The value before the first `;`, comments removed, whitespace removed around `/` and made one space elsewhere. */
  value: string;
  params: [string, string][];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** `value; name=value; ...` with RFC 2231 parameters assembled and decoded. */
export function parseStructuredValue(input: string): StructuredValue {
  const raw: [string, string, boolean][] = [];
  const len = input.length;
  let pos = 0;
  let value = '';
  // the leading value, up to the first ';' outside a comment; CFWS may stand around the '/'
  // but not inside a token, where it is kept as one space so the token check fails
  let gap = false;
  while (pos < len) {
    const ch = input[pos] as string;
    if (ch === ';') break;
    if (ch === '(') {
      pos = skipComment(input, pos);
      gap = true;
    } else {
      if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') gap = true;
      else {
        if (gap && value !== '' && ch !== '/' && !value.endsWith('/')) value += ' ';
        value += ch;
        gap = false;
      }
      pos++;
    }
  }
  while (pos < len) {
    pos++; // the ';'
    pos = skipCfws(input, pos);
    let name = '';
    while (pos < len) {
      const ch = input[pos] as string;
      if (ch === '=' || ch === ';' || ch === ' ' || ch === '\t' || ch === '(' || ch === '"') break;
      name += ch;
      pos++;
    }
    pos = skipCfws(input, pos);
    if (input[pos] === '=' && name !== '') {
      pos = skipCfws(input, pos + 1);
      let val = '';
      let quoted = false;
      if (input[pos] === '"') {
        quoted = true;
        pos++;
        while (pos < len && input[pos] !== '"') {
          if (input[pos] === '\\' && pos + 1 < len) pos++;
          val += input[pos];
          pos++;
        }
        pos++;
      } else {
        while (pos < len) {
          const ch = input[pos] as string;
          if (ch === ';' || ch === ' ' || ch === '\t') break;
          val += ch;
          pos++;
        }
      }
      raw.push([name.toLowerCase(), val, quoted]);
    }
    // anything else up to the next ';' is junk (or a comment)
    while (pos < len && input[pos] !== ';') {
      if (input[pos] === '(') pos = skipComment(input, pos);
      else pos++;
    }
  }
  return { value, params: assembleParams(raw) };
}

/** Skips a comment starting at `pos` (an open parenthesis), nested ones and escapes included; an unclosed one runs to the end. */
function skipComment(input: string, pos: number): number {
  let depth = 0;
  const len = input.length;
  while (pos < len) {
    const ch = input[pos];
    if (ch === '\\') pos += 2;
    else {
      if (ch === '(') depth++;
      else if (ch === ')' && --depth === 0) return pos + 1;
      pos++;
    }
  }
  return len;
}

function skipCfws(input: string, pos: number): number {
  const len = input.length;
  while (pos < len) {
    const ch = input[pos];
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') pos++;
    else if (ch === '(') pos = skipComment(input, pos);
    else break;
  }
  return pos;
}

interface Segment {
  index: number;
  extended: boolean;
  value: string;
}

interface Pending {
  plain: string | undefined;
  segments: Segment[];
}

/** Joins RFC 2231 sections (`name*0*=`, `name*1=`), decodes `charset'lang'%xx` values, keeps first-appearance order. */
function assembleParams(raw: [string, string, boolean][]): [string, string][] {
  const byName = new Map<string, Pending>();
  for (const [fullName, value, quoted] of raw) {
    let name = fullName;
    let extended = false;
    let index = -1;
    if (name.endsWith('*') && !quoted) {
      extended = true;
      name = name.slice(0, -1);
    }
    const star = name.lastIndexOf('*');
    if (star > 0) {
      const digits = name.slice(star + 1);
      if (/^\d{1,6}$/.test(digits)) {
        index = Number(digits);
        name = name.slice(0, star);
      }
    }
    let entry = byName.get(name);
    if (entry === undefined) {
      entry = { plain: undefined, segments: [] };
      byName.set(name, entry);
    }
    if (index < 0 && !extended) {
      if (entry.plain === undefined) entry.plain = value;
    } else {
      entry.segments.push({ index: index < 0 ? 0 : index, extended, value });
    }
  }
  const out: [string, string][] = [];
  for (const [name, entry] of byName) {
    if (entry.segments.length > 0) out.push([name, decodeSegments(entry.segments)]);
    else if (entry.plain !== undefined) out.push([name, entry.plain]);
  }
  return out;
}

function decodeSegments(segments: Segment[]): string {
  const sorted = segments.slice().sort((a, b) => a.index - b.index);
  let charset: string | undefined;
  const chunks: Buffer[] = [];
  let lastIndex = -1;
  for (const seg of sorted) {
    if (seg.index === lastIndex) continue; // a section given twice keeps its first value
    lastIndex = seg.index;
    let text = seg.value;
    if (seg.extended && chunks.length === 0 && charset === undefined) {
      const q1 = text.indexOf("'");
      const q2 = q1 < 0 ? -1 : text.indexOf("'", q1 + 1);
      if (q2 >= 0) {
        charset = text.slice(0, q1).trim() || undefined;
        text = text.slice(q2 + 1);
      }
    }
    chunks.push(seg.extended ? percentDecode(text) : Buffer.from(text, 'utf8'));
  }
  const bytes = Buffer.concat(chunks);
  if (charset !== undefined) {
    try {
      return decodeCharset(bytes, charset);
    } catch {
      // an unknown charset: fall through to the guess below
    }
  }
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
}

function percentDecode(text: string): Buffer {
  const bytes: number[] = [];
  const len = text.length;
  for (let i = 0; i < len; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25 && i + 2 < len && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (code < 0x80) {
      bytes.push(code);
    } else {
      for (const b of Buffer.from(text[i] as string, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes);
}

function isHex(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

/** Content-Type: lower-cased type and subtype, or null when the value is not `token/token` (the caller applies the default). */
export function parseContentType(input: string): { type: string; subtype: string; params: [string, string][] } | null {
  const parsed = parseStructuredValue(input);
  const slash = parsed.value.indexOf('/');
  if (slash < 0) return null;
  const type = parsed.value.slice(0, slash).toLowerCase();
  const subtype = parsed.value.slice(slash + 1).toLowerCase();
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) return null;
  return { type, subtype, params: parsed.params };
}

/** Content-Disposition: lower-cased type and parameters, or null when there is no type. */
export function parseDisposition(input: string): { type: string; params: [string, string][] } | null {
  const parsed = parseStructuredValue(input);
  if (parsed.value === '') return null;
  return { type: parsed.value.toLowerCase(), params: parsed.params };
}

/** Content-Transfer-Encoding: the mechanism, lower-cased, or null when empty. */
export function parseEncoding(input: string): string | null {
  const value = parseStructuredValue(input).value.toLowerCase();
  return value === '' ? null : value;
}

/** Content-Language: the language tags, or null when there are none. */
export function parseLanguageList(input: string): string[] | null {
  const tags: string[] = [];
  let current = '';
  const len = input.length;
  let pos = 0;
  while (pos <= len) {
    const ch = input[pos];
    if (ch === undefined || ch === ',') {
      if (current !== '') tags.push(current);
      current = '';
      pos++;
    } else if (ch === '(') {
      pos = skipComment(input, pos);
    } else {
      if (ch !== ' ' && ch !== '\t' && ch !== '\r' && ch !== '\n') current += ch;
      pos++;
    }
  }
  return tags.length > 0 ? tags : null;
}
