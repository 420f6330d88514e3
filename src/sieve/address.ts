/*
 * Addresses for the address and envelope tests: the addr-specs in header
 * values and their parts.
 *
 * Exports: extractAddresses, addressPart.
 * Security: header values are untrusted; one linear pass per value, the
 * number of addresses taken from one value is capped.
 * Standards: RFC 5322 section 3.4 (address-list, groups, comments, quoted
 * local parts), RFC 5228 2.7.4 (:localpart, :domain, :all), RFC 5233
 * (:user, :detail with "+" as the separator). Deviation: text that is not a
 * well-formed address is still offered as one (its local part is the text),
 * as RFC 5228 2.7.4 allows for syntactically invalid addresses.
 */

import { MAX_ADDRESSES_PER_VALUE } from './limits.js';

/** The addr-specs (local@domain, no angle brackets) in an address-list header value. */
export function extractAddresses(value: string): string[] {
  const out: string[] = [];
  let phrase = '';
  let angle: string | null = null;
  let inAngle = false;
  let depth = 0;
  let quoted = false;
  const flush = () => {
    let a: string;
    if (angle !== null) a = angle.trim().replace(/^@[^:]*:/, ''); // drop an obsolete source route
    else {
      const t = phrase.trim();
      // words without "@" and with spaces are a display phrase, not an address
      a = /\s/.test(t) && !t.includes('@') ? '' : stripUnquotedSpace(t);
    }
    if (a !== '' && out.length < MAX_ADDRESSES_PER_VALUE) out.push(a);
    phrase = '';
    angle = null;
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < value.length) {
        const pair = c + value[++i];
        if (inAngle) angle += pair;
        else phrase += pair;
        continue;
      }
      if (c === '"') quoted = false;
      if (inAngle) angle += c;
      else phrase += c;
      continue;
    }
    if (depth > 0) {
      if (c === '\\') i++;
      else if (c === '(') depth++;
      else if (c === ')') depth--;
      continue;
    }
    if (c === '(') {
      depth = 1;
    } else if (c === '"') {
      quoted = true;
      if (inAngle) angle += c;
      else phrase += c;
    } else if (inAngle) {
      if (c === '>') inAngle = false;
      else angle += c;
    } else if (c === '<') {
      inAngle = true;
      angle = '';
    } else if (c === ':' && angle === null) {
      phrase = ''; // group display name: "undisclosed-recipients: a@b, c@d;"
    } else if (c === ',' || c === ';') {
      flush();
    } else if (angle === null) {
      phrase += c;
    }
  }
  flush();
  return out;
}

/** Remove white space outside quoted strings (linear, unlike a look-ahead regex). */
function stripUnquotedSpace(t: string): string {
  let out = '';
  let q = false;
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (c === '"') q = !q;
    else if (q && c === '\\' && i + 1 < t.length) {
      out += c + t[++i];
      continue;
    } else if (!q && (c === ' ' || c === '\t' || c === '\r' || c === '\n')) continue;
    out += c;
  }
  return out;
}

function splitAt(addr: string): { local: string; domain: string } {
  const at = addr.lastIndexOf('@');
  if (at < 0) return { local: addr, domain: '' };
  return { local: addr.slice(0, at), domain: addr.slice(at + 1) };
}

/** The requested part, or null when it does not exist (:detail without a separator). */
export function addressPart(addr: string, part: string): string | null {
  if (addr === '') return part === 'detail' ? null : '';
  const { local, domain } = splitAt(addr);
  switch (part) {
    case 'localpart':
      return local;
    case 'domain':
      return domain;
    case 'user': {
      const p = local.indexOf('+');
      return p < 0 ? local : local.slice(0, p);
    }
    case 'detail': {
      const p = local.indexOf('+');
      return p < 0 ? null : local.slice(p + 1);
    }
    default:
      return addr;
  }
}
