/*
 * What this server publishes for its domains, computed once from the
 * configuration, so that the HTTPS listener (the MTA-STS policy, client
 * autoconfiguration), `petrel dns plan` and `petrel doctor` say the same
 * thing: each domain's client host name, the ports clients use, the
 * MTA-STS policy and its id, where DMARC and TLS reports go.
 *
 * Exports: publishedFor, Published.
 * Security: configuration only.
 */
import type { Config } from '../config/schema.js';
import type { ClientServices } from '../endpoints/http/autoconfig.js';
import { parseListen } from '../net/listen.js';
import { mtaStsPolicy, type MtaStsPublished } from '../sender-auth/mta-sts-policy.js';

export interface Published {
  /** The name users configure for domain (mail.<domain>, or the hostname). */
  clientHost(domain: string): string;
  /** The ports of the client services that are on. */
  services(domain: string): ClientServices;
  mtaSts(domain: string): MtaStsPublished;
  dmarcRua(domain: string): string;
  tlsRptRua(domain: string): string;
}

/** The first TCP port a role listens on, when the role is on. */
function portOf(config: Config, role: 'imap' | 'imaps' | 'pop3' | 'pop3s' | 'submission' | 'submissions' | 'managesieve'): number | undefined {
  const section = config[role];
  if (!section.enabled) return undefined;
  for (const text of section.listen) {
    const a = parseListen(text);
    if (a.kind === 'tcp') return a.port;
  }
  return undefined;
}

export function publishedFor(config: Config): Published {
  const d = config.domains;
  const clientHost = (domain: string) => (d.client_host ? `${d.client_host}.${domain}` : config.hostname);
  const ports = {
    imaps: portOf(config, 'imaps'),
    imap: portOf(config, 'imap'),
    pop3s: portOf(config, 'pop3s'),
    pop3: portOf(config, 'pop3'),
    submissions: portOf(config, 'submissions'),
    submission: portOf(config, 'submission'),
    sieve: portOf(config, 'managesieve'),
  };
  // Every domain's MX is this host, so every policy is the same text.
  const policy = mtaStsPolicy([config.hostname], d.mta_sts_mode, d.mta_sts_max_age);
  return {
    clientHost,
    services: (domain) => ({ host: clientHost(domain), ...ports }),
    mtaSts: () => policy,
    dmarcRua: (domain) => d.dmarc_rua || `postmaster@${domain}`,
    tlsRptRua: (domain) => d.tls_rpt_rua || `postmaster@${domain}`,
  };
}
