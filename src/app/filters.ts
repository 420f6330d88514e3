/*
 * The checks of incoming mail as this server runs them: the filters the
 * configuration turns on, in the order they must run (connection-level
 * first, the spam scorer last, as it reads what the others found), in
 * one FilterPipeline for the SMTP endpoints. Undefined when none is on,
 * so a server without checks pays nothing.
 *
 * Exports: filterPipelineFor.
 * Security: configuration only.
 */
import type { Config } from '../config/schema.js';
import type { DnsClient } from '../dns/client.js';
import { dnsblFilter } from '../filters/dnsbl/filter.js';
import { FilterPipeline } from '../filters/pipeline.js';
import type { Filter } from '../filters/types.js';

export function filterPipelineFor(config: Config, deps: { dns: DnsClient }): FilterPipeline | undefined {
  const filters: Filter[] = [];
  if (config.dnsbl.zones.length > 0) filters.push(dnsblFilter(config.dnsbl, deps.dns));
  return filters.length > 0 ? new FilterPipeline(filters, { stageTimeoutMs: config.filters.stage_timeout }) : undefined;
}
