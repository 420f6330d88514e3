/*
 * A pure parser of SPF records (RFC 7208) that says where each problem
 * is, for the doctor's D checks. Bytes of a TXT record in, terms with
 * their positions and every deviation from the grammar out; no DNS.
 *
 * - isSpfRecord: the record starts with "v=spf1" followed by a space or
 *   the end (case-insensitive, RFC 7208 4.5); the only records receivers
 *   look at. looksLikeSpf: a record that was meant to be one and is not
 *   (leading space, pasted quotes, "v=spf1mx", "v = spf1", "spf1 ...");
 *   repairVersion gives it the version it meant.
 * - Glued qualifiers: a term such as "include:spf.example.com-all" or
 *   "ip4:192.0.2.1~all", where the space before the next directive is
 *   missing, is found by splitting the term before a qualifier (+ - ~ ?)
 *   where both sides are valid terms. `glued` says where (1-based
 *   character position of the qualifier in the record, and the term's
 *   number); `terms` are the terms as they read with the space put back,
 *   which is what the other checks judge, so that one missing space is
 *   reported once, not as a bad include, a missing "all" and a failed
 *   check_host too.
 * - problems: grammar errors of the (repaired) terms, with positions:
 *   unknown mechanisms, bad ip4/ip6 networks and CIDR lengths, bad
 *   domain-specs and macros, a second redirect or exp, non-ASCII; and
 *   warnings: terms after "all" (never evaluated), a redirect beside
 *   "all" (ignored), unknown modifiers (ignored), tabs between terms.
 *
 * Exports: parseSpf, parseSpfTerm, isSpfRecord, looksLikeSpf,
 * repairVersion, isDnsTerm, ParsedSpf, SpfTerm, SpfGlue, SpfProblem,
 * SpfQualifier.
 * Security: parses zone-supplied text. The record (MAX_RECORD_OCTETS),
 * the terms (MAX_SPF_TERMS) and each term (MAX_SPF_TERM_OCTETS) are
 * bounded before any work; glue splitting tries only positions followed
 * by a mechanism name, at most once per position (memoised).
 * Standards: RFC 7208 sections 4.5 (record selection), 4.6.1 (term
 * syntax), 5 (mechanisms; 5.1 terms after "all" are ignored), 6
 * (modifiers: redirect and exp at most once; 6.1 redirect ignored when
 * "all" is present), 7.1 (macro syntax), 12 (ABNF: terms separated by
 * SP, toplabel, qnum, CIDR lengths without leading zeros).
 * Interpretations: tabs between terms are a warning, not a parse failure
 * (RFC 7208 allows only SP; common receivers split on any white space).
 */
import { isIPv6 } from 'node:net';
import { MAX_RECORD_OCTETS, MAX_SPF_TERM_OCTETS, MAX_SPF_TERMS } from './limits.js';

export type SpfQualifier = '+' | '-' | '~' | '?';

export interface SpfTerm {
  /** The term as written (for a glued term split in two, each part). */
  text: string;
  /** 1-based character position of the term's first character in the record. */
  position: number;
  /** 1-based number of the written term, "v=spf1" not counted (both parts of a split term have the same). */
  index: number;
  kind: 'mechanism' | 'modifier';
  /** Mechanisms: the qualifier, '+' when none is written. */
  qualifier: SpfQualifier;
  /** Lower case: all, include, a, mx, ptr, ip4, ip6, exists; redirect, exp or another modifier name. */
  name: string;
  /** The domain-spec, network or modifier value, when written. */
  value?: string;
  cidr4?: number;
  cidr6?: number;
  /** The domain-spec holds a macro (%{...}): it names no fixed domain. */
  macro: boolean;
  /** Why the term is not valid RFC 7208 syntax. */
  problem?: string;
}

export interface SpfGlue {
  /** 1-based character position in the record of the qualifier that has no space before it. */
  position: number;
  /** The written term's number. */
  index: number;
  /** The written term. */
  term: string;
  /** What it reads as with the spaces put back. */
  parts: string[];
}

export interface SpfProblem {
  severity: 'error' | 'warning';
  /** 1-based character position in the record (1 for the whole record). */
  position: number;
  /** The term's number, when the problem is in a term. */
  index?: number;
  message: string;
}

export interface ParsedSpf {
  record: string;
  /** Why the first term is not exactly "v=spf1" (case aside). */
  versionProblem?: string;
  /** The terms as they read with glued qualifiers split off. */
  terms: SpfTerm[];
  glued: SpfGlue[];
  problems: SpfProblem[];
  /** The first "all" mechanism; terms after it are never evaluated. */
  all?: SpfTerm;
  /** The redirect modifier (the first, when there are several). */
  redirect?: SpfTerm;
}

const MECHANISMS = new Set(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists']);
const DNS_TERMS = new Set(['include', 'a', 'mx', 'ptr', 'exists', 'redirect']);
const QUALIFIERS = '+-~?';
const QNUM = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IP4 = new RegExp(`^${QNUM}(?:\\.${QNUM}){3}$`);
const CIDR = /^(?:0|[1-9][0-9]{0,2})$/;
const MODIFIER = /^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$/s;
const MACRO_EXPAND = /^%\{[slodiphcrtv][0-9]*r?[.\-+,/_=]*\}/i;
const TOPLABEL = /^(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])$/;
/** A qualifier followed by a mechanism name and what may follow one: where a glued directive can start. */
const GLUE_START = /^[+\-~?](?:all|include|a|mx|ptr|ip4|ip6|exists)(?:$|[:/])/i;

/** The record is an SPF record receivers evaluate: "v=spf1" then a space or the end (RFC 7208 4.5). */
export function isSpfRecord(text: string): boolean {
  return /^v=spf1(?: |$)/i.test(text);
}

/** The record was meant as SPF but is not one receivers will read (D02); Sender ID's "v=spf2.0" is not counted. */
export function looksLikeSpf(text: string): boolean {
  if (isSpfRecord(text) || /^\W*v\s*=\s*spf2/i.test(text)) return false;
  return /^\W*v\s*=\s*spf/i.test(text) || /^\W*spf1\b/i.test(text);
}

/** The record as it was meant: quotes and spaces around it removed, the version written "v=spf1" and followed by a space. */
export function repairVersion(text: string): string {
  const inner = text.trim().replace(/^["'\u201c\u201d]+|["'\u201c\u201d]+$/g, '').trim();
  const m = /^(?:v\s*=\s*)?spf\s*1/i.exec(inner);
  if (!m) return inner;
  const rest = inner.slice(m[0].length);
  return `v=spf1${rest === '' || rest.startsWith(' ') ? '' : ' '}${rest}`;
}

/** Why the version term is wrong, for D02. */
function versionProblem(first: string, record: string): string | undefined {
  if (/^v=spf1$/i.test(first)) return undefined;
  if (/^\s/.test(record)) return 'the record starts with white space before "v=spf1"';
  if (/^["'\u201c\u201d]/.test(record)) return 'the record starts with a quote: the quotes were pasted into the value';
  if (/^v=spf1/i.test(first)) return `"${first}": the version "v=spf1" must be followed by a space`;
  return `"${first}" is not the version term "v=spf1"`;
}

/** Why s is not a domain-spec (RFC 7208 section 7.1 and 12), and whether it holds a macro. */
function domainSpec(s: string): { problem?: string; macro: boolean } {
  if (s === '') return { problem: 'an empty domain', macro: false };
  let macro = false;
  let endsWithMacro = false;
  for (let i = 0; i < s.length;) {
    const c = s.charCodeAt(i);
    endsWithMacro = false;
    if (s[i] === '%') {
      const expand = MACRO_EXPAND.exec(s.slice(i));
      if (expand) {
        macro = true;
        endsWithMacro = true;
        i += expand[0].length;
        continue;
      }
      if ('%_-'.includes(s[i + 1] ?? '\0') && i + 1 < s.length) {
        endsWithMacro = true;
        i += 2;
        continue;
      }
      return { problem: `a "%" that does not start a macro at "${s.slice(i, i + 8)}" (write %% for a literal %)`, macro };
    }
    if (c < 0x21 || c > 0x7e) return { problem: 'a character outside printable ASCII', macro };
    i++;
  }
  if (endsWithMacro) return { macro };
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  const dot = name.lastIndexOf('.');
  if (dot < 0) return { problem: `"${s}" is not a fully qualified domain name`, macro };
  const top = name.slice(dot + 1);
  if (!TOPLABEL.test(top)) return { problem: `"${s}" does not end in a valid top-level label ("${top}")`, macro };
  return { macro };
}

/** A CIDR length, or why it is wrong. */
function cidr(text: string | undefined, max: number): number | string | undefined {
  if (text === undefined) return undefined;
  if (!CIDR.test(text)) return `CIDR length "/${text}" (no leading zeros, digits only)`;
  const n = Number(text);
  return n > max ? `CIDR length /${n} is over /${max}` : n;
}

/** One term (no spaces) parsed; `problem` set when it is not valid syntax. */
export function parseSpfTerm(text: string, position = 1, index = 1): SpfTerm {
  const base = { text, position, index, macro: false } as const;
  if (text.length > MAX_SPF_TERM_OCTETS) return { ...base, kind: 'mechanism', qualifier: '+', name: '', problem: `a term longer than ${MAX_SPF_TERM_OCTETS} characters` };
  const modifier = MODIFIER.exec(text);
  if (modifier) {
    const name = modifier[1]!.toLowerCase();
    const value = modifier[2]!;
    const term: SpfTerm = { ...base, kind: 'modifier', qualifier: '+', name, value };
    if (name === 'redirect' || name === 'exp') {
      const spec = domainSpec(value);
      return { ...term, macro: spec.macro, ...(spec.problem ? { problem: `${name}=: ${spec.problem}` } : {}) };
    }
    if (/[^\x21-\x7e]/.test(value)) return { ...term, problem: `modifier ${name}=: a character outside printable ASCII` };
    return term;
  }
  const explicit = QUALIFIERS.includes(text[0] ?? '\0');
  const qualifier = (explicit ? text[0] : '+') as SpfQualifier;
  const body = explicit ? text.slice(1) : text;
  const nameEnd = body.search(/[:/]/);
  const name = (nameEnd < 0 ? body : body.slice(0, nameEnd)).toLowerCase();
  const rest = nameEnd < 0 ? '' : body.slice(nameEnd);
  const term: SpfTerm = { ...base, kind: 'mechanism', qualifier, name };
  const bad = (problem: string): SpfTerm => ({ ...term, problem });
  if (!MECHANISMS.has(name)) return bad(name === '' ? `"${text}" is not a mechanism` : `unknown mechanism "${name}"`);
  switch (name) {
    case 'all':
      return rest === '' ? term : bad('"all" takes no value');
    case 'include':
    case 'exists': {
      if (!rest.startsWith(':')) return bad(`"${name}" needs ":domain"`);
      const spec = domainSpec(rest.slice(1));
      return { ...term, value: rest.slice(1), macro: spec.macro, ...(spec.problem ? { problem: `${name}: ${spec.problem}` } : {}) };
    }
    case 'ptr': {
      if (rest === '') return term;
      if (!rest.startsWith(':')) return bad('"ptr" takes only ":domain"');
      const spec = domainSpec(rest.slice(1));
      return { ...term, value: rest.slice(1), macro: spec.macro, ...(spec.problem ? { problem: `ptr: ${spec.problem}` } : {}) };
    }
    case 'a':
    case 'mx': {
      const m = /^(?::(.*?))?(?:\/([^/]*))?(?:\/\/([^/]*))?$/s.exec(rest);
      if (!m) return bad(`"${name}${rest}": expected ${name}[:domain][/cidr4][//cidr6]`);
      const c4 = cidr(m[2], 32);
      const c6 = cidr(m[3], 128);
      if (typeof c4 === 'string') return bad(`${name}: ${c4}`);
      if (typeof c6 === 'string') return bad(`${name}: ${c6}`);
      const withCidr = { ...term, ...(c4 !== undefined ? { cidr4: c4 } : {}), ...(c6 !== undefined ? { cidr6: c6 } : {}) };
      if (m[1] === undefined) return withCidr;
      const spec = domainSpec(m[1]);
      return { ...withCidr, value: m[1], macro: spec.macro, ...(spec.problem ? { problem: `${name}: ${spec.problem}` } : {}) };
    }
    case 'ip4': {
      const m = /^:([^/]*)(?:\/(.*))?$/s.exec(rest);
      if (!m) return bad('"ip4" needs ":address"');
      if (!IP4.test(m[1]!)) return { ...bad(`ip4: "${m[1]}" is not an IPv4 address`), value: m[1]! };
      const c4 = cidr(m[2], 32);
      if (typeof c4 === 'string') return { ...bad(`ip4: ${c4}`), value: m[1]! };
      return { ...term, value: m[1]!, ...(c4 !== undefined ? { cidr4: c4 } : {}) };
    }
    default: {
      // ip6: the address has colons, so the network runs to the first "/".
      const m = /^:([^/]*)(?:\/(.*))?$/s.exec(rest);
      if (!m) return bad('"ip6" needs ":address"');
      if (!isIPv6(m[1]!) || m[1]!.includes('%')) return { ...bad(`ip6: "${m[1]}" is not an IPv6 address`), value: m[1]! };
      const c6 = cidr(m[2], 128);
      if (typeof c6 === 'string') return { ...bad(`ip6: ${c6}`), value: m[1]! };
      return { ...term, value: m[1]!, ...(c6 !== undefined ? { cidr6: c6 } : {}) };
    }
  }
}

/**
 * The term split before qualifiers that lack a space, when every part is
 * a valid term and each part after the first a mechanism; undefined when
 * the term is not glued. Offsets of the qualifiers come with the parts.
 */
function splitGlued(text: string): { parts: string[]; offsets: number[] } | undefined {
  const memo = new Map<number, { parts: string[]; offsets: number[] } | null>();
  // From `start` (a qualifier, or 0 for the written term's start): the parts to the end.
  const from = (start: number): { parts: string[]; offsets: number[] } | null => {
    const known = memo.get(start);
    if (known !== undefined) return known;
    let result: { parts: string[]; offsets: number[] } | null = null;
    for (let p = start + 1; p < text.length && result === null; p++) {
      if (!GLUE_START.test(text.slice(p, p + 9))) continue;
      const head = parseSpfTerm(text.slice(start, p));
      if (head.problem || (start > 0 && head.kind !== 'mechanism')) continue;
      const tail = parseSpfTerm(text.slice(p));
      if (!tail.problem && tail.kind === 'mechanism') result = { parts: [text.slice(start, p), text.slice(p)], offsets: [p] };
      else {
        const more = from(p);
        if (more) result = { parts: [text.slice(start, p), ...more.parts], offsets: [p, ...more.offsets] };
      }
    }
    memo.set(start, result);
    return result;
  };
  return from(0) ?? undefined;
}

/** Whether evaluating the term costs a DNS lookup (RFC 7208 4.6.4): include, a, mx, ptr, exists, redirect. */
export function isDnsTerm(term: SpfTerm): boolean {
  return DNS_TERMS.has(term.name) && (term.kind === 'mechanism' ? term.name !== 'redirect' : term.name === 'redirect');
}

/** Parses a record (the first term should be "v=spf1"; see repairVersion for one that was meant to be). */
export function parseSpf(record: string): ParsedSpf {
  const problems: SpfProblem[] = [];
  let text = record;
  if (Buffer.byteLength(text) > MAX_RECORD_OCTETS) {
    problems.push({ severity: 'error', position: 1, message: `the record is longer than ${MAX_RECORD_OCTETS} octets (keep SPF under 450, RFC 7208 3.4)` });
    text = text.slice(0, MAX_RECORD_OCTETS);
  }
  const nonAscii = text.search(/[^\x09\x0a\x0d\x20-\x7e]/);
  if (nonAscii >= 0) problems.push({ severity: 'error', position: nonAscii + 1, message: `a character outside printable ASCII at character ${nonAscii + 1}` });
  const otherSpace = text.search(/[\t\r\n]/);
  if (otherSpace >= 0) problems.push({ severity: 'warning', position: otherSpace + 1, message: `a tab or line break at character ${otherSpace + 1}: only spaces separate SPF terms` });

  const words = [...text.matchAll(/\S+/g)];
  const first = words[0]?.[0] ?? '';
  const parsed: ParsedSpf = { record, terms: [], glued: [], problems };
  const vp = versionProblem(first, record);
  if (vp) parsed.versionProblem = vp;
  const written = words.slice(1);
  if (written.length > MAX_SPF_TERMS) {
    problems.push({ severity: 'error', position: (written[MAX_SPF_TERMS]!.index ?? 0) + 1, message: `more than ${MAX_SPF_TERMS} terms; the rest were not read` });
  }
  written.slice(0, MAX_SPF_TERMS).forEach((word, i) => {
    const position = (word.index ?? 0) + 1;
    const index = i + 1;
    const term = parseSpfTerm(word[0], position, index);
    const split = term.text.length <= MAX_SPF_TERM_OCTETS ? splitGlued(term.text) : undefined;
    if (!split) {
      parsed.terms.push(term);
      return;
    }
    parsed.glued.push({ position: position + split.offsets[0]!, index, term: term.text, parts: split.parts });
    let offset = 0;
    for (const part of split.parts) {
      parsed.terms.push(parseSpfTerm(part, position + offset, index));
      offset += part.length;
    }
  });

  let afterAll = false;
  const seenModifiers = new Map<string, SpfTerm>();
  for (const term of parsed.terms) {
    const at = { position: term.position, index: term.index };
    if (term.problem) problems.push({ severity: 'error', ...at, message: `term ${term.index} "${term.text}": ${term.problem}` });
    if (term.kind === 'modifier') {
      if (term.name === 'redirect' || term.name === 'exp') {
        if (seenModifiers.has(term.name)) problems.push({ severity: 'error', ...at, message: `a second ${term.name}= (term ${term.index}): at most one is allowed (RFC 7208 6)` });
        else seenModifiers.set(term.name, term);
      } else if (!term.problem) {
        problems.push({ severity: 'warning', ...at, message: `term ${term.index} "${term.text}": unknown modifier "${term.name}", ignored by receivers (a typo?)` });
      }
      continue;
    }
    if (afterAll) problems.push({ severity: 'warning', ...at, message: `term ${term.index} "${term.text}" comes after "all" and is never evaluated (RFC 7208 5.1)` });
    if (term.name === 'all' && !term.problem && !parsed.all) {
      parsed.all = term;
      afterAll = true;
    }
  }
  const redirect = seenModifiers.get('redirect');
  if (redirect) {
    parsed.redirect = redirect;
    if (parsed.all) problems.push({ severity: 'warning', position: redirect.position, index: redirect.index, message: `redirect= is ignored because the record has "all" (RFC 7208 6.1)` });
  }
  return parsed;
}
