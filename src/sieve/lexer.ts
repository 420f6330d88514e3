/*
 * Sieve lexer: source text to tokens with 1-based line and column.
 *
 * Exports: lex, Token, TokenKind, SieveSyntaxError, describeToken.
 * Security: the source is untrusted; the lexer is a single linear pass, never
 * recurses, and stops at the first error with a fixed-form message.
 * Standards: RFC 5228 section 8.1 (comments, identifiers, tags, numbers with
 * K/M/G, quoted strings, multi-line strings with dot-stuffing). Deviations:
 * a bare LF is accepted wherever CRLF is (scripts uploaded from Unix editors
 * use it) and a line ending inside a string becomes CRLF; a hash comment may
 * end at the end of the script without a line break; a leading byte order
 * mark is skipped.
 */

export type TokenKind =
  | 'identifier'
  | 'tag'
  | 'number'
  | 'string'
  | '['
  | ']'
  | '('
  | ')'
  | '{'
  | '}'
  | ';'
  | ','
  | 'eof';

export interface Token {
  kind: TokenKind;
  line: number;
  column: number;
  /** identifier: as written; tag: without the colon; string: the decoded text (escapes and dot-stuffing removed). */
  text: string;
  /** number: the value with its quantifier applied. */
  value: number;
  /** string: true for text: strings. */
  multiline: boolean;
}

export class SieveSyntaxError extends Error {
  override readonly name = 'SieveSyntaxError';
  constructor(
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(message);
  }
}

/** How a token is named in "found ..." parts of messages. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'the end of the script';
    case 'identifier':
      return `'${clip(t.text)}'`;
    case 'tag':
      return `':${clip(t.text)}'`;
    case 'number':
      return `the number ${t.value}`;
    case 'string':
      return t.multiline ? 'a text: string' : `the string "${clip(t.text)}"`;
    default:
      return `'${t.kind}'`;
  }
}

function clip(s: string): string {
  const safe = s.replace(/[^\x20-\x7e]/g, '?');
  return safe.length > 40 ? safe.slice(0, 40) + '...' : safe;
}

const QUANT: Record<string, number> = { K: 1024, M: 1024 * 1024, G: 1024 * 1024 * 1024 };

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Tokenise the whole script; throws SieveSyntaxError (caught by compile) on the first bad token. */
export function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = src.length;

  const col = (at: number) => at - lineStart + 1;
  const fail = (at: number, l: number, msg: string): never => {
    throw new SieveSyntaxError(l, at - lineStart + 1, msg);
  };
  /** Consume a line break at i (CRLF or LF); returns false when there is none. */
  const newline = (): boolean => {
    if (src.charCodeAt(i) === 0x0d && src.charCodeAt(i + 1) === 0x0a) i += 2;
    else if (src.charCodeAt(i) === 0x0a) i += 1;
    else return false;
    line++;
    lineStart = i;
    return true;
  };
  const push = (kind: TokenKind, l: number, c: number, text = '', value = 0, multiline = false) => {
    out.push({ kind, line: l, column: c, text, value, multiline });
  };

  // A UTF-8 byte order mark some editors write is not part of the script.
  if (src.charCodeAt(0) === 0xfeff) {
    i = 1;
    lineStart = 1;
  }
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 0x20 || c === 0x09) {
      i++;
      continue;
    }
    if (c === 0x0d || c === 0x0a) {
      if (!newline()) fail(i, line, 'a carriage return must be followed by a line feed');
      continue;
    }
    if (c === 0x23) {
      // hash comment to the end of the line
      while (i < n && src.charCodeAt(i) !== 0x0a && src.charCodeAt(i) !== 0x0d) i++;
      continue;
    }
    if (c === 0x2f && src.charCodeAt(i + 1) === 0x2a) {
      const l = line;
      const at = i;
      const startCol = col(at);
      i += 2;
      for (;;) {
        if (i >= n) throw new SieveSyntaxError(l, startCol, "unterminated bracket comment: expected '*/' before the end of the script");
        const d = src.charCodeAt(i);
        if (d === 0x2a && src.charCodeAt(i + 1) === 0x2f) {
          i += 2;
          break;
        }
        if (d === 0x0d || d === 0x0a) {
          if (!newline()) i++;
        } else i++;
      }
      continue;
    }
    const l = line;
    const c0 = col(i);
    if (isAlpha(c) || c === 0x5f) {
      const s = i;
      while (i < n && (isAlpha(src.charCodeAt(i)) || isDigit(src.charCodeAt(i)) || src.charCodeAt(i) === 0x5f)) i++;
      const word = src.slice(s, i);
      if (word.toLowerCase() === 'text' && src.charCodeAt(i) === 0x3a) {
        i++;
        push('string', l, c0, readMultiline(), 0, true);
        continue;
      }
      push('identifier', l, c0, word);
      continue;
    }
    if (c === 0x3a) {
      const s = ++i;
      if (!(isAlpha(src.charCodeAt(i)) || src.charCodeAt(i) === 0x5f)) fail(s - 1, l, "expected a tag name after ':'");
      while (i < n && (isAlpha(src.charCodeAt(i)) || isDigit(src.charCodeAt(i)) || src.charCodeAt(i) === 0x5f)) i++;
      push('tag', l, c0, src.slice(s, i));
      continue;
    }
    if (isDigit(c)) {
      const s = i;
      while (i < n && isDigit(src.charCodeAt(i))) i++;
      let v = Number(src.slice(s, i));
      const q = src[i]?.toUpperCase();
      if (q !== undefined && QUANT[q] !== undefined) {
        v *= QUANT[q]!;
        i++;
      }
      if (i < n && (isAlpha(src.charCodeAt(i)) || src.charCodeAt(i) === 0x5f)) fail(i, l, 'expected a number (digits with an optional K, M or G)');
      if (!Number.isSafeInteger(v)) fail(s, l, 'number too large');
      push('number', l, c0, src.slice(s, i), v);
      continue;
    }
    if (c === 0x22) {
      i++;
      let text = '';
      let seg = i;
      for (;;) {
        if (i >= n) throw new SieveSyntaxError(l, c0, 'unterminated quoted string: expected \'"\' before the end of the script');
        const d = src.charCodeAt(i);
        if (d === 0x22) {
          text += src.slice(seg, i);
          i++;
          break;
        }
        if (d === 0x5c) {
          text += src.slice(seg, i);
          if (i + 1 >= n) {
            i = n; // reported as unterminated on the next turn
            continue;
          }
          // RFC 5228 2.4.2: "\" followed by any character is that character.
          const e = src.charCodeAt(i + 1);
          if (e === 0x0d || e === 0x0a) {
            i++;
            newline();
            text += '\r\n';
          } else {
            text += src[i + 1];
            i += 2;
          }
          seg = i;
          continue;
        }
        if (d === 0x0d || d === 0x0a) {
          text += src.slice(seg, i);
          if (!newline()) fail(i, line, 'a carriage return must be followed by a line feed');
          text += '\r\n';
          seg = i;
          continue;
        }
        i++;
      }
      push('string', l, c0, text);
      continue;
    }
    const single = '[](){};,';
    const ch = src[i]!;
    if (single.includes(ch)) {
      i++;
      push(ch as TokenKind, l, c0);
      continue;
    }
    const shown = c >= 0x21 && c <= 0x7e ? `'${ch}'` : `character U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
    fail(i, l, `unexpected ${shown}: expected a command, an argument or a comment`);
  }
  push('eof', line, col(i));
  return out;

  /** After "text:": optional blanks, then a hash comment or a line break, then lines up to a lone ".". */
  function readMultiline(): string {
    const l = line;
    while (src.charCodeAt(i) === 0x20 || src.charCodeAt(i) === 0x09) i++;
    if (src.charCodeAt(i) === 0x23) while (i < n && src.charCodeAt(i) !== 0x0a && src.charCodeAt(i) !== 0x0d) i++;
    if (!newline()) fail(i, line, "expected a line break after 'text:'");
    const lines: string[] = [];
    for (;;) {
      if (i >= n) throw new SieveSyntaxError(l, 1, "unterminated text: string: expected a line with a single '.' before the end of the script");
      let e = i;
      while (e < n && src.charCodeAt(e) !== 0x0a && src.charCodeAt(e) !== 0x0d) e++;
      const content = src.slice(i, e);
      i = e;
      const ended = newline() || i >= n;
      if (!ended) fail(i, line, 'a carriage return must be followed by a line feed');
      if (content === '.') break;
      lines.push(content.startsWith('.') ? content.slice(1) : content);
    }
    return lines.map((s) => s + '\r\n').join('');
  }
}
