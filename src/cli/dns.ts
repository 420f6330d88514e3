/*
 * `petrel dns plan DOMAIN [--json]`: every record the domain (and the
 * mail host) must publish, with the real values, as zone-file lines or
 * JSON (dns/plan.ts). `petrel domain add` prints the same plan.
 *
 * Security: operator command; prints public keys and hashes only.
 */
import { acmeIssuer, publicAddresses } from '../app/addresses.js';
import type { StoreContext } from '../app/context.js';
import { publishedFor } from '../app/published.js';
import { tlsaKeysFor } from '../app/tlsa.js';
import type { Config } from '../config/schema.js';
import { domainToAscii } from '../core/address.js';
import { planDomain, planZoneText, type Plan } from '../dns/plan.js';
import { recordName } from '../sender-auth/dkim-rotation.js';
import { need, UsageError, type CommandContext } from './context.js';
import { PUBLISHED_STATES } from './dkim.js';

/** The plan for a hosted domain (an A-label or a Unicode name). */
export async function domainPlan(stores: StoreContext, config: Config, name: string): Promise<Plan> {
  const domain = domainToAscii(name);
  if (!domain || !(await stores.directory.isHosted(domain))) throw new UsageError(`${name} is not a hosted domain (petrel domain add ${name})`);
  const published = publishedFor(config);
  const { ipv4, ipv6 } = publicAddresses(config);
  // Keys about to sign, signing, and those that stopped lately: all must be published (petrel dkim show).
  const keys = (await stores.directory.dkimKeys(domain)).filter((k) => PUBLISHED_STATES.includes(k.state));
  return planDomain({
    domain,
    hostname: config.hostname,
    heloName: config.outbound.helo_name || config.hostname,
    ipv4,
    ipv6,
    clientHost: published.clientHost(domain),
    dkim: keys.map((k) => ({ selector: k.selector, algorithm: k.algorithm, publicKey: k.publicKey })),
    dmarc: { policy: config.domains.dmarc_policy, rua: published.dmarcRua(domain) },
    tlsRptRua: published.tlsRptRua(domain),
    mtaSts: published.mtaSts(domain),
    services: published.services(domain),
    tlsa: await tlsaKeysFor(config, stores.paths, await stores.directory.hostedNames()),
    caa: acmeIssuer(config),
  });
}

export async function dns(ctx: CommandContext): Promise<number> {
  const [action, ...rest] = ctx.args;
  if (action !== 'plan') throw new UsageError('usage: petrel dns plan DOMAIN [--json]');
  need(rest, 1, 'petrel dns plan DOMAIN [--json]');
  return ctx.withStores(async (stores, { config }) => {
    const plan = await domainPlan(stores, config, rest[0]!);
    if (ctx.options.json) ctx.io.out(JSON.stringify(plan, null, 2));
    else {
      ctx.io.out(planZoneText(plan).trimEnd());
      for (const k of (await stores.directory.dkimKeys(rest[0]!)).filter((x) => x.state === 'retired')) ctx.io.out(`; ${recordName(k)}: a retired DKIM key, its record can be removed`);
    }
    return 0;
  });
}
