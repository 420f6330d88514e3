/*
 * The DMARC checks of the doctor (doctor.md group F): a record at
 * _dmarc.<domain> (F01), exactly one and no SPF record answering there
 * (F02), not published at the domain itself by mistake (F03), its tags
 * (F04), the policy stage with the rollout plan (F05), aggregate reports
 * requested and sent where Petrel expects them (F06), external report
 * destinations that authorised it (F07) and that can receive mail (F08).
 * F10 (alignment of a probe message) is not a DNS check.
 *
 * Without a record at the domain, a parent's record applies to it as the
 * Organizational Domain's (RFC 7489 6.6.3): the doctor climbs parents of
 * two labels or more (it has no Public Suffix List) and, when one has a
 * record, says so as a note instead of "missing".
 *
 * Exports: dmarcCheck, DMARC_ROLLOUT.
 * Security: records come from the zone; URIs (MAX_REPORT_URIS) and the
 * climb (MAX_NAME_CLIMB) are bounded.
 * Standards: RFC 7489 sections 6.3 (tags; v first, p required, unknown
 * tags ignored, other syntax errors fall back to defaults), 6.4 (ABNF),
 * 6.6.3 (policy discovery: records not starting with v=DMARC1 discarded,
 * several records mean no DMARC, an invalid p= with a valid rua acts as
 * p=none), 7.1 (external destinations: <domain>._report._dmarc.<host>),
 * 7.2.1 (reports by mail).
 * Interpretations: without a Public Suffix List a destination is
 * "external" unless it is the domain, under it, or a parent of it; a
 * destination that only shares a parent with the domain (a.example.com
 * and b.example.com) and did not authorise it is a note, since both may
 * be one Organizational Domain. p= not directly after v= is a warning
 * (the ABNF orders them; receivers accept any order).
 */
import { finding, type DoctorDeps, type DomainCheck, type Finding } from '../types.js';
import { MAX_NAME_CLIMB, MAX_REPORT_URIS } from './limits.js';
import { bare, couldNotCheck, currently, DNS_DELAY, quoted, txtRecords } from './lookup.js';
import { isSpfRecord } from './spf-parse.js';
import { parseTagList, type Tag } from './tag-list.js';

/** The staged rollout, as the planner prints it. */
export const DMARC_ROLLOUT = 'start with p=none and read the aggregate reports; when only your own servers appear and pass, move to p=quarantine, then to p=reject';

const DMARC_START = /^v[ \t]*=[ \t]*DMARC1[ \t]*(?:;|$)/;
const DMARC_NEAR = /^\W*v\s*=\s*dmarc/i;
const POLICIES = ['none', 'quarantine', 'reject'];
const KNOWN = new Set(['v', 'p', 'sp', 'rua', 'ruf', 'adkim', 'aspf', 'ri', 'fo', 'rf', 'pct']);
const CHECKS: Record<string, (v: string) => boolean> = {
  adkim: (v) => v === 'r' || v === 's',
  aspf: (v) => v === 'r' || v === 's',
  pct: (v) => /^[0-9]{1,3}$/.test(v) && Number(v) <= 100,
  ri: (v) => /^[0-9]{1,10}$/.test(v) && Number(v) <= 0xffffffff,
  fo: (v) => v.split(':').every((x) => ['0', '1', 'd', 's'].includes(x.trim())),
  rf: (v) => v.split(':').every((x) => x.trim().toLowerCase() === 'afrf'),
};

/** The address of a mailto: URI (percent-decoded, size suffix dropped), or undefined for another scheme or garbage. */
function mailtoAddress(uri: string): string | undefined {
  const m = /^mailto:([^!]+)(?:![0-9]+[kmgt]?)?$/i.exec(uri.trim());
  if (!m) return undefined;
  try {
    const address = decodeURIComponent(m[1]!);
    return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address) ? address : undefined;
  } catch {
    return undefined;
  }
}

const uris = (tag: Tag | undefined) => (tag ? tag.value.split(',').map((u) => u.trim()).filter(Boolean).slice(0, MAX_REPORT_URIS) : []);

/** A parent of the domain (2 labels or more) whose DMARC record applies to it, or undefined. */
async function parentRecord(domain: string, deps: DoctorDeps): Promise<{ name: string; text: string } | undefined> {
  const labels = domain.split('.');
  for (let i = 1; i <= MAX_NAME_CLIMB && labels.length - i >= 2; i++) {
    const name = `_dmarc.${labels.slice(i).join('.')}`;
    const txt = await txtRecords(deps, name);
    const records = txt.ok ? txt.records.filter((r) => DMARC_START.test(r.text)) : [];
    if (records.length === 1) return { name, text: records[0]!.text };
  }
  return undefined;
}

/** F07 and F08 for one report destination. */
async function destination(domain: string, kind: 'rua' | 'ruf', address: string, deps: DoctorDeps): Promise<Finding[]> {
  const dest = bare(address.slice(address.lastIndexOf('@') + 1));
  const out: Finding[] = [];
  const inside = dest === domain || dest.endsWith(`.${domain}`) || domain.endsWith(`.${dest}`);
  if (!inside) {
    const name = `${domain}._report._dmarc.${dest}`;
    const auth = await txtRecords(deps, name);
    if (!auth.ok && auth.kind === 'temporary') out.push(couldNotCheck('F07', name, `whether ${dest} accepts DMARC reports for ${domain}`, auth.detail));
    else if (!(auth.ok && auth.records.some((r) => DMARC_START.test(r.text)))) {
      const siblings = dest.split('.').slice(-2).join('.') === domain.split('.').slice(-2).join('.');
      out.push(finding('F07', siblings ? 'info' : 'warning', domain, `${dest} has not authorised DMARC ${kind === 'rua' ? 'aggregate' : 'failure'} reports for ${domain}`, `${name}: ${auth.ok ? 'no v=DMARC1 record' : auth.detail}`, `${name}. TXT "v=DMARC1"`,
        `${siblings ? `If ${dest} and ${domain} are not one organisation's domains, r` : 'R'}eceivers send no reports to ${address} until ${dest}'s zone publishes ${name}. TXT "v=DMARC1" (RFC 7489 7.1); ask its administrator, or report to an address under ${domain}. ${DNS_DELAY}`));
    }
  }
  if (kind === 'ruf') return out;
  const mx = await deps.dns.mx(dest);
  if (mx.ok && mx.records.every((r) => bare(r.exchange) === '')) {
    out.push(finding('F08', 'warning', dest, `the DMARC report domain ${dest} accepts no mail (null MX)`, 'MX 0 .', `an MX for ${dest}`, `Reports to ${address} bounce. Send them to an address whose domain receives mail.`));
  } else if (!mx.ok && mx.kind === 'temporary') {
    out.push(couldNotCheck('F08', dest, `whether ${dest} receives mail`, mx.detail));
  } else if (!mx.ok) {
    const a = await deps.dns.a(dest);
    out.push(a.ok
      ? finding('F08', 'info', dest, `the DMARC report domain ${dest} has no MX; mail goes to its A record`, mx.detail, `an MX for ${dest}`, `Reports reach ${dest} only if its A record's host runs an MX. Publish an MX for ${dest}. ${DNS_DELAY}`)
      : finding('F08', 'warning', dest, `the DMARC report domain ${dest} receives no mail (no MX, no address)`, mx.detail, `an MX for ${dest}`, `Reports to ${address} cannot be delivered. Use an address whose domain has an MX. ${DNS_DELAY}`));
  }
  return out;
}

/** F04 to F08 for the one DMARC record. */
async function judge(domain: string, name: string, text: string, expectedRua: string, deps: DoctorDeps): Promise<Finding[]> {
  const out: Finding[] = [];
  const planned = `v=DMARC1; p=none; rua=mailto:${expectedRua}`;
  const list = parseTagList(text);
  const tag = (n: string) => list.tags.find((t) => t.name.toLowerCase() === n);
  const bad = (severity: 'error' | 'warning', title: string, seen: string, fix: string) => out.push(finding('F04', severity, name, title, seen, quoted(planned), `${fix} ${DNS_DELAY}`));
  if (list.duplicates.length > 0) bad('error', `the DMARC record gives ${list.duplicates.join(', ')}= more than once`, quoted(text), 'Receivers may discard the record. Keep each tag once.');
  for (const p of list.problems) bad('warning', 'the DMARC record has a malformed tag', p, 'Receivers ignore it or the record. Correct it.');
  const p = tag('p');
  if (!p) bad('error', 'the DMARC record has no p= policy', quoted(text), `p= is required (RFC 7489 6.3); without it receivers apply no DMARC${tag('rua') ? ' beyond p=none' : ''}. Add "p=none" right after "v=DMARC1;".`);
  else if (!POLICIES.includes(p.value)) bad('error', `p=${p.value} is not a DMARC policy`, quoted(text), `${currently(`"p=${p.value}"`, '"p=none", "p=quarantine" or "p=reject"')}`);
  else if (list.tags[1] !== p) bad('warning', 'p= is not the tag right after v=DMARC1', quoted(text), 'RFC 7489 6.4 puts p= second; some receivers insist. Write "v=DMARC1; p=...; ..." in that order.');
  const sp = tag('sp');
  if (sp && !POLICIES.includes(sp.value)) bad('error', `sp=${sp.value} is not a DMARC policy`, quoted(text), 'An invalid sp= makes receivers fall back to p=none at best (RFC 7489 6.6.3). Use none, quarantine or reject.');
  for (const t of list.tags) {
    const key = t.name.toLowerCase();
    if (!KNOWN.has(key)) bad('warning', `unknown tag ${t.name}= in the DMARC record (a typo?)`, quoted(text), 'Receivers ignore unknown tags. Correct or remove it.');
    else if (CHECKS[key] && !CHECKS[key]!(t.value)) bad('warning', `${t.name}=${t.value} is not a valid value`, quoted(text), `Receivers use the default instead (RFC 7489 6.3). Correct ${t.name}=.`);
  }
  // F05: the stage.
  if (p?.value === 'none') {
    out.push(finding('F05', 'warning', name, 'the DMARC policy is p=none: forged mail is only reported, not stopped', quoted(text), 'p=quarantine, then p=reject',
      `This is the right first stage: ${DMARC_ROLLOUT}. ${DNS_DELAY}`));
  } else if (p?.value === 'quarantine') {
    out.push(finding('F05', 'info', name, 'the DMARC policy is p=quarantine', quoted(text), 'p=reject as the last stage', `When the reports show only your own servers, passing, move to p=reject. ${DNS_DELAY}`));
  }
  const pct = tag('pct');
  if (pct && p?.value !== 'none' && Number(pct.value) < 100) {
    out.push(finding('F05', 'info', name, `the policy applies to ${pct.value}% of failing mail`, `pct=${pct.value}`, 'pct=100 (or no pct)', `Raise pct to 100 once the reports are clean. ${DNS_DELAY}`));
  }
  // F06: reports.
  const rua = uris(tag('rua'));
  const ruaAddresses = rua.map(mailtoAddress).filter((a): a is string => a !== undefined);
  if (rua.length === 0) {
    out.push(finding('F06', 'warning', name, 'the DMARC record requests no aggregate reports (no rua=)', quoted(text), `rua=mailto:${expectedRua}`,
      `Without reports you cannot see who sends as ${domain}, which the rollout needs. Add "rua=mailto:${expectedRua}". ${DNS_DELAY}`));
  } else if (!ruaAddresses.some((a) => a.toLowerCase() === expectedRua.toLowerCase())) {
    out.push(finding('F06', 'warning', name, `aggregate reports do not go to ${expectedRua}, where Petrel expects them`, `rua=${tag('rua')!.value}`, `rua=mailto:${expectedRua}`,
      `${currently(`"rua=${tag('rua')!.value}"`, `"rua=mailto:${expectedRua}"`)} (or change [domains] dmarc_rua to match). ${DNS_DELAY}`));
  }
  for (const uri of rua.filter((u) => /^mailto:/i.test(u) && mailtoAddress(u) === undefined)) bad('warning', `rua has an address that cannot be read: ${uri}`, quoted(text), 'Write it as mailto:user@domain (commas and ! percent-encoded).');
  // F07, F08: destinations.
  const destinations = new Map<string, 'rua' | 'ruf'>();
  for (const a of ruaAddresses) destinations.set(`rua ${a.toLowerCase()}`, 'rua');
  for (const a of uris(tag('ruf')).map(mailtoAddress).filter((x): x is string => x !== undefined)) destinations.set(`ruf ${a.toLowerCase()}`, 'ruf');
  const seenDomains = new Set<string>();
  for (const [key, kind] of destinations) {
    const address = key.slice(4);
    const dest = `${kind} ${address.slice(address.lastIndexOf('@') + 1)}`;
    if (seenDomains.has(dest)) continue;
    seenDomains.add(dest);
    out.push(...(await destination(domain, kind, address, deps)));
  }
  return out;
}

/** F01 to F08. */
export const dmarcCheck: DomainCheck = async (facts, _host, deps) => {
  const domain = facts.domain;
  const name = `_dmarc.${domain}`;
  const planned = `v=DMARC1; p=none; rua=mailto:${facts.dmarcRua}`;
  const [txt, apex] = await Promise.all([txtRecords(deps, name), txtRecords(deps, domain)]);
  if (!txt.ok && txt.kind === 'temporary') return [couldNotCheck('F01', name, 'the DMARC record', txt.detail)];
  const records = txt.ok ? txt.records : [];
  const dmarcs = records.filter((r) => DMARC_START.test(r.text));
  const near = records.filter((r) => !DMARC_START.test(r.text) && DMARC_NEAR.test(r.text));
  const atApex = apex.ok ? apex.records.filter((r) => DMARC_START.test(r.text.trimStart())) : [];
  const out: Finding[] = [];
  for (const spf of records.filter((r) => isSpfRecord(r.text))) {
    out.push(finding('F02', 'warning', name, `an SPF record answers at ${name}`, quoted(spf.text), 'only the DMARC record',
      `SPF belongs at ${domain} itself; here it does nothing (often a wildcard TXT record answers for every name). Delete it, or give ${name} its own record so the wildcard does not apply. ${DNS_DELAY}`));
  }
  if (dmarcs.length === 0) {
    if (atApex.length > 0) {
      out.push(finding('F03', 'error', domain, `the DMARC record is published at ${domain} instead of ${name}`, `${domain}. TXT ${quoted(atApex[0]!.text)}`, `${name}. TXT ${quoted(atApex[0]!.text)}`,
        `Receivers only look at ${name}, so ${domain} has no DMARC. Move the record to the name ${name}. ${DNS_DELAY}`));
    } else if (near.length > 0) {
      out.push(finding('F04', 'error', name, 'the DMARC record does not start with exactly "v=DMARC1"', quoted(near[0]!.text), quoted(planned),
        `Receivers discard records that do not start with "v=DMARC1" (case matters, RFC 7489 6.3), so ${domain} has no DMARC. ${DNS_DELAY}`));
    } else {
      const parent = await parentRecord(domain, deps);
      out.push(parent
        ? finding('F01', 'info', name, `no DMARC record of its own: ${parent.name}'s applies to ${domain}`, `${parent.name}: ${quoted(parent.text)}`, `${name}. TXT "${planned}" to set ${domain}'s own`, `The parent's sp= (or p=) policy applies. Publish ${name} if ${domain} needs its own policy or reports. ${DNS_DELAY}`)
        : finding('F01', 'error', name, `${domain} has no DMARC record`, txt.ok ? 'no v=DMARC1 record' : txt.detail, `${name}. TXT "${planned}"`,
          `Without DMARC, receivers do not know what to do with forged mail from ${domain}, and large providers require it of senders. Publish ${name}. TXT "${planned}" (then ${DMARC_ROLLOUT}). ${DNS_DELAY}`));
    }
    return out;
  }
  if (dmarcs.length > 1) {
    out.push(finding('F02', 'error', name, `${dmarcs.length} DMARC records at ${name}`, dmarcs.map((r) => quoted(r.text)).join(' and '), 'exactly one v=DMARC1 record',
      `With several records receivers apply no DMARC at all (RFC 7489 6.6.3). Keep one and delete the others. ${DNS_DELAY}`));
    return out;
  }
  if (atApex.length > 0) {
    out.push(finding('F03', 'warning', domain, `a stray DMARC record is also published at ${domain}`, quoted(atApex[0]!.text), `only ${name}`, `Receivers ignore it; delete it so nobody edits the wrong record. ${DNS_DELAY}`));
  }
  out.push(...(await judge(domain, name, dmarcs[0]!.text, facts.dmarcRua, deps)));
  return out;
};
