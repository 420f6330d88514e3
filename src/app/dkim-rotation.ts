/*
 * Wiring of the DKIM switch step (sender-auth/dkim-rotation.ts) for the
 * server and the CLI: its lookups go to the configured resolvers ([dns])
 * without the cache, so a record published a minute ago is seen at the
 * next check however long the previous NXDOMAIN said it would last; the
 * server runs it once at start and every [dkim] check_interval on an
 * unref'd timer that never overlaps itself.
 *
 * Exports: dkimRotationDeps, scheduleDkimRotation, logRotationReport.
 * Security: see sender-auth/dkim-rotation.ts.
 */
import type { Config } from '../config/schema.js';
import { WireDnsClient } from '../dns/wire-client.js';
import { runDkimRotation, recordName, type RotationDeps, type RotationReport } from '../sender-auth/dkim-rotation.js';
import type { DkimKeyStore } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import { runPeriodically } from './periodic.js';

export function dkimRotationDeps(config: Config, keys: DkimKeyStore, now: () => number = Date.now): RotationDeps {
  return {
    keys,
    dns: new WireDnsClient({ servers: config.dns.resolvers, timeoutMs: config.dns.timeout, tries: config.dns.tries }),
    now,
    retireAfterMs: config.dkim.retire_after,
  };
}

/** One log line per key that changed or is still waiting on its record. */
export function logRotationReport(report: RotationReport, log: Logger): void {
  for (const c of report.checked) {
    if (c.outcome === 'activated') log.info('dkim-key-active', { domain: c.key.domain, s: c.key.selector, retiring: c.retiring.map((k) => k.selector).join(',') || undefined });
    else log.info('dkim-key-pending', { domain: c.key.domain, s: c.key.selector, record: recordName(c.key), reason: c.detail });
  }
  for (const k of report.retired) log.info('dkim-key-retired', { domain: k.domain, s: k.selector, record: recordName(k), note: 'the record can be removed' });
}

/** Runs the step now and every intervalMs until stop(). */
export function scheduleDkimRotation(deps: RotationDeps, intervalMs: number, log: Logger): { stop(): void } {
  return runPeriodically(async () => logRotationReport(await runDkimRotation(deps), log), intervalMs, log, 'dkim rotation check');
}
