/*
 * Comparators and match types: how a test compares the values it found in
 * the message with the keys the script gave.
 *
 * Exports: matchAny, compareRelation, MatchState.
 * Security: values come from the message. :matches runs a linear-space
 * wildcard matcher (no RegExp, worst case values x pattern steps) that
 * charges the run's step budget as it goes; :regex goes through regex.ts
 * with its subject and pattern caps.
 * Standards: RFC 5228 2.7.1-2.7.3 (i;octet, i;ascii-casemap, :is, :contains,
 * :matches), RFC 4790 9.1 (i;ascii-numeric), RFC 5231 (:count, :value),
 * RFC 5229 3.2 (match variables: each wildcard but the last as short as
 * possible, the example "[*] *" giving "acme-users"), draft-ietf-sieve-regex.
 */
import type { MatchSpec } from './compiled.js';
import { compileSieveRegex, execSieveRegex, type RegexProgram } from './regex.js';

export interface MatchState {
  /** Charge n steps; throws when the budget is spent. */
  tick(n: number): void;
  /** Compiled :regex patterns of this run, by comparator and source. */
  regexCache: Map<string, RegexProgram>;
}

/** RFC 4790 9.2: i;ascii-casemap maps a-z to A-Z (upper, which matters for ordering: "_" sorts after "A" but before "a"). */
const asciiUpper = (s: string): string => s.replace(/[a-z]+/g, (m) => m.toUpperCase());

function fold(s: string, comparator: string): string {
  return comparator === 'i;ascii-casemap' ? asciiUpper(s) : s;
}

/** RFC 4790 i;ascii-numeric: the leading digits as a number, or positive infinity (null) when there are none. */
function numeric(s: string): string | null {
  const m = /^[0-9]+/.exec(s);
  if (!m) return null;
  return m[0].replace(/^0+(?=.)/, '');
}

/** -1, 0 or 1 by the comparator's ordering. */
function order(a: string, b: string, comparator: string): number {
  if (comparator === 'i;ascii-numeric') {
    const x = numeric(a);
    const y = numeric(b);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    if (x.length !== y.length) return x.length < y.length ? -1 : 1;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = fold(a, comparator);
  const y = fold(b, comparator);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function compareRelation(a: string, b: string, relation: string, comparator: string): boolean {
  const o = order(a, b, comparator);
  switch (relation) {
    case 'gt':
      return o > 0;
    case 'ge':
      return o >= 0;
    case 'lt':
      return o < 0;
    case 'le':
      return o <= 0;
    case 'eq':
      return o === 0;
    default:
      return o !== 0;
  }
}

type GlobTok = { k: 'lit'; c: number } | { k: 'one' } | { k: 'any' };

function globTokens(p: string): GlobTok[] {
  const out: GlobTok[] = [];
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 0x5c && i + 1 < p.length) out.push({ k: 'lit', c: p.charCodeAt(++i) });
    else if (c === 0x2a) out.push({ k: 'any' });
    else if (c === 0x3f) out.push({ k: 'one' });
    else out.push({ k: 'lit', c });
  }
  return out;
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/**
 * Wildcard match with captures over UTF-16 code units ("?" takes a whole
 * surrogate pair): backtrack only to the most recent '*', which finds a
 * match whenever one exists and gives each earlier '*' its shortest extent.
 * Returns the wildcard captures (in pattern order) or null. No per-character
 * arrays, so memory stays proportional to the pattern.
 */
function glob(pattern: string, value: string, comparator: string, st: MatchState): string[] | null {
  const toks = globTokens(fold(pattern, comparator));
  const s = fold(value, comparator);
  const n = s.length;
  const capStart = new Array<number>(toks.length).fill(0);
  const capEnd = new Array<number>(toks.length).fill(0);
  const width = (at: number) => (isHigh(s.charCodeAt(at)) && isLow(s.charCodeAt(at + 1)) ? 2 : 1);
  let pi = 0;
  let si = 0;
  let starPi = -1;
  let starSi = 0;
  let work = 0;
  while (si < n) {
    if (++work === 1024) {
      st.tick(1);
      work = 0;
    }
    const t = toks[pi];
    if (t && t.k === 'one') {
      const w = width(si);
      capStart[pi] = si;
      capEnd[pi] = si + w;
      pi++;
      si += w;
    } else if (t && t.k === 'lit' && t.c === s.charCodeAt(si)) {
      capStart[pi] = si;
      capEnd[pi] = si + 1;
      pi++;
      si++;
    } else if (t && t.k === 'any') {
      starPi = pi;
      starSi = si;
      capStart[pi] = si;
      capEnd[pi] = si;
      pi++;
    } else if (starPi >= 0) {
      starSi += width(starSi);
      capEnd[starPi] = starSi;
      pi = starPi + 1;
      si = starSi;
    } else return null;
  }
  while (pi < toks.length && toks[pi]!.k === 'any') {
    capStart[pi] = n;
    capEnd[pi] = n;
    pi++;
  }
  if (pi !== toks.length) return null;
  const caps: string[] = [];
  toks.forEach((t, i) => t.k !== 'lit' && caps.push(value.slice(capStart[i], capEnd[i])));
  return caps;
}

function regexFor(key: string, comparator: string, st: MatchState): RegexProgram {
  const cacheKey = comparator + '\0' + key;
  let re = st.regexCache.get(cacheKey);
  if (!re) {
    re = compileSieveRegex(key, comparator === 'i;ascii-casemap');
    st.regexCache.set(cacheKey, re);
  }
  return re;
}

/**
 * Whether any value matches any key. On a :matches or :regex success,
 * returns the match variables (${0} the whole value, then the captures).
 * :count compares the number of values. Throws RegexError for a bad pattern.
 */
export function matchAny(
  values: readonly string[],
  keys: readonly string[],
  spec: MatchSpec,
  st: MatchState,
): { ok: boolean; captures?: string[] } {
  const cmp = spec.comparator;
  if (spec.type === 'count') {
    const n = String(values.length);
    st.tick(keys.length);
    return { ok: keys.some((k) => compareRelation(n, k, spec.relation ?? 'eq', cmp)) };
  }
  for (const v of values) {
    for (const k of keys) {
      st.tick(1);
      switch (spec.type) {
        case 'is':
          if (cmp === 'i;ascii-numeric' ? order(v, k, cmp) === 0 : fold(v, cmp) === fold(k, cmp)) return { ok: true };
          break;
        case 'contains':
          if (fold(v, cmp).includes(fold(k, cmp))) return { ok: true };
          break;
        case 'value':
          if (compareRelation(v, k, spec.relation ?? 'eq', cmp)) return { ok: true };
          break;
        case 'matches': {
          const caps = glob(k, v, cmp, st);
          if (caps) return { ok: true, captures: [v, ...caps] };
          break;
        }
        case 'regex': {
          const m = execSieveRegex(regexFor(k, cmp, st), v, (n) => st.tick(n));
          if (m) return { ok: true, captures: m };
          break;
        }
      }
    }
  }
  return { ok: false };
}
