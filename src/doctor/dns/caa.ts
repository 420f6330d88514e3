/*
 * The CAA check of the doctor (doctor.md H09): when ACME is on, the CAA
 * records that apply to each name Petrel asks certificates for let the
 * ACME CA issue, so that issuance and renewals do not fail. The names
 * are the mail host (a host check) and, per domain, the client name and
 * mta-sts., autoconfig. and autodiscover. (a domain check).
 *
 * The records that apply to a name are found as a CA finds them (RFC
 * 8659 section 3): the CAA RRset of the name, else of its parent, and so
 * on up to the first name that has one; none anywhere lets every CA
 * issue (a note). Names that share the same relevant RRset are reported
 * once, at the name holding it. Only `issue` is judged (Petrel asks for
 * no wildcard); an `issue` property naming no CA (";") forbids issuance;
 * a critical property with a tag the CA does not know forbids it too
 * (section 4.1).
 *
 * Exports: caaHostCheck, caaDomainCheck, caaNames.
 * Security: records come from the zone; the climb (MAX_NAME_CLIMB) and
 * the records read (MAX_RRSET_RECORDS) are bounded; values are only
 * compared.
 * Standards: RFC 8659 sections 3 (relevant RRset), 4 (flags, issuer
 * critical), 4.2 (issue value: issuer-domain-name and parameters), 4.3
 * (issuewild applies to wildcards only), RFC 8657 (accounturi,
 * validationmethods parameters).
 */
import type { CaaData } from 'dns-packet';
import { finding, type DoctorDeps, type DomainCheck, type DomainFacts, type Finding, type HostCheck, type HostFacts } from '../types.js';
import { MAX_NAME_CLIMB, MAX_RRSET_RECORDS } from './limits.js';
import { bare, couldNotCheck, DNS_DELAY } from './lookup.js';

/** Property tags RFC 8659 and its extensions define (a CA refuses a critical one it does not know). */
const KNOWN_TAGS = new Set(['issue', 'issuewild', 'iodef', 'contactemail', 'contactphone', 'issuemail', 'issuevmc']);

type Relevant =
  | { kind: 'set'; owner: string; records: CaaData[] }
  | { kind: 'none' }
  | { kind: 'failed'; detail: string };

/** RFC 8659 section 3: the CAA RRset of the name or of its nearest ancestor that has one. */
async function relevantSet(name: string, deps: DoctorDeps): Promise<Relevant> {
  const labels = bare(name).split('.');
  for (let i = 0; i < Math.min(labels.length, MAX_NAME_CLIMB); i++) {
    const owner = labels.slice(i).join('.');
    const answer = await deps.query(owner, 'CAA');
    if (!answer.ok && answer.kind === 'temporary') return { kind: 'failed', detail: answer.detail };
    if (answer.ok && answer.records.length > 0) return { kind: 'set', owner, records: answer.records.slice(0, MAX_RRSET_RECORDS) };
  }
  return { kind: 'none' };
}

/** The issuer domain of an issue value ("letsencrypt.org; accounturi=..."), lower case; '' when it names no CA. */
const issuer = (value: string) => bare(value.split(';')[0]!.trim());
const show = (r: CaaData) => `${r.flags ?? 0} ${r.tag} "${r.value}"`;

/** What the relevant RRset at `owner` says about `ca` for the names below it. */
function judge(owner: string, names: string[], records: CaaData[], ca: string): Finding[] {
  const out: Finding[] = [];
  const forNames = names.join(', ');
  const seen = records.map(show).join(', ');
  const planned = `${owner}. CAA 0 issue "${ca}"`;
  const critical = records.filter((r) => ((r.flags ?? 0) & 128) !== 0 && !KNOWN_TAGS.has(String(r.tag).toLowerCase()));
  if (critical.length > 0) {
    out.push(finding('H09', 'error', owner, `a critical CAA property the CA does not know (${critical.map((r) => r.tag).join(', ')}) forbids every certificate`, seen, `no critical property of an unknown tag; ${planned}`,
      `RFC 8659 4.1: a CA must refuse to issue when a property it does not understand has the critical flag (128), so certificates for ${forNames} cannot be issued or renewed. Remove the record or clear its flag. ${DNS_DELAY}`));
  }
  const issue = records.filter((r) => String(r.tag).toLowerCase() === 'issue');
  if (issue.length === 0) return out;
  const ours = issue.filter((r) => issuer(r.value) === ca);
  if (ours.length === 0) {
    out.push(finding('H09', 'error', owner, `CAA does not let ${ca} issue certificates for ${forNames}`, seen, planned,
      `Petrel's ACME CA (${ca}) will refuse to issue or renew: CAA at ${owner} allows only ${issue.map((r) => issuer(r.value) || 'no CA').join(', ')}. Add ${planned} beside the others. ${DNS_DELAY}`));
  } else if (ours.every((r) => /;\s*\S/.test(r.value))) {
    out.push(finding('H09', 'info', owner, `CAA lets ${ca} issue, with parameters`, ours.map(show).join(', '), planned,
      'Parameters such as accounturi= or validationmethods= (RFC 8657) must match the ACME account and challenge Petrel uses (http-01, or dns-01 for wildcards), or issuance fails.'));
  }
  return out;
}

/** H09 for a set of names: grouped by the RRset that applies, one finding set per owner. */
async function checkNames(subject: string, names: string[], ca: string, deps: DoctorDeps): Promise<Finding[]> {
  const owners = new Map<string, { records: CaaData[]; names: string[] }>();
  const unrestricted: string[] = [];
  const out: Finding[] = [];
  for (const name of names) {
    const r = await relevantSet(name, deps);
    if (r.kind === 'failed') out.push(couldNotCheck('H09', name, 'the CAA records', r.detail));
    else if (r.kind === 'none') unrestricted.push(name);
    else {
      const entry = owners.get(r.owner) ?? { records: r.records, names: [] };
      entry.names.push(name);
      owners.set(r.owner, entry);
    }
  }
  for (const [owner, entry] of owners) out.push(...judge(owner, entry.names, entry.records, ca));
  if (unrestricted.length > 0) {
    out.push(finding('H09', 'info', subject, `no CAA record applies to ${unrestricted.join(', ')}: every CA may issue for ${unrestricted.length > 1 ? 'them' : 'it'}`, 'no CAA record up to the root', `optionally CAA 0 issue "${ca}"`,
      `That is fine. Publishing CAA 0 issue "${ca}" limits issuance to the CA Petrel uses.`));
  }
  return out;
}

/** The names Petrel asks certificates for on behalf of a domain. */
export function caaNames(facts: DomainFacts, host: HostFacts): string[] {
  const d = facts.domain;
  return [...new Set([facts.clientHost, `mta-sts.${d}`, `autoconfig.${d}`, `autodiscover.${d}`].map(bare))].filter((n) => n !== bare(host.hostname));
}

/** H09 for the mail host's own certificate; nothing to check without ACME. */
export const caaHostCheck: HostCheck = async (host, deps) =>
  host.acmeCa ? checkNames(bare(host.hostname), [bare(host.hostname)], bare(host.acmeCa), deps) : [];

/** H09 for the domain's client, policy and autoconfiguration names. */
export const caaDomainCheck: DomainCheck = async (facts, host, deps) =>
  host.acmeCa ? checkNames(facts.domain, caaNames(facts, host), bare(host.acmeCa), deps) : [];
