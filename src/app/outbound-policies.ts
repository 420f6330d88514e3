/*
 * The TLS policy sources of outbound delivery, put together for the
 * outbound worker: the MTA-STS policy of a destination domain (looked up
 * through Petrel's resolvers, fetched over HTTPS, cached in the metadata
 * store), and whether DANE applies (delivery/smtp/tls-policy.ts looks the
 * TLSA records up), each switched off by [outbound] mta_sts and dane.
 *
 * Exports: outboundTlsPolicies, PolicySources.
 * Security: see delivery/smtp/tls-policy.ts, sender-auth/mta-sts.ts and
 * sender-auth/dane.ts.
 */
import type { DnsClient } from '../dns/client.js';
import type { MtaStsView } from '../delivery/smtp/tls-policy.js';
import { HttpsPolicyFetcher } from '../sender-auth/mta-sts-fetch.js';
import { MtaStsPolicies, mxAllowed, type MtaStsEvent } from '../sender-auth/mta-sts.js';
import type { MetadataStore } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';

export interface PolicySources {
  mtaSts(domain: string): Promise<MtaStsView>;
  dane: boolean;
}

function logEvent(log: Logger, e: MtaStsEvent): void {
  if (e.type === 'fetched') log.info('MTA-STS policy fetched', { domain: e.domain, id: e.id, mode: e.mode, max_age: e.maxAge });
  else if (e.type === 'fetch-failed') (e.kept === 'enforce' || e.kept === 'testing' ? log.warn : log.info)('MTA-STS policy not fetched', { domain: e.domain, id: e.id, reason: e.reason, kept: e.kept ?? 'none' });
  else log.warn(e.type === 'invalid-record' ? 'MTA-STS record invalid' : 'MTA-STS cache failed', { domain: e.domain, detail: e.detail });
}

export function outboundTlsPolicies(deps: { dns: DnsClient; store: MetadataStore; enabled: { mtaSts: boolean; dane: boolean }; log: Logger }): PolicySources {
  const policies = deps.enabled.mtaSts
    ? new MtaStsPolicies({ dns: deps.dns, fetcher: new HttpsPolicyFetcher({ dns: deps.dns }), cache: deps.store.mtaSts, onEvent: (e) => logEvent(deps.log, e) })
    : undefined;
  return {
    async mtaSts(domain) {
      if (!policies) return { mode: 'none' };
      const p = await policies.policyFor(domain);
      if (p.mode === 'none') return { mode: 'none' };
      return { mode: p.mode, id: p.id, mxAllowed: (host) => mxAllowed(p, host) };
    },
    dane: deps.enabled.dane,
  };
}
