/*
 * RFC 5322 address lists, read into IMAP ENVELOPE addresses.
 *
 * Exports: parseAddressList, MISSING_MAILBOX, MISSING_DOMAIN.
 * Security: reads untrusted header values; one pass to tokens and one over
 * the tokens, no regular expressions, never throws.
 * Standards: RFC 5322 section 3.4 (address, mailbox, group, angle-addr,
 * quoted strings, comments) and section 4.4 (obsolete routes `<@a,@b:x@y>`,
 * CFWS around dots, empty list members); RFC 3501/9051 section 7.5.2 (the
 * ENVELOPE address structure and its group markers); RFC 6532 (UTF-8).
 * Choices: values are raw, not RFC 2047 decoded, as ENVELOPE wants them.
 * A display name comes from its phrase with quotes and escapes removed and
 * whitespace collapsed; a comment is never a name. A local part keeps its
 * quoted strings as written, so `mailbox@host` is again a valid address.
 * An address without `@` gets host MISSING_DOMAIN (host null would mean a
 * group); an angle-addr with a name but no address gets MISSING_MAILBOX and
 * MISSING_DOMAIN; these are the placeholders IMAP clients already know.
 */
import type { EnvelopeAddress } from './types.js';

export const MISSING_MAILBOX = 'MISSING_MAILBOX';
export const MISSING_DOMAIN = 'MISSING_DOMAIN';

type TokenKind = 'atom' | 'quoted' | 'literal' | 'special';

interface Token {
  kind: TokenKind;
  /** As written (quoted strings with their quotes). */
  raw: string;
  /** Quoted strings unescaped, without quotes; otherwise the same as raw. */
  text: string;
  /** Whitespace or a comment came before it. */
  spaced: boolean;
}

const SPECIALS = '()<>[]:;@\\,."';

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  const len = input.length;
  let pos = 0;
  let spaced = false;
  while (pos < len) {
    const ch = input[pos] as string;
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      spaced = true;
      pos++;
    } else if (ch === '(') {
      let depth = 0;
      while (pos < len) {
        const c = input[pos];
        if (c === '\\') pos += 2;
        else {
          if (c === '(') depth++;
          else if (c === ')' && --depth === 0) {
            pos++;
            break;
          }
          pos++;
        }
      }
      spaced = true;
    } else if (ch === '"') {
      let text = '';
      let end = pos + 1;
      while (end < len && input[end] !== '"') {
        if (input[end] === '\\' && end + 1 < len) end++;
        text += input[end];
        end++;
      }
      const close = Math.min(end + 1, len);
      tokens.push({ kind: 'quoted', raw: input.slice(pos, close) + (end >= len ? '"' : ''), text, spaced });
      spaced = false;
      pos = close;
    } else if (ch === '[') {
      let end = pos + 1;
      while (end < len && input[end] !== ']') end += input[end] === '\\' ? 2 : 1;
      const close = Math.min(end + 1, len);
      const raw = input.slice(pos, close) + (end >= len ? ']' : '');
      tokens.push({ kind: 'literal', raw, text: raw, spaced });
      spaced = false;
      pos = close;
    } else if (ch === ')' || ch === ']' || ch === '\\') {
      pos++; // stray: not meaningful outside a comment, quoted string or literal
      spaced = true;
    } else if (SPECIALS.includes(ch)) {
      tokens.push({ kind: 'special', raw: ch, text: ch, spaced });
      spaced = false;
      pos++;
    } else {
      let end = pos + 1;
      while (end < len && !isAtomEnd(input[end] as string)) end++;
      const raw = input.slice(pos, end);
      tokens.push({ kind: 'atom', raw, text: raw, spaced });
      spaced = false;
      pos = end;
    }
  }
  return tokens;
}

function isAtomEnd(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n' || SPECIALS.includes(ch);
}

function isSpecial(token: Token | undefined, ch: string): boolean {
  return token !== undefined && token.kind === 'special' && token.raw === ch;
}

/** A display name or group name: quoted strings unquoted, whitespace runs made one space. */
function phrase(tokens: Token[], from: number, to: number): string | null {
  let out = '';
  for (let i = from; i < to; i++) {
    const token = tokens[i] as Token;
    if (out !== '' && token.spaced) out += ' ';
    out += token.text;
  }
  out = out.trim();
  return out === '' ? null : out;
}

/** Joins tokens with comments and whitespace dropped (local parts, domains, routes). */
function joined(tokens: Token[], from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) out += (tokens[i] as Token).raw;
  return out;
}

function addrSpec(tokens: Token[], from: number, to: number, name: string | null, adl: string | null): EnvelopeAddress | null {
  let at = -1;
  for (let i = to - 1; i >= from; i--) {
    if (isSpecial(tokens[i], '@')) {
      at = i;
      break;
    }
  }
  const local = at < 0 ? joined(tokens, from, to) : joined(tokens, from, at);
  const host = at < 0 ? '' : joined(tokens, at + 1, to);
  if (local === '' && host === '') {
    if (name === null) return null;
    return { name, adl, mailbox: MISSING_MAILBOX, host: MISSING_DOMAIN };
  }
  return { name, adl, mailbox: local === '' ? MISSING_MAILBOX : local, host: host === '' ? MISSING_DOMAIN : host };
}

/** Parses an address-list (also used for a single mailbox); null when it holds no address and no group. */
export function parseAddressList(input: string): EnvelopeAddress[] | null {
  const tokens = tokenize(input);
  const out: EnvelopeAddress[] = [];
  const n = tokens.length;
  let inGroup = false;
  let i = 0;
  while (i < n) {
    const start = i;
    while (i < n) {
      const t = tokens[i] as Token;
      if (t.kind === 'special' && (t.raw === '<' || t.raw === ',' || t.raw === ';' || (t.raw === ':' && !inGroup))) break;
      i++;
    }
    const stop = tokens[i];
    if (isSpecial(stop, ':')) {
      out.push({ name: null, adl: null, mailbox: phrase(tokens, start, i) ?? '', host: null });
      inGroup = true;
      i++;
      continue;
    }
    if (isSpecial(stop, '<')) {
      const name = phrase(tokens, start, i);
      i++;
      let adl: string | null = null;
      if (isSpecial(tokens[i], '@')) {
        // obsolete route: <@a,@b:mailbox@host>
        let colon = -1;
        for (let j = i; j < n; j++) {
          const t = tokens[j] as Token;
          if (isSpecial(t, ':')) {
            colon = j;
            break;
          }
          if (isSpecial(t, '>') || isSpecial(t, '<') || isSpecial(t, ';')) break;
        }
        if (colon >= 0) {
          adl = joined(tokens, i, colon) || null;
          i = colon + 1;
        }
      }
      const specStart = i;
      while (i < n) {
        const t = tokens[i] as Token;
        if (t.kind === 'special' && (t.raw === '>' || t.raw === ',' || t.raw === ';' || t.raw === '<')) break;
        i++;
      }
      const address = addrSpec(tokens, specStart, i, name, adl);
      if (address !== null) out.push(address);
      if (isSpecial(tokens[i], '>')) i++;
      // junk after the angle-addr, up to the end of this member
      while (i < n && !isSpecial(tokens[i], ',') && !isSpecial(tokens[i], ';')) i++;
    } else if (i > start) {
      const address = addrSpec(tokens, start, i, null, null);
      if (address !== null) out.push(address);
    }
    if (isSpecial(tokens[i], ';')) {
      if (inGroup) out.push({ name: null, adl: null, mailbox: null, host: null });
      inGroup = false;
    }
    i++;
  }
  if (inGroup) out.push({ name: null, adl: null, mailbox: null, host: null });
  return out.length > 0 ? out : null;
}
