/*
 * The probe message (doctor.md E07, F10): a message from postmaster@ of
 * each hosted domain is signed on the real signing path (the outbound
 * signer with the domain's active keys from the store) and judged as a
 * receiver would, by mailauth against the live DNS: its DKIM signatures
 * verify (E07: the key that signs and the record that is published belong
 * together, whatever E01 to E06 say of the record), and it passes DMARC
 * (F10), SPF taken as check_host gives it for our first public address
 * with the envelope sender postmaster@<domain>. A domain without a DMARC
 * record gets no F10 (F01 says so).
 *
 * Exports: dkimProbeChecks.
 * Security: the probe is built here and never sent; the verifier asks
 * only TXT through the injected DNS, bounded as for check_host.
 * Standards: RFC 6376 sections 5 (signing) and 6 (verifying), RFC 7489
 * sections 3.1 (identifier alignment) and 6.6 (the DMARC evaluation).
 */
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { dmarc } from 'mailauth/lib/dmarc/index.js';
import { checkHost, mailauthResolver } from '../dns/spf-eval.js';
import { finding, type Finding } from '../types.js';
import type { NetworkCheck } from './types.js';

interface VerifyResult {
  signingDomain?: string;
  selector?: string;
  status: { result: string; comment?: string; aligned?: string | false; underSized?: number };
  id?: string;
}

/** F10: whether the probe, sent from ip, passes the domain's DMARC policy. */
async function dmarcOfProbe(domain: string, ip: string | undefined, helo: string, dkim: VerifyResult[], deps: Parameters<NetworkCheck>[3]): Promise<Finding | undefined> {
  const spf = ip ? await checkHost(deps, ip, domain, helo) : undefined;
  const result = await dmarc({
    headerFrom: `postmaster@${domain}`,
    spfDomains: spf?.result === 'pass' ? [domain] : [],
    dkimDomains: dkim.filter((r) => r.status.result === 'pass').map((r) => ({ id: r.id, domain: r.signingDomain, aligned: r.status.aligned, underSized: r.status.underSized })),
    resolver: mailauthResolver(deps) as never,
  } as never);
  const verdict = result ? (result as { status: { result: string } }).status.result : 'none';
  const seen = `dmarc=${verdict} (spf=${spf?.result ?? 'not checked: no public address'} for ${ip ?? '-'}, dkim=${dkim.map((r) => r.status.result).join(',') || 'none'})`;
  if (verdict === 'pass' || verdict === 'none') return undefined;
  if (verdict === 'temperror') return finding('F10', 'warning', domain, 'DMARC of a message from this server could not be checked: the DNS lookup failed', seen, 'dmarc=pass', 'Run petrel doctor again; if it keeps failing, check that the zone\'s name servers answer for _dmarc.' + domain + '.');
  return finding('F10', 'error', domain, 'mail from this server fails the domain\'s DMARC policy', seen, 'dmarc=pass: an SPF pass or a DKIM signature aligned with the From domain',
    'Receivers apply the domain\'s p= to every message this server sends. Fix the SPF findings (D08: our address must pass) or the DKIM findings (E01, E02, E07): one aligned pass is enough.');
}

export const dkimProbeChecks: NetworkCheck = async (host, domains, _net, deps) => {
  const out: Finding[] = [];
  for (const d of domains) {
    const signed = await deps.signProbe(d.domain);
    if (!signed) {
      out.push(finding('E07', 'error', d.domain, 'mail from this domain leaves unsigned', 'no active DKIM key signed the probe', 'a DKIM signature by the domain', `Make a key with petrel dkim rotate ${d.domain} and publish the record it prints; receivers (Gmail, Yahoo) require DKIM from bulk senders.`));
    }
    const results = signed ? ((await dkimVerify(signed, { resolver: mailauthResolver(deps) as never, curTime: new Date(deps.now()) })).results as VerifyResult[]) : [];
    const f10 = await dmarcOfProbe(d.domain, host.ipv4[0] ?? host.ipv6[0], host.heloName, results, deps);
    if (f10) out.push(f10);
    for (const r of results) {
      const where = `${r.selector ?? '?'}._domainkey.${d.domain}`;
      const result = r.status.result;
      if (result === 'pass') continue;
      const temporary = result === 'temperror';
      out.push(finding(
        'E07', temporary ? 'warning' : 'error', where,
        temporary ? 'the DKIM round trip could not be checked: the DNS lookup failed' : 'a message signed by Petrel does not verify against the published key',
        `dkim=${result}${r.status.comment ? ` (${r.status.comment})` : ''}`, 'dkim=pass',
        temporary ? 'Run petrel doctor again; if it keeps failing, check that the zone\'s name servers answer for this name.' : `Receivers will see this signature fail. Publish the record petrel dkim show ${d.domain} prints at ${where}, exactly, as one TXT record. See the E findings above for what differs.`,
      ));
    }
  }
  return out;
};
