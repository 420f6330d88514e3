/*
 * ACME wired for `petrel serve` and `petrel cert issue|renew|rollover`:
 * the manager built from [acme] (DNS-01 through [acme.dns_update], the
 * CA's HTTPS trusted through directory_ca or the system's roots), the
 * certificates this server wants (names.ts: the host, and per hosted
 * domain its client, mta-sts, autoconfig and autodiscover names, read
 * from the directory at every run so a domain added while the server runs
 * gets its certificate at the next run), and the server's renewal
 * scheduler: a first run a little after start, then every hour, one run
 * at a time on an unref'd timer, stopped on shutdown (waiting for a run
 * in progress no longer than the shutdown grace). A written
 * certificate reloads the server's certificate registry at once, so every
 * TLS listener serves it at the next handshake without a restart. A due
 * renewal rolls over to the next key by itself when that key's TLSA record
 * is visible (tlsa.ts says what visible means).
 *
 * The CLI runs its own manager beside the server's: both take the lineage's
 * lock file, the account and HTTP-01 challenges live in the shared store,
 * so the running server's [http] listener answers the CLI's challenges.
 *
 * Exports: acmeManagerFor, wantedCertificates, startAcme, AcmeService,
 * describeOutcome.
 *
 * Security: see tls/acme/manager.ts (keys, CA answers). directory_ca is
 * read once, from the configuration's path, with the caller's privileges.
 * Standards: RFC 8555, RFC 7671 section 8.1 (via the manager and tlsa.ts).
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { dnsUpdaterFromConfig } from '../dns/update.js';
import type { AcmeStore } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { CertificateRegistry } from '../tls/index.js';
import {
  AcmeManager,
  acmeSettingsFrom,
  certificateRequestsFor,
  startRenewalScheduler,
  type AcmeManagerOptions,
  type CertificateRequest,
  type RenewalOutcome,
} from '../tls/acme/index.js';
import type { StoreContext } from './context.js';
import type { DataPaths } from './paths.js';
import { publishedFor } from './published.js';
import { tlsaLookupFor } from './tlsa.js';

/** The manager [acme] describes; throws (naming the key) when DNS-01 lacks its update server or key, or directory_ca cannot be read. */
export function acmeManagerFor(
  config: Config,
  paths: DataPaths,
  store: AcmeStore,
  logger: Logger,
  options: Pick<AcmeManagerOptions, 'onIssued' | 'nextKeyPublished'> = {},
): AcmeManager {
  const acme = config.acme;
  let directoryCa: string | undefined;
  if (acme.directory_ca) {
    try {
      directoryCa = readFileSync(acme.directory_ca, 'utf8');
    } catch (err) {
      throw new Error(`acme.directory_ca: cannot read ${acme.directory_ca}: ${(err as Error).message}`);
    }
  }
  return new AcmeManager({
    settings: acmeSettingsFrom(acme, config.hostname),
    certsDir: paths.certs,
    store,
    logger,
    dns: acme.challenge === 'dns-01' ? dnsUpdaterFromConfig(acme.dns_update) : undefined,
    dnsPropagationMs: acme.dns_update.propagation,
    directoryCa,
    ...options,
  });
}

/** The certificates this server wants now: the host's, then one per hosted domain. */
export async function wantedCertificates(config: Config, directory: { hostedNames(): Promise<string[]> }): Promise<CertificateRequest[]> {
  return certificateRequestsFor({ hostname: config.hostname, domains: await directory.hostedNames(), clientHost: publishedFor(config).clientHost });
}

/** One line for an operator: what happened to a certificate. */
export function describeOutcome(o: RenewalOutcome): string {
  switch (o.outcome) {
    case 'issued':
    case 'renewed':
      return `${o.outcome} ${o.name} (${o.result.names.join(', ')}), valid until ${o.result.notAfter.toISOString()}${o.result.rolledOver ? ', rolled over to the next key' : ''}`;
    case 'not-due':
      return `${o.name}: not due, renews after ${o.renewAt.toISOString()}`;
    case 'waiting':
      return `${o.name}: failed earlier, tried again after ${o.retryAt.toISOString()}`;
    case 'failed':
      return `${o.name}: FAILED: ${o.error}`;
  }
}

export interface AcmeService {
  /** Runs the renewal job now (or waits for the run in progress). */
  runNow(): Promise<void>;
  /** No more runs; waits for a run in progress at most graceMs (an order left then fails and leaves its lock to be taken over). */
  stop(graceMs: number): Promise<void>;
}

/** The server's ACME: undefined when [acme] is off. The first run is RENEW_FIRST_CHECK_MS after start. */
export function startAcme(config: Config, stores: StoreContext, certificates: CertificateRegistry, logger: Logger): AcmeService | undefined {
  if (!config.acme.enabled) return undefined;
  const log = logger.child({}, 'acme');
  if (config.acme.challenge === 'http-01' && !config.http.enabled) {
    log.warn('acme http-01 needs the [http] listener (port 80) or a proxy that forwards /.well-known/acme-challenge/ to one');
  }
  const manager = acmeManagerFor(config, stores.paths, stores.store.acme, log, {
    onIssued: async (result) => {
      const reload = await certificates.reload();
      log.info('certificate served', { name: result.name, certificates: reload.loaded, errors: reload.errors.length || undefined });
      for (const e of reload.errors) log.warn('certificate not loaded', { reason: e });
    },
    nextKeyPublished: tlsaLookupFor(config),
  });
  const scheduler = startRenewalScheduler({
    job: async () => {
      const outcomes = await manager.renewDue(await wantedCertificates(config, stores.directory));
      const count = (kind: RenewalOutcome['outcome']) => outcomes.filter((o) => o.outcome === kind).length || undefined;
      log.info('acme renewal run', { certificates: outcomes.length, issued: count('issued'), renewed: count('renewed'), failed: count('failed'), waiting: count('waiting') });
    },
    logger: log,
  });
  return {
    runNow: () => scheduler.runNow(),
    async stop(graceMs) {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)).unref());
      await Promise.race([scheduler.stop(), waited]);
      clearTimeout(timer);
    },
  };
}
