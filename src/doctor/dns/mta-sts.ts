/*
 * The MTA-STS and TLS-RPT checks of the doctor (doctor.md group G): one
 * `_mta-sts` TXT record with a valid id (G01); the policy fetched as a
 * sending MTA fetches it (G02: 200 without redirect, text/plain, a
 * certificate valid for mta-sts.<domain>, at most 64 KiB; through the
 * injected fetcher, HttpsPolicyFetcher in production); its syntax (G03);
 * every MX host matching an mx: line (G04); the published id equal to the
 * one Petrel derives from the policy it serves (G05); the mode and
 * max_age (G06); one `_smtp._tls` TXT record with rua (G07).
 *
 * G05 is the pitfall of a changed policy under an unchanged id: senders
 * that cached the old policy only fetch again when the id changes (RFC
 * 8461 3.3, 5.1), so they keep the old one for its whole max_age.
 *
 * Exports: mtaStsCheck, tlsRptCheck.
 * Security: the record and the policy come from the zone and its web
 * server; parsing is sender-auth/mta-sts.ts's (anchored patterns, the
 * fetcher bounds size and time); MX records are bounded (MAX_MX_RECORDS).
 * Standards: RFC 8461 sections 3.1 (TXT record, id of 1 to 32
 * alphanumerics), 3.2 (policy fields, max_age up to 31557600), 3.3 (fetch
 * rules), 4.1 (MX matching), 5 (modes), 8.3 (removal); RFC 8460 section 3
 * (the TXT record: v=TLSRPTv1 first, rua of mailto: or https: URIs; not
 * exactly one record means no TLS-RPT).
 * Interpretations: no `_mta-sts` record while Petrel serves a policy is a
 * warning (MTA-STS is optional, but the operator turned it on); a
 * max_age under a day is a warning (RFC 8461 suggests weeks); "testing"
 * is a note (the first stage).
 */
import { mxAllowed, parseMtaStsPolicy, parseStsRecord, type MtaStsPolicy, type ParsedMtaStsPolicy } from '../../sender-auth/mta-sts.js';
import { finding, type DoctorDeps, type DomainCheck, type DomainFacts, type Finding } from '../types.js';
import { MAX_MX_RECORDS, MAX_REPORT_URIS } from './limits.js';
import { bare, couldNotCheck, currently, DNS_DELAY, quoted, txtRecords } from './lookup.js';
import { parseTagList } from './tag-list.js';

const DAY_SECONDS = 86_400;
const TLSRPT_START = /^v=TLSRPTv1[ \t]*;/;
const policyUrl = (domain: string) => `https://mta-sts.${domain}/.well-known/mta-sts.txt`;
const lf = (text: string) => text.replace(/\r\n/g, '\n');

/** G04: every MX host of the domain is allowed by the policy. */
async function mxMatches(domain: string, policy: ParsedMtaStsPolicy, deps: DoctorDeps): Promise<Finding[]> {
  if (policy.mode === 'none') return [];
  const mx = await deps.dns.mx(domain);
  if (!mx.ok) return mx.kind === 'temporary' ? [couldNotCheck('G04', domain, 'the MX hosts against the MTA-STS policy', mx.detail)] : [];
  const asPolicy: MtaStsPolicy = { mode: policy.mode, id: '', mx: policy.mx, maxAge: policy.maxAge, expiresAt: 0, source: 'fetched' };
  const hosts = [...new Set(mx.records.slice(0, MAX_MX_RECORDS).map((r) => bare(r.exchange)).filter((h) => h !== ''))];
  const unmatched = hosts.filter((h) => !mxAllowed(asPolicy, h));
  if (unmatched.length === 0) return [];
  return [finding('G04', policy.mode === 'enforce' ? 'error' : 'warning', domain, `MX host${unmatched.length > 1 ? 's' : ''} ${unmatched.join(', ')} not allowed by the MTA-STS policy`, `mx: ${policy.mx.join(', ') || '(none)'}`, `an mx: line matching ${unmatched.join(', ')}`,
    policy.mode === 'enforce'
      ? `Senders that apply the policy refuse to deliver to ${unmatched.join(', ')} (RFC 8461 4.1). Add "mx: ${unmatched[0]}" to the policy, or correct the MX.`
      : `In testing mode senders only report it; in enforce mode they would not deliver there. Add "mx: ${unmatched[0]}" to the policy, or correct the MX.`)];
}

/** G06: the policy's stage and lifetime. */
function stage(domain: string, policy: ParsedMtaStsPolicy): Finding[] {
  const out: Finding[] = [];
  if (policy.mode === 'testing') {
    out.push(finding('G06', 'info', domain, 'the MTA-STS policy is in testing mode', 'mode: testing', 'mode: enforce, once TLS reports are clean', 'Testing is the first stage: senders report TLS failures (see G07) but still deliver. When the reports show no failures, switch [domains] mta_sts_mode to enforce.'));
  } else if (policy.mode === 'none') {
    out.push(finding('G06', 'info', domain, 'the MTA-STS policy is mode none: MTA-STS is switched off', 'mode: none', 'mode: testing or enforce', 'Senders drop the policy they cached. Set [domains] mta_sts_mode to testing to start again.'));
  }
  if (policy.mode !== 'none' && policy.maxAge < DAY_SECONDS) {
    out.push(finding('G06', 'warning', domain, `the MTA-STS max_age is short (${policy.maxAge} s)`, `max_age: ${policy.maxAge}`, 'max_age: 604800 (a week) or more',
      'A policy that expires within a day protects little against an attacker who blocks the refresh (RFC 8461 10.2 suggests weeks). Raise [domains] mta_sts_max_age.'));
  }
  return out;
}

/** G01 to G06. */
export const mtaStsCheck: DomainCheck = async (facts, _host, deps) => {
  const domain = facts.domain;
  const name = `_mta-sts.${domain}`;
  const planned = `v=STSv1; id=${facts.mtaSts.id}`;
  const txt = await txtRecords(deps, name);
  if (!txt.ok && txt.kind === 'temporary') return [couldNotCheck('G01', name, 'the MTA-STS record', txt.detail)];
  const record = parseStsRecord(txt.ok ? txt.records.map((r) => r.text) : []);
  const out: Finding[] = [];
  if (!record.ok) {
    if (record.reason === 'no-record') {
      if (facts.mtaSts.mode === 'none') return [];
      return [finding('G01', 'warning', name, 'no MTA-STS record: senders do not know the domain has a policy', txt.ok ? `${txt.records.length} TXT record(s), none v=STSv1` : txt.detail, `${name}. TXT "${planned}"`,
        `Petrel serves a ${facts.mtaSts.mode} policy at ${policyUrl(domain)}, but senders only fetch it when this record exists. Publish ${name}. TXT "${planned}". ${DNS_DELAY}`)];
    }
    return [finding('G01', 'error', name, `the MTA-STS record is not usable: ${record.detail}`, txt.ok ? txt.records.map((r) => quoted(r.text)).join(' and ') : '', `exactly one record "${planned}"`,
      `Senders treat an invalid or repeated record as no MTA-STS (RFC 8461 3.1). ${currently(txt.ok ? txt.records.map((r) => quoted(r.text)).join(' and ') : 'nothing', `"${planned}"`)} ${DNS_DELAY}`)];
  }
  if (record.id !== facts.mtaSts.id) {
    out.push(finding('G05', 'error', name, 'the MTA-STS id is not the id of the policy Petrel serves', `id=${record.id}`, `id=${facts.mtaSts.id}`,
      `Petrel derives the id from the policy's content: a different id means the policy changed but the record did not, so senders that cached the old policy keep it for its whole max_age (RFC 8461 3.3, 5.1). ${currently(`"v=STSv1; id=${record.id}"`, `"${planned}"`)} ${DNS_DELAY}`));
  }
  let policy: ParsedMtaStsPolicy | undefined;
  if (!deps.mtaStsFetcher) {
    out.push(finding('G02', 'info', domain, 'the MTA-STS policy was not fetched (no fetcher given to the doctor)', '', policyUrl(domain), 'Run petrel doctor with network checks on to fetch it.'));
    const own = parseMtaStsPolicy(facts.mtaSts.text);
    if (own.ok) policy = own.policy;
  } else {
    const fetched = await deps.mtaStsFetcher.fetch(domain);
    if (!fetched.ok) {
      out.push(finding('G02', 'error', domain, 'the MTA-STS policy cannot be fetched as senders fetch it', fetched.reason, `200, text/plain, a certificate valid for mta-sts.${domain}, no redirect, at most 64 KiB`,
        `Senders that find the record but cannot fetch the policy keep an old one or use none (RFC 8461 3.3). Make ${policyUrl(domain)} reach Petrel's HTTPS listener (port 443, the mta-sts.${domain} name in DNS and in its certificate).`));
    } else {
      const parsed = parseMtaStsPolicy(fetched.text);
      if (!parsed.ok) {
        out.push(finding('G03', 'error', domain, 'the MTA-STS policy served is not valid', parsed.reason, 'version: STSv1, mode, mx and max_age lines', `Senders discard it (RFC 8461 3.2). Let Petrel's HTTPS listener answer ${policyUrl(domain)}, or correct the file.`));
      } else {
        policy = parsed.policy;
        if (lf(fetched.text) !== lf(facts.mtaSts.text)) {
          out.push(finding('G02', 'warning', domain, 'the MTA-STS policy served is not the one Petrel serves', quoted(fetched.text, 200), quoted(facts.mtaSts.text, 200),
            `Something else answers ${policyUrl(domain)} (another web server, a proxy, a stale file), so the id Petrel publishes does not describe it. Route mta-sts.${domain} to Petrel's HTTPS listener.`));
        }
      }
    }
  }
  if (policy) {
    out.push(...(await mxMatches(domain, policy, deps)));
    out.push(...stage(domain, policy));
  }
  return out;
};

/** G07: one TLS-RPT record with rua, pointing where Petrel expects the reports. */
export const tlsRptCheck: DomainCheck = async (facts: DomainFacts, _host, deps) => {
  const domain = facts.domain;
  const name = `_smtp._tls.${domain}`;
  const planned = `v=TLSRPTv1; rua=mailto:${facts.tlsRptRua}`;
  const txt = await txtRecords(deps, name);
  if (!txt.ok && txt.kind === 'temporary') return [couldNotCheck('G07', name, 'the TLS-RPT record', txt.detail)];
  const records = txt.ok ? txt.records.filter((r) => TLSRPT_START.test(r.text)) : [];
  const warn = (title: string, seen: string, fix: string) => [finding('G07', 'warning', name, title, seen, `${name}. TXT "${planned}"`, `${fix} ${DNS_DELAY}`)];
  if (records.length === 0) {
    if (facts.mtaSts.mode === 'none' && !txt.ok) return [];
    const near = txt.ok ? txt.records.find((r) => /^\W*v\s*=\s*tlsrpt/i.test(r.text)) : undefined;
    if (near) return warn('the TLS-RPT record does not start with "v=TLSRPTv1;"', quoted(near.text), `Senders ignore it (RFC 8460 3). ${currently(quoted(near.text), `"${planned}"`)}`);
    return warn('no TLS-RPT record: senders do not report TLS failures', txt.ok ? 'no v=TLSRPTv1 record' : txt.detail, `Reports show when senders cannot reach ${domain} securely, which moving MTA-STS to enforce needs. Publish ${name}. TXT "${planned}".`);
  }
  if (records.length > 1) return warn(`${records.length} TLS-RPT records`, records.map((r) => quoted(r.text)).join(' and '), 'With more than one, senders send no reports (RFC 8460 3). Keep one.');
  const list = parseTagList(records[0]!.text);
  const rua = list.tags.find((t) => t.name === 'rua');
  if (!rua || rua.value === '') return warn('the TLS-RPT record has no rua=', quoted(records[0]!.text), `Add "rua=mailto:${facts.tlsRptRua}".`);
  const destinations = rua.value.split(',').map((u) => u.trim()).slice(0, MAX_REPORT_URIS);
  const bad = destinations.filter((u) => !/^(?:mailto:[^@\s]+@[^@\s]+|https:\/\/\S+)$/i.test(u));
  if (bad.length > 0) return warn(`the TLS-RPT rua has a destination that is not mailto: or https: (${bad[0]})`, quoted(records[0]!.text), `${currently(`"rua=${rua.value}"`, `"rua=mailto:${facts.tlsRptRua}"`)}`);
  if (!destinations.some((u) => u.toLowerCase() === `mailto:${facts.tlsRptRua.toLowerCase()}`)) {
    return warn(`TLS reports do not go to ${facts.tlsRptRua}, where Petrel expects them`, `rua=${rua.value}`, `${currently(`"rua=${rua.value}"`, `"rua=mailto:${facts.tlsRptRua}"`)} (or change [domains] tls_rpt_rua to match).`);
  }
  return [];
};
