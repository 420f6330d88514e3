/*
 * The Authentication-Results header field (RFC 8601) the sender-auth
 * filter adds: one field under our authserv-id, one resinfo per method,
 * in the order spf, dkim (one per signature), dmarc, arc, each on its own
 * folded line:
 *
 *   Authentication-Results: mx.example.net;
 *    spf=pass smtp.mailfrom=alice@example.org;
 *    dkim=pass header.d=example.org header.s=s2026 header.b=AbCdEfGh;
 *    dmarc=pass (p=reject dis=none) header.from=example.org;
 *    arc=none
 *
 * or `Authentication-Results: mx.example.net; none` when nothing was
 * checked (a trusted client, an authenticated user).
 *
 * Property values are written as RFC 8601's pvalue allows: a token, a
 * domain name or local-part@domain as they are, anything else as a
 * quoted-string with \ and " escaped; comments have \, ( and ) escaped
 * and ";" made "," (so the resinfos can be found by splitting on ";").
 * Control characters never reach the header. Lines longer than 78
 * characters are folded at a space (RFC 5322 section 2.2.3: unfolding
 * gives the same value back).
 *
 * Exports: authenticationResults, noAuthenticationResults, pvalue,
 * comment, AuthResultsInput.
 * Security: values come from envelopes and messages (sender-chosen); they
 * are quoted or escaped here so none can end the field, add a property or
 * a method, or a header field.
 * Standards: RFC 8601 sections 2.2 (syntax), 2.3 (no result), 2.7 (result
 * values); RFC 2045 section 5.1 (token); RFC 7208 section 9.1 (smtp.mailfrom,
 * smtp.helo); RFC 6008 (header.b); RFC 7489 section 11.2 (header.from).
 */
import { MAX_COMMENT_CHARS } from './limits.js';

export interface AuthResultsInput {
  authservId: string;
  /** The SPF result and the identity checked: the MAIL FROM address, or the HELO name for the null sender. */
  spf?: { result: string; identity: 'mailfrom' | 'helo'; value: string };
  /** One per signature; empty: "dkim=none". */
  dkim: { result: string; domain: string; selector: string; b: string; comment?: string }[];
  dmarc?: { result: string; from?: string; comment?: string };
  arc?: { result: string; comment?: string };
}

/** RFC 2045 token: printable US-ASCII but tspecials and space. */
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
/** A domain name as DNS writes it (A-labels, digits, hyphens, underscores for _domainkey-like labels). */
const DOMAIN = '[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*';
/** local-part as dot-atom (RFC 5322 atext, RFC 6532 UTF-8 too), @, domain. */
const ADDRESS = new RegExp(`^(?:[A-Za-z0-9!#$%&'*+/=?^_\`{|}~\\u0080-\\uFFFF-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_\`{|}~\\u0080-\\uFFFF-]+)*)?@${DOMAIN}$`);
const DOMAIN_ONLY = new RegExp(`^${DOMAIN}$`);

// Control characters (and DEL) never go into a header.
const CONTROLS = /[\u0000-\u001f\u007f]+/g;

/** A property value, as RFC 8601's pvalue: bare when it may be, else a quoted-string. */
export function pvalue(value: string): string {
  const v = value.replace(CONTROLS, ' ').trim();
  if (TOKEN.test(v) || ADDRESS.test(v) || DOMAIN_ONLY.test(v)) return v;
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A comment, "(...)", its text cut to MAX_COMMENT_CHARS and escaped; ';' becomes ',' so a reader splitting on ';' finds our resinfos. */
export function comment(text: string): string {
  const v = text.replace(CONTROLS, ' ').replace(/;/g, ',').replace(/\s+/g, ' ').trim().slice(0, MAX_COMMENT_CHARS);
  return `(${v.replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

function resinfo(method: string, result: string, note: string | undefined, props: [string, string | undefined][]): string {
  const parts = [`${method}=${result}`];
  if (note) parts.push(comment(note));
  for (const [name, value] of props) if (value) parts.push(`${name}=${pvalue(value)}`);
  return parts.join(' ');
}

/** Folds one resinfo line (" method=..."): a line break before a space wherever the line would pass 78 characters. */
function fold(line: string): string {
  const words = line.slice(1).split(' ');
  const out: string[] = [];
  let current = ` ${words[0]}`;
  for (const word of words.slice(1)) {
    if (current.length + 1 + word.length > 78) {
      out.push(current);
      current = ` ${word}`;
    } else current += ` ${word}`;
  }
  out.push(current);
  return out.join('\r\n');
}

/** The whole field, "Authentication-Results: ...", folded, without the final CRLF. */
export function authenticationResults(input: AuthResultsInput): string {
  const methods: string[] = [];
  if (input.spf) {
    const prop = input.spf.identity === 'helo' ? 'smtp.helo' : 'smtp.mailfrom';
    methods.push(resinfo('spf', input.spf.result, undefined, [[prop, input.spf.value]]));
  }
  if (input.dkim.length === 0) methods.push('dkim=none');
  for (const d of input.dkim) methods.push(resinfo('dkim', d.result, d.comment, [['header.d', d.domain], ['header.s', d.selector], ['header.b', d.b]]));
  if (input.dmarc) methods.push(resinfo('dmarc', input.dmarc.result, input.dmarc.comment, [['header.from', input.dmarc.from]]));
  if (input.arc) methods.push(resinfo('arc', input.arc.result, input.arc.comment, []));
  const lines = [`Authentication-Results: ${input.authservId};`, ...methods.map((m, i) => fold(` ${m}${i < methods.length - 1 ? ';' : ''}`))];
  return lines.join('\r\n');
}

/** The field saying nothing was checked (RFC 8601 section 2.3). */
export function noAuthenticationResults(authservId: string): string {
  return `Authentication-Results: ${authservId}; none`;
}
