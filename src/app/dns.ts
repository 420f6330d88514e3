/*
 * The DNS client every lookup of the server goes through, on the
 * resolvers the operator configured ([dns] resolvers; the system's when
 * empty): Petrel's own wire client, which sees the AD bit DANE needs,
 * behind a cache.
 *
 * Exports: openDnsClient.
 * Security: see dns/wire-client.ts.
 */
import type { Config } from '../config/schema.js';
import type { DnsClient } from '../dns/client.js';
import { CachingDnsClient } from '../dns/cache.js';
import { WireDnsClient } from '../dns/wire-client.js';

/** Answers are cached by their TTL, so a queue run asks once per domain. */
export function openDnsClient(config: Config['dns']): DnsClient {
  return new CachingDnsClient(new WireDnsClient({ servers: config.resolvers, timeoutMs: config.timeout, tries: config.tries }));
}
