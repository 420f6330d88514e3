/*
 * The variables extension's string rules: variable names, `${...}`
 * substitution and the `set` modifiers.
 *
 * Exports: isVariableName, isSettableName, hasVariableReference, expandVariables, applyModifiers.
 * Security: expansion is one linear pass and never re-expands a substituted
 * value (RFC 5229 section 3), so a value cannot grow by self-reference;
 * results are capped at MAX_VARIABLE_SIZE.
 * Standards: RFC 5229 sections 3 and 4, RFC 5435 section 6 (:encodeurl),
 * draft-ietf-sieve-regex (:quoteregex).
 */
import { MAX_MATCH_VARIABLES, MAX_VARIABLE_NAME, MAX_VARIABLE_SIZE } from './limits.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUM = /^[0-9]+$/;

/** A name valid inside `${...}`: identifier with optional namespace parts, or a match variable number. */
export function isVariableName(s: string): boolean {
  return s.length <= MAX_VARIABLE_NAME && (NAME.test(s) || NUM.test(s));
}

/** A name `set` may assign: a plain identifier, or "global.x" (RFC 6609 section 3.5). */
export function isSettableName(s: string): boolean {
  if (s.length > MAX_VARIABLE_NAME) return false;
  if (IDENT.test(s)) return true;
  const m = /^global\.([A-Za-z_][A-Za-z0-9_]*)$/i.exec(s);
  return m !== null;
}

export function hasVariableReference(s: string): boolean {
  return s.includes('${');
}

/**
 * Substitute `${name}` references. lookup returns undefined for a name that
 * is not a known variable (it expands to the empty string) and null for a
 * namespace we do not know (the reference stays as written).
 */
export function expandVariables(s: string, lookup: (lowerName: string) => string | undefined | null): string {
  if (!s.includes('${')) return s;
  let out = '';
  let i = 0;
  for (;;) {
    const at = s.indexOf('${', i);
    if (at < 0) break;
    const end = s.indexOf('}', at + 2);
    if (end < 0) break;
    const name = s.slice(at + 2, end);
    if (!isVariableName(name)) {
      out += s.slice(i, at + 2);
      i = at + 2;
      continue;
    }
    let key = name.toLowerCase();
    if (NUM.test(key)) {
      const n = Number(key);
      key = n < MAX_MATCH_VARIABLES ? String(n) : '';
    }
    const v = key === '' ? '' : lookup(key);
    if (v === null) {
      out += s.slice(i, end + 1);
    } else {
      out += s.slice(i, at) + (v ?? '');
    }
    i = end + 1;
    if (out.length > MAX_VARIABLE_SIZE) return out.slice(0, MAX_VARIABLE_SIZE);
  }
  out += s.slice(i);
  return out.length > MAX_VARIABLE_SIZE ? out.slice(0, MAX_VARIABLE_SIZE) : out;
}

/** Apply modifiers in RFC 5229 precedence order (largest first). Names without the colon. */
export function applyModifiers(value: string, modifiers: readonly string[]): string {
  const order = ['lower', 'upper', 'lowerfirst', 'upperfirst', 'quotewildcard', 'quoteregex', 'encodeurl', 'length'];
  let v = value;
  for (const m of order) {
    if (!modifiers.includes(m)) continue;
    switch (m) {
      case 'lower':
        v = v.toLowerCase();
        break;
      case 'upper':
        v = v.toUpperCase();
        break;
      case 'lowerfirst':
        v = v.slice(0, 1).toLowerCase() + v.slice(1);
        break;
      case 'upperfirst':
        v = v.slice(0, 1).toUpperCase() + v.slice(1);
        break;
      case 'quotewildcard':
        v = v.replace(/[*?\\]/g, '\\$&');
        break;
      case 'quoteregex':
        v = v.replace(/[\\^$.[\]|()?*+{}]/g, '\\$&');
        break;
      case 'encodeurl':
        // RFC 5435 6: percent-encode everything but RFC 3986 unreserved characters.
        v = Array.from(new TextEncoder().encode(v))
          .map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0')))
          .join('');
        break;
      case 'length':
        v = String([...v].length);
        break;
    }
  }
  return v;
}
