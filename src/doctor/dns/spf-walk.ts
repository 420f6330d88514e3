/*
 * Walks an SPF record through its include and redirect targets over the
 * injected DNS, counting what RFC 7208 section 4.6.4 limits: the
 * DNS-querying terms of the whole evaluation (D05), the terms whose
 * lookup comes back empty (D06), the names an "mx" mechanism yields
 * (D07); and noting targets that would make check_host a permerror (an
 * include or redirect target without exactly one valid SPF record, D04),
 * include loops, and which "all" ends the evaluation after redirects
 * (D09).
 *
 * The count is of every term that could be evaluated: mechanisms up to
 * and including the first "all" (later ones never are, RFC 7208 5.1), and
 * redirect only without "all" (6.1); each include and redirect target is
 * walked once per place it is named, as check_host would. Terms with
 * macros count as one lookup and are not followed (they name no fixed
 * domain). Mechanisms of a record are the glue-repaired terms of
 * spf-parse.ts, so a missing space is not also counted as a void lookup.
 *
 * Exports: walkSpf, SpfWalk.
 * Security: the zone controls the include graph. A name already on the
 * path is a loop and is not entered; depth (MAX_SPF_INCLUDE_DEPTH),
 * records fetched (MAX_SPF_RECORDS_FOLLOWED) and DNS questions
 * (MAX_SPF_WALK_QUERIES) are bounded, and reaching a bound marks the walk
 * incomplete (the count is then a lower bound).
 * Standards: RFC 7208 sections 4.6.4 (limits, void lookups), 5.1, 5.2
 * (include of a domain without SPF: permerror), 6.1 (redirect).
 */
import type { DoctorDeps } from '../types.js';
import { MAX_SPF_INCLUDE_DEPTH, MAX_SPF_RECORDS_FOLLOWED, MAX_SPF_WALK_QUERIES, SPF_MX_NAME_LIMIT } from './limits.js';
import { bare, txtRecords } from './lookup.js';
import { isDnsTerm, isSpfRecord, parseSpf, type ParsedSpf, type SpfTerm } from './spf-parse.js';

export interface SpfWalk {
  /** DNS-querying terms counted, recursively. */
  lookups: number;
  /** False when a bound or a temporary DNS failure stopped part of the walk: `lookups` is then a lower bound. */
  complete: boolean;
  /** Lookups counted in each record walked, in walk order. */
  perRecord: { domain: string; lookups: number }[];
  /** Terms whose lookup answered NXDOMAIN or NODATA. */
  voids: { domain: string; term: string; target: string }[];
  /** "mx" mechanisms yielding more than SPF_MX_NAME_LIMIT names. */
  mxOverflow: { domain: string; term: string; target: string; names: number }[];
  /** Include/redirect chains that come back to a name on their path ("a -> b -> a"). */
  loops: string[];
  /** Include/redirect targets check_host cannot use (permerror). */
  brokenTargets: { domain: string; term: string; target: string; why: string }[];
  /** Terms with macros, counted but not followed. */
  macros: { domain: string; term: string }[];
  /** Details of temporary DNS failures. */
  temporary: string[];
  /** What ends the evaluation after redirects: the record and its "all" (absent: the record has none); undefined when a redirect target could not be read. */
  ending?: { domain: string; all?: SpfTerm };
}

interface State extends SpfWalk {
  queries: number;
  followed: number;
}

const budget = (s: State) => {
  if (s.queries >= MAX_SPF_WALK_QUERIES) {
    s.complete = false;
    return false;
  }
  s.queries++;
  return true;
};

/** The terms check_host may evaluate: mechanisms up to and including the first "all"; redirect only without one. */
function evaluated(parsed: ParsedSpf): SpfTerm[] {
  const out: SpfTerm[] = [];
  for (const term of parsed.terms) {
    if (term.kind === 'mechanism') out.push(term);
    if (term === parsed.all) break;
  }
  if (!parsed.all && parsed.redirect) out.push(parsed.redirect);
  return out;
}

async function follow(s: State, deps: DoctorDeps, domain: string, term: SpfTerm, path: string[], depth: number): Promise<{ domain: string; all?: SpfTerm } | undefined> {
  const target = bare(term.value ?? '');
  const broken = (why: string) => {
    s.brokenTargets.push({ domain, term: term.text, target, why });
    return undefined;
  };
  if (path.includes(target)) {
    s.loops.push([...path, target].join(' -> '));
    return undefined;
  }
  if (depth >= MAX_SPF_INCLUDE_DEPTH || s.followed >= MAX_SPF_RECORDS_FOLLOWED || !budget(s)) {
    s.complete = false;
    return undefined;
  }
  s.followed++;
  const txt = await txtRecords(deps, target);
  if (!txt.ok) {
    if (txt.kind === 'temporary') {
      s.temporary.push(txt.detail);
      s.complete = false;
      return undefined;
    }
    s.voids.push({ domain, term: term.text, target });
    return broken(txt.kind === 'nxdomain' ? 'does not exist' : 'has no TXT record');
  }
  const spf = txt.records.filter((r) => isSpfRecord(r.text));
  if (spf.length !== 1) return broken(spf.length === 0 ? 'has no SPF record' : `has ${spf.length} SPF records`);
  const inner = parseSpf(spf[0]!.text);
  const error = inner.glued[0] ? `a missing space at character ${inner.glued[0].position}` : inner.problems.find((p) => p.severity === 'error')?.message;
  if (error) broken(`has an SPF record with an error (${error})`);
  return visit(s, deps, target, inner, [...path, target], depth + 1);
}

async function visit(s: State, deps: DoctorDeps, domain: string, parsed: ParsedSpf, path: string[], depth: number): Promise<{ domain: string; all?: SpfTerm } | undefined> {
  const counter = { domain, lookups: 0 };
  s.perRecord.push(counter);
  let redirected: { domain: string; all?: SpfTerm } | undefined;
  for (const term of evaluated(parsed)) {
    if (!isDnsTerm(term) || term.problem) continue;
    s.lookups++;
    counter.lookups++;
    if (term.macro) {
      s.macros.push({ domain, term: term.text });
      continue;
    }
    const target = term.value !== undefined ? bare(term.value) : domain;
    if (term.name === 'include' || term.name === 'redirect') {
      const end = await follow(s, deps, domain, term, path, depth);
      if (term.name === 'redirect') redirected = end;
      continue;
    }
    if (term.name === 'ptr' || !budget(s)) continue;
    if (term.name === 'mx') {
      const mx = await deps.dns.mx(target);
      if (mx.ok) {
        const names = mx.records.filter((r) => bare(r.exchange) !== '').length;
        if (names > SPF_MX_NAME_LIMIT) s.mxOverflow.push({ domain, term: term.text, target, names });
      } else if (mx.kind === 'temporary') {
        s.temporary.push(mx.detail);
        s.complete = false;
      } else s.voids.push({ domain, term: term.text, target });
      continue;
    }
    // a (A and AAAA: void only when both are empty) and exists (A).
    const answers = term.name === 'a' && budget(s) ? await Promise.all([deps.dns.a(target), deps.dns.aaaa(target)]) : [await deps.dns.a(target)];
    if (answers.some((a) => a.ok)) continue;
    const trouble = answers.find((a) => !a.ok && a.kind === 'temporary');
    if (trouble && !trouble.ok) {
      s.temporary.push(trouble.detail);
      s.complete = false;
    } else s.voids.push({ domain, term: term.text, target });
  }
  if (parsed.all) return { domain, all: parsed.all };
  return parsed.redirect && !parsed.redirect.problem ? redirected : { domain };
}

/** Walks `parsed`, the SPF record of `domain`. */
export async function walkSpf(domain: string, parsed: ParsedSpf, deps: DoctorDeps): Promise<SpfWalk> {
  const s: State = { lookups: 0, complete: true, perRecord: [], voids: [], mxOverflow: [], loops: [], brokenTargets: [], macros: [], temporary: [], queries: 0, followed: 0 };
  const ending = await visit(s, deps, bare(domain), parsed, [bare(domain)], 0);
  const { queries: _q, followed: _f, ...walk } = s;
  return ending ? { ...walk, ending } : walk;
}
