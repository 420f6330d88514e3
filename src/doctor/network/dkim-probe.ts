/*
 * The DKIM round trip (doctor.md E07): a probe message from each hosted
 * domain is signed on the real signing path (the outbound signer with the
 * domain's active keys from the store) and verified, as a receiver would,
 * by mailauth against the live DNS. E01 to E06 judge the record; this
 * proves that the key that signs and the record that is published belong
 * together, whatever the record looks like.
 *
 * Exports: dkimProbeChecks.
 * Security: the probe is built here and never sent; the verifier asks
 * only TXT through the injected DNS, bounded as for check_host.
 * Standards: RFC 6376 sections 5 (signing) and 6 (verifying).
 */
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { mailauthResolver } from '../dns/spf-eval.js';
import { finding, type Finding } from '../types.js';
import type { NetworkCheck } from './types.js';

interface VerifyResult {
  signingDomain?: string;
  selector?: string;
  status: { result: string; comment?: string };
}

export const dkimProbeChecks: NetworkCheck = async (_host, domains, _net, deps) => {
  const out: Finding[] = [];
  for (const d of domains) {
    const signed = await deps.signProbe(d.domain);
    if (!signed) {
      out.push(finding('E07', 'error', d.domain, 'mail from this domain leaves unsigned', 'no active DKIM key signed the probe', 'a DKIM signature by the domain', `Make a key with petrel dkim rotate ${d.domain} and publish the record it prints; receivers (Gmail, Yahoo) require DKIM from bulk senders.`));
      continue;
    }
    const verified = await dkimVerify(signed, { resolver: mailauthResolver(deps) as never, curTime: new Date(deps.now()) });
    for (const r of verified.results as VerifyResult[]) {
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
