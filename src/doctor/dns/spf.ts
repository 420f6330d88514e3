/*
 * The SPF checks of the doctor (doctor.md group D) for a hosted domain
 * (D01 to D11) and for the HELO name (D12, a host check).
 *
 * One record is read once and judged in order, and a root cause is
 * reported once: a record meant as SPF with a wrong version (D02), or a
 * missing space (between two terms, D03, or between two strings of the
 * TXT record, D11), is judged further as it would read repaired, so the
 * consequences (an include of "spf.example.com-all", no "all", a
 * permerror) are not reported as errors of their own. check_host for our
 * own addresses (D08, by mailauth over live DNS) is reported only when no
 * earlier error already explains its result.
 *
 * Exports: spfCheck, heloSpfCheck, suggestedSpf.
 * Security: the records come from the zone; see spf-parse.ts and
 * spf-walk.ts for the bounds. Our addresses evaluated are bounded
 * (MAX_OWN_ADDRESSES).
 * Standards: RFC 7208 sections 3.1 (TXT only; type 99 obsolete, 14.1),
 * 3.2 (one record), 3.3 (strings joined without spaces), 4.5, 4.6.4,
 * 5.5 (ptr: do not use), 2.3 (HELO identity), 8 (results).
 * Interpretations: "?all" and no "all" at all (both neutral) are
 * warnings, "+all" an error; a permerror D08 finds when D01 to D07 found
 * nothing is an error with mailauth's reason.
 */
import { finding, type DoctorDeps, type DomainCheck, type Finding, type HostCheck, type HostFacts } from '../types.js';
import { MAX_OWN_ADDRESSES, TXT_STRING_OCTETS } from './limits.js';
import { bare, couldNotCheck, currently, DNS_DELAY, quoted, txtRecords, TYPE_SPF, type TxtRecord } from './lookup.js';
import { checkHost } from './spf-eval.js';
import { isSpfRecord, looksLikeSpf, parseSpf, parseSpfTerm, repairVersion, type ParsedSpf } from './spf-parse.js';
import { walkSpf } from './spf-walk.js';

/** Findings listed per kind before the rest are summed up. */
const MAX_LISTED = 5;

/** What the planner publishes for a hosted domain. */
export const suggestedSpf = 'v=spf1 mx -all';

/**
 * Places where two strings of the record meet with no space and the term
 * across them is invalid while the two halves are valid terms (RFC 7208
 * 3.3: the strings are joined as they are). Returns the 0-based offsets.
 */
function gluedBoundaries(record: TxtRecord, parsed: ParsedSpf): number[] {
  const out: number[] = [];
  let offset = 0;
  for (const s of record.strings.slice(0, -1)) {
    offset += s.length;
    const text = record.text;
    if (text[offset - 1] === ' ' || text[offset] === ' ') continue;
    const term = parsed.terms.find((t) => t.position - 1 < offset && offset < t.position - 1 + t.text.length);
    if (!term?.problem) continue;
    const cut = offset - (term.position - 1);
    const head = parseSpfTerm(term.text.slice(0, cut));
    const tail = parseSpfTerm(term.text.slice(cut));
    if (!head.problem && !tail.problem) out.push(offset);
  }
  return out;
}

function listed(findings: Finding[], make: () => Finding): Finding[] {
  return findings.length > MAX_LISTED ? [...findings.slice(0, MAX_LISTED), make()] : findings;
}

/** D08: our own addresses pass check_host for the domain, unless an earlier error explains why they would not. */
async function ownAddresses(domain: string, host: HostFacts, deps: DoctorDeps, explained: boolean): Promise<Finding[]> {
  const ips = [...host.ipv4, ...host.ipv6].slice(0, MAX_OWN_ADDRESSES);
  if (ips.length === 0) {
    return [finding('D08', 'info', domain, 'SPF was not evaluated for this server: no public address is known', '[network] public_ipv4/public_ipv6 unset', 'the public addresses', 'Set [network] public_ipv4 (and public_ipv6) so the doctor can check that they pass SPF.')];
  }
  const out: Finding[] = [];
  for (const ip of ips) {
    const r = await checkHost(deps, ip, domain, host.heloName);
    if (r.result === 'pass') continue;
    if (r.result === 'temperror') {
      out.push(couldNotCheck('D08', domain, `whether ${ip} passes SPF`, r.comment));
    } else if (!explained) {
      const family = ip.includes(':') ? 'ip6' : 'ip4';
      out.push(finding('D08', 'error', domain, `mail from this server (${ip}) does not pass SPF`, `check_host(${ip}, ${domain}) = ${r.result}: ${r.comment}`, `pass for ${ip}`,
        `Receivers will treat mail from ${ip} as ${r.result === 'permerror' ? 'unauthenticated (the record has an error)' : `"${r.result}"`}. Add "mx" (the MX is this host) or "${family}:${ip}" before the final "all". ${DNS_DELAY}`));
    }
  }
  return out;
}

/** D01 to D11 for the domain's own SPF record. */
export const spfCheck: DomainCheck = async (facts, host, deps) => {
  const domain = facts.domain;
  const txt = await txtRecords(deps, domain);
  const missing = (detail: string) => finding('D01', 'error', domain, 'the domain has no SPF record', detail, `${domain}. TXT "${suggestedSpf}"`,
    `Without SPF, receivers cannot tell which servers may send as ${domain}, and many score its mail as spam. Publish ${domain}. TXT "${suggestedSpf}". ${DNS_DELAY}`);
  if (!txt.ok) return [txt.kind === 'temporary' ? couldNotCheck('D01', domain, 'the SPF record', txt.detail) : missing(txt.detail)];

  const spfs = txt.records.filter((r) => isSpfRecord(r.text));
  const near = txt.records.filter((r) => looksLikeSpf(r.text));
  const out: Finding[] = [];
  if (spfs.length > 1) {
    return [finding('D01', 'error', domain, `the domain has ${spfs.length} SPF records`, spfs.map((r) => quoted(r.text)).join(' and '), 'exactly one v=spf1 TXT record',
      `With more than one SPF record every receiver's check is a permanent error (RFC 7208 4.5): mail from ${domain} fails SPF. Merge them into one record (one "v=spf1", the mechanisms of both, one "-all") and delete the others. ${DNS_DELAY}`)];
  }
  let record: TxtRecord;
  let text: string;
  if (spfs.length === 0) {
    if (near.length === 0) return [missing(`${txt.records.length} TXT record(s), none starting with "v=spf1"`)];
    record = near[0]!;
    text = repairVersion(record.text);
    const problem = parseSpf(record.text).versionProblem ?? 'the record does not start with "v=spf1 "';
    out.push(finding('D02', 'error', domain, 'the SPF record does not start with the exact version "v=spf1"', quoted(record.text), quoted(text),
      `Receivers only read TXT records that start with "v=spf1" and a space (RFC 7208 4.5), so ${domain} has no SPF at all: ${problem}. ${currently(quoted(record.text), quoted(text))} ${DNS_DELAY}`));
  } else {
    record = spfs[0]!;
    text = record.text;
    for (const other of near) {
      out.push(finding('D02', 'warning', domain, 'a TXT record looks like SPF but is not one', quoted(other.text), `only ${quoted(text)}`, `Receivers ignore it; delete it so that nobody edits the wrong record. ${DNS_DELAY}`));
    }
  }

  // D11: the strings of the record.
  for (const [i, octets] of record.octets.entries()) {
    if (octets > TXT_STRING_OCTETS) {
      out.push(finding('D11', 'error', domain, `string ${i + 1} of the SPF record is longer than ${TXT_STRING_OCTETS} octets`, `${octets} octets`, `strings of at most ${TXT_STRING_OCTETS} octets`,
        `Split the value into several quoted strings of at most ${TXT_STRING_OCTETS} octets in ONE record ("..." "..."); receivers join them. ${DNS_DELAY}`));
    }
  }
  let parsed = parseSpf(text);
  if (text === record.text && record.strings.length > 1) {
    const boundaries = gluedBoundaries(record, parsed);
    for (const b of boundaries) {
      out.push(finding('D11', 'error', domain, `two strings of the SPF record join without a space at character ${b + 1}`, record.strings.map((s) => quoted(s)).join(' '), `a space at the end of string or the start of the next`,
        `Receivers join the strings as they are (RFC 7208 3.3), so "${text.slice(Math.max(0, b - 20), b)}" and "${text.slice(b, b + 20)}" become one broken term. Add a space at the end of the first string. ${DNS_DELAY}`));
    }
    if (boundaries.length > 0) {
      let spaced = text;
      for (const b of [...boundaries].reverse()) spaced = `${spaced.slice(0, b)} ${spaced.slice(b)}`;
      parsed = parseSpf(spaced);
    }
  }

  // D03: a qualifier glued to the previous term.
  for (const g of parsed.glued) {
    const fixed = g.parts.join(' ');
    out.push(finding('D03', 'error', domain, `a space is missing before "${g.parts[1]}" at character ${g.position} (term ${g.index})`, quoted(g.term), quoted(fixed),
      `Without the space, receivers read "${g.term}" as one term${/^[+\-~?]all$/i.test(g.parts.at(-1)!) ? ', so the policy has no "all" (and the include or address before it is wrong)' : ''}. ${currently(quoted(g.term), quoted(fixed))} ${DNS_DELAY}`));
  }
  // D04: grammar, and include/redirect targets check_host cannot use.
  const grammar = parsed.problems.map((p) => finding('D04', p.severity, domain, p.severity === 'error' ? 'the SPF record has a syntax error' : 'the SPF record has a term receivers ignore', `${p.message} in ${quoted(text)}`, 'valid RFC 7208 syntax',
    p.severity === 'error' ? `Receivers give a permanent error for the whole record (RFC 7208 4.6), so mail from ${domain} fails SPF. Correct or remove term ${p.index ?? ''} at character ${p.position}. ${DNS_DELAY}` : `Remove or correct it. ${DNS_DELAY}`));
  const rest = grammar.slice(MAX_LISTED);
  out.push(...listed(grammar, () => finding('D04', rest.some((f) => f.severity === 'error') ? 'error' : 'warning', domain, `${rest.length} more problems of the same kind`, rest.map((f) => f.seen).join('; '), 'valid RFC 7208 syntax', `Rewrite the record, starting from "${suggestedSpf}". ${DNS_DELAY}`)));

  const walk = await walkSpf(domain, parsed, deps);
  for (const b of walk.brokenTargets) {
    out.push(finding('D04', 'error', domain, `"${b.term}" names a record check_host cannot use: ${b.target} ${b.why}`, `${b.term} (in the record of ${b.domain})`, `${b.target} with exactly one valid SPF record`,
      `An include or redirect of a domain without one valid SPF record is a permanent error for the whole evaluation (RFC 7208 5.2, 6.1). Correct the name or remove the term. ${DNS_DELAY}`));
  }
  // D05 to D07: the limits of RFC 7208 4.6.4.
  for (const loop of walk.loops) {
    out.push(finding('D05', 'error', domain, 'the SPF includes loop', loop, 'no include or redirect back to a record already on the path', `Every evaluation exceeds the 10-lookup limit and fails. Remove the include or redirect that comes back. ${DNS_DELAY}`));
  }
  const breakdown = walk.perRecord.filter((r) => r.lookups > 0).map((r) => `${r.domain}: ${r.lookups}`).join(', ');
  if (walk.lookups > 10) {
    out.push(finding('D05', 'error', domain, `SPF needs ${walk.complete ? '' : 'at least '}${walk.lookups} DNS lookups; the limit is 10`, breakdown, 'at most 10 include, a, mx, ptr, exists and redirect terms, counted through includes',
      `Past 10 lookups receivers stop with a permanent error (RFC 7208 4.6.4) and mail fails SPF. Replace includes you no longer use, or a, mx and include terms by ip4:/ip6: ranges. ${DNS_DELAY}`));
  } else if (!walk.complete && walk.temporary.length > 0) {
    out.push(couldNotCheck('D05', domain, 'the SPF lookup count through every include', walk.temporary[0]!));
  }
  if (walk.voids.length > 2) {
    out.push(finding('D06', 'error', domain, `${walk.voids.length} SPF terms look up names that do not exist; the limit is 2`, walk.voids.map((v) => `${v.term} -> ${v.target}`).join(', '), 'at most 2 lookups answering NXDOMAIN or no records',
      `Receivers stop with a permanent error after 2 empty lookups (RFC 7208 4.6.4). Remove the terms naming ${walk.voids.map((v) => v.target).join(', ')}. ${DNS_DELAY}`));
  }
  for (const m of walk.mxOverflow) {
    out.push(finding('D07', 'error', domain, `"${m.term}" yields ${m.names} MX hosts; the limit is 10`, `${m.target}: ${m.names} MX records`, 'at most 10 MX hosts for an "mx" mechanism',
      `An "mx" with more than 10 hosts is a permanent error (RFC 7208 4.6.4). Use ip4:/ip6: ranges for those hosts instead. ${DNS_DELAY}`));
  }
  const explained = out.some((f) => f.severity === 'error');
  out.push(...(await ownAddresses(domain, host, deps, explained)));

  // D09: how the policy ends, after redirects.
  if (walk.ending) {
    const all = walk.ending.all;
    const where = walk.ending.domain === bare(domain) ? '' : ` (in ${walk.ending.domain}, reached by redirect)`;
    if (!all) {
      out.push(finding('D09', 'warning', domain, `the SPF record does not end in "-all" or "~all"${where}`, quoted(text), `${quoted(text)} ending in " -all"`,
        `Without "all" the result for any other server is neutral, so forged mail is not flagged. Add " -all" at the end (or "~all" while you test). ${DNS_DELAY}`));
    } else if (all.qualifier === '+') {
      out.push(finding('D09', 'error', domain, `the SPF record ends in "${all.text}": every server on the Internet may send as ${domain}${where}`, quoted(text), '"-all" at the end',
        `${currently(`"${all.text}"`, '"-all"')} ${DNS_DELAY}`));
    } else if (all.qualifier === '?') {
      out.push(finding('D09', 'warning', domain, `the SPF record ends in "?all" (neutral)${where}`, quoted(text), '"-all" (or "~all" while testing)',
        `Neutral tells receivers nothing about forged mail. ${currently('"?all"', '"-all"')} ${DNS_DELAY}`));
    }
  }
  // D10: ptr, and type 99 records.
  for (const term of parsed.terms.filter((t) => t.kind === 'mechanism' && t.name === 'ptr')) {
    out.push(finding('D10', 'warning', domain, `the SPF record uses "ptr" (term ${term.index})`, quoted(term.text), 'no ptr mechanism',
      `"ptr" is slow and unreliable and must not be used (RFC 7208 5.5); some receivers ignore it. Replace it by ip4:/ip6: or a: terms for those hosts. ${DNS_DELAY}`));
  }
  const type99 = await deps.query(domain, TYPE_SPF);
  if (type99.ok && type99.records.length > 0) {
    out.push(finding('D10', 'warning', domain, 'the domain also publishes a record of the obsolete SPF type (99)', `${type99.records.length} SPF-type record(s)`, 'SPF in TXT records only',
      `SPF is published only as TXT (RFC 7208 3.1, 14.1); the type-99 copy is never read and drifts out of date. Delete the record of type SPF. ${DNS_DELAY}`));
  } else if (!type99.ok && type99.kind === 'temporary') {
    out.push(couldNotCheck('D10', domain, 'for an obsolete SPF-type (99) record', type99.detail));
  }
  return out;
};

/** D12: the HELO name has an SPF record that our addresses pass (bounces and DSNs are checked against it). */
export const heloSpfCheck: HostCheck = async (host, deps) => {
  const helo = bare(host.heloName);
  const planned = 'v=spf1 a -all';
  const txt = await txtRecords(deps, helo);
  if (!txt.ok && txt.kind === 'temporary') return [couldNotCheck('D12', helo, 'the HELO name\'s SPF record', txt.detail)];
  const spfs = txt.ok ? txt.records.filter((r) => isSpfRecord(r.text)) : [];
  if (spfs.length === 0) {
    return [finding('D12', 'warning', helo, 'the HELO name has no SPF record', txt.ok ? `${txt.records.length} TXT record(s), none "v=spf1"` : txt.detail, `${helo}. TXT "${planned}"`,
      `Bounces and DSNs (empty MAIL FROM) are checked against the HELO name (RFC 7208 2.3). Publish ${helo}. TXT "${planned}". ${DNS_DELAY}`)];
  }
  if (spfs.length > 1) {
    return [finding('D12', 'error', helo, `the HELO name has ${spfs.length} SPF records`, spfs.map((r) => quoted(r.text)).join(' and '), `one record, "${planned}"`, `Several records are a permanent error. Keep only "${planned}". ${DNS_DELAY}`)];
  }
  const parsed = parseSpf(spfs[0]!.text);
  const problem = parsed.glued[0] ? `a space is missing at character ${parsed.glued[0].position}` : parsed.problems.find((p) => p.severity === 'error')?.message;
  if (problem) {
    return [finding('D12', 'error', helo, 'the HELO name\'s SPF record has an error', quoted(spfs[0]!.text), `"${planned}"`, `${problem}. ${currently(quoted(spfs[0]!.text), `"${planned}"`)} ${DNS_DELAY}`)];
  }
  const out: Finding[] = [];
  for (const ip of [...host.ipv4, ...host.ipv6].slice(0, MAX_OWN_ADDRESSES)) {
    const r = await checkHost(deps, ip, helo, helo);
    if (r.result === 'pass') continue;
    if (r.result === 'temperror') out.push(couldNotCheck('D12', helo, `whether ${ip} passes the HELO name's SPF`, r.comment));
    else out.push(finding('D12', 'error', helo, `this server (${ip}) does not pass the HELO name's SPF`, `check_host(${ip}, ${helo}) = ${r.result}: ${r.comment}`, `pass for ${ip}`,
      `Bounces and DSNs from ${ip} will fail SPF. ${currently(quoted(spfs[0]!.text), `"${planned}" (with ${helo}'s A/AAAA records being this server)`)} ${DNS_DELAY}`));
  }
  return out;
};
