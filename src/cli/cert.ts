/*
 * `petrel cert list | reload | issue [NAME...] | renew [--force] |
 * rollover [NAME]`.
 *
 *   list      the certificates the server reads (names, issuer, expiry) and
 *             the listeners that serve them
 *   reload    signals the running server (SIGHUP through <data>/petrel.pid),
 *             which re-reads every certificate
 *   issue     orders the configured ACME certificates now (those NAMEs name
 *             or contain, or all), whether due or not
 *   renew     renews what is due (missing or changed ones are issued);
 *             --force: every configured certificate now
 *   rollover  switches a certificate (the host's by default) to its next
 *             key, only once the next key's TLSA record is visible in the
 *             DNS; otherwise prints the record to publish and exits 1
 *
 * issue, renew and rollover work while the server runs: the lineage's lock
 * file keeps the two from writing one certificate at once, the HTTP-01
 * challenges go into the shared store, which the running server's [http]
 * listener answers from, and the server is signalled to reload afterwards.
 * With no server running, issue and renew open the [http] listener
 * themselves for the time of the orders (as certbot's standalone mode
 * does), answering the challenges from the same store.
 *
 * Security: operator command, with the server's privileges over the data
 * directory; writes private keys through the ACME layout (0600); prints
 * public-key digests only.
 * Standards: RFC 8555 (via app/acme.ts), RFC 7671 section 8.1 (rollover).
 */
import { acmeManagerFor, describeOutcome, wantedCertificates } from '../app/acme.js';
import type { DataPaths } from '../app/paths.js';
import { dataPaths } from '../app/paths.js';
import type { StoreContext } from '../app/context.js';
import { httpEndpointFor } from '../app/http-endpoint.js';
import { readPidFile } from '../app/recovery.js';
import { tlsSettingsFor } from '../app/tls-settings.js';
import { tlsaLookupFor, tlsaOwner, tlsaRecordLine } from '../app/tlsa.js';
import type { Config } from '../config/schema.js';
import { parseListen } from '../net/listen.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import type { CertificateRequest, RenewalOutcome } from '../tls/acme/index.js';
import { describeCertificates, normalizeCertificateName, openCertificateRegistry } from '../tls/index.js';
import { UsageError, type CommandContext } from './context.js';
import type { Io } from './io.js';

const TLS_ROLES = ['mx', 'submission', 'submissions', 'lmtp'] as const;
const USAGE = 'usage: petrel cert list | reload | issue [NAME...] | renew [--force] | rollover [NAME]';

/** SIGHUP to the running server; false (with the reason on stderr) when there is none or it cannot be signalled. */
function signalServer(paths: DataPaths, io: Io): boolean {
  const running = readPidFile(paths.pidFile);
  if (!running) {
    io.err(`no running server found (no ${paths.pidFile})`);
    return false;
  }
  try {
    process.kill(running.pid, 'SIGHUP');
  } catch (err) {
    io.err(`could not signal process ${running.pid}: ${(err as Error).message}`);
    return false;
  }
  io.out(`asked the server (pid ${running.pid}) to reload its configuration and certificates`);
  return true;
}

/** The configured certificates that the NAMEs name (by directory or by any name they hold), or all of them. */
function select(wanted: CertificateRequest[], names: string[]): CertificateRequest[] {
  if (names.length === 0) return wanted;
  return names.map((raw) => {
    const name = normalizeCertificateName(raw);
    const found = wanted.find((r) => r.name === name || (name !== undefined && r.names.includes(name)));
    if (!found) throw new UsageError(`${raw} is in none of the configured certificates: ${wanted.map((r) => r.name).join(', ')}`);
    return found;
  });
}

async function acmeCommand(ctx: CommandContext, action: 'issue' | 'renew' | 'rollover', rest: string[]): Promise<number> {
  return ctx.withStores(async (stores, { config }) => {
    if (!config.acme.enabled) {
      ctx.io.err('ACME is off: set [acme] enabled = true (and directory_url, email) in the configuration');
      return 1;
    }
    const logger = createLogger({ level: 'warn', write: (l) => ctx.io.err(l) });
    const manager = acmeManagerFor(config, stores.paths, stores.store.acme, logger);
    if (action === 'rollover') return rollover(ctx, config, stores.paths, manager, rest);

    const standalone = config.acme.challenge === 'http-01' && !readPidFile(stores.paths.pidFile) ? await standaloneHttp(ctx.io, config, stores, logger) : undefined;
    try {
      return await order(ctx, action, rest, config, stores, manager);
    } finally {
      await standalone?.close();
    }
  });
}

/**
 * The [http] listener for the challenges while no server runs: the same endpoint the server runs, on the same
 * addresses; undefined (with the reason) when it is off or cannot bind (something else answers port 80: it must then
 * serve /.well-known/acme-challenge/ from this data directory, or proxy it here).
 */
async function standaloneHttp(io: Io, config: Config, stores: StoreContext, logger: Logger): Promise<{ close(): Promise<void> } | undefined> {
  if (!config.http.enabled) {
    io.err('note: no running server and [http] is off: HTTP-01 needs something answering /.well-known/acme-challenge/ on port 80 from this data directory');
    return undefined;
  }
  const certificates = await openCertificateRegistry(tlsSettingsFor(config, stores.paths), logger, { watch: false });
  const endpoint = httpEndpointFor(false, config, stores, certificates, logger);
  const close = async () => {
    await endpoint.close(1000);
    certificates.close();
  };
  try {
    for (const address of config.http.listen) await endpoint.listen(parseListen(address));
  } catch (err) {
    io.err(`note: no running server, and the [http] listener could not open (${(err as Error).message}): whatever holds it must answer /.well-known/acme-challenge/ from this data directory`);
    await close();
    return undefined;
  }
  io.err(`no running server: answering HTTP-01 challenges on ${config.http.listen.join(', ')} while the orders run`);
  return { close };
}

async function order(ctx: CommandContext, action: 'issue' | 'renew', rest: string[], config: Config, stores: StoreContext, manager: ReturnType<typeof acmeManagerFor>): Promise<number> {
  const wanted = await wantedCertificates(config, stores.directory);
  let outcomes: RenewalOutcome[];
  if (action === 'renew' && ctx.options.force !== true) {
    outcomes = await manager.renewDue(wanted);
  } else {
    outcomes = [];
    for (const request of select(wanted, action === 'issue' ? rest : [])) {
      try {
        outcomes.push({ name: request.name, outcome: 'issued', result: await manager.issue(request) });
      } catch (err) {
        outcomes.push({ name: request.name, outcome: 'failed', error: (err as Error).message, retryAt: new Date() });
      }
    }
  }
  for (const o of outcomes) {
    if (o.outcome === 'failed') ctx.io.err(describeOutcome(o));
    else ctx.io.out(describeOutcome(o));
  }
  if (outcomes.some((o) => o.outcome === 'issued' || o.outcome === 'renewed') && readPidFile(stores.paths.pidFile)) signalServer(stores.paths, ctx.io);
  return outcomes.some((o) => o.outcome === 'failed') ? 1 : 0;
}

async function rollover(ctx: CommandContext, config: Config, paths: DataPaths, manager: ReturnType<typeof acmeManagerFor>, rest: string[]): Promise<number> {
  if (rest.length > 1) throw new UsageError('usage: petrel cert rollover [NAME]');
  const name = rest[0] !== undefined ? normalizeCertificateName(rest[0]) : normalizeCertificateName(config.hostname);
  if (name === undefined) throw new UsageError(`${rest[0] ?? config.hostname} cannot name a certificate`);
  const visible = tlsaLookupFor(config);
  const result = await manager.rollover(name, (spki, lineage) => visible(lineage, spki));
  if (result.outcome === 'not-published') {
    ctx.io.err(`${name}: the next key's TLSA record is not visible at ${tlsaOwner(name)} through [dns] resolvers; publish it beside the current one, wait one TTL, and run petrel cert rollover again:`);
    ctx.io.out(tlsaRecordLine(name, result.next));
    return 1;
  }
  const { dane } = result.result;
  ctx.io.out(`rolled over ${name}: the key served now is ${dane.current} (was ${result.previous ?? 'none'})`);
  if (dane.next) {
    ctx.io.out(`publish the new next key now, for the next rollover:`);
    ctx.io.out(tlsaRecordLine(name, dane.next));
  }
  if (result.previous) ctx.io.out(`the record "3 1 1 ${result.previous}" can be removed once its TTL has passed`);
  if (readPidFile(paths.pidFile)) signalServer(paths, ctx.io);
  return 0;
}

/** What ACME manages: each lineage's renewal date, its keys for DANE and whether a rollover waits. */
async function listManaged(ctx: CommandContext, config: Config, paths: DataPaths): Promise<void> {
  const managed = await ctx.withStores((stores) => acmeManagerFor(config, paths, stores.store.acme, createLogger({ level: 'error', write: (l) => ctx.io.err(l) })).list());
  ctx.io.out('');
  ctx.io.out(managed.length === 0 ? 'ACME: no certificate issued yet (petrel cert issue, or the running server within minutes)' : `ACME (${config.acme.directory_url}):`);
  for (const m of managed) {
    ctx.io.out(`  ${m.name}: ${m.names.join(', ')}; expires ${m.notAfter.toISOString()}, renews after ${m.renewAt.toISOString()}${m.consistent ? '' : '; chain and key disagree: the next run issues it again'}`);
    if (m.dane.current) ctx.io.out(`    key served now: TLSA 3 1 1 ${m.dane.current}`);
    if (m.dane.next) ctx.io.out(`    next key:       TLSA 3 1 1 ${m.dane.next}${m.rolloverPending ? ' (published: the next renewal switches to it)' : ' (petrel cert rollover switches once its record is in the DNS)'}`);
  }
}

export async function cert(ctx: CommandContext): Promise<number> {
  const [action, ...rest] = ctx.args;
  if (action === 'issue' || action === 'renew' || action === 'rollover') return acmeCommand(ctx, action, rest);
  const loaded = ctx.loadConfig();
  const { config } = loaded;
  const paths = dataPaths(loaded.dataDir, config);
  switch (action) {
    case 'list': {
      const registry = await openCertificateRegistry(tlsSettingsFor(config, paths), createLogger({ level: 'error', write: (l) => ctx.io.err(l) }), { watch: false });
      try {
        for (const line of describeCertificates(registry.list()).split('\n')) ctx.io.out(line);
        const listeners = TLS_ROLES.filter((r) => config[r].enabled).flatMap((r) => config[r].listen.map((l) => `${r} ${l}${r === 'submissions' ? ' (implicit TLS)' : ' (STARTTLS)'}`));
        ctx.io.out('');
        ctx.io.out('Served by SNI on every TLS listener:');
        for (const l of listeners) ctx.io.out(`  ${l}`);
        if (config.acme.enabled) await listManaged(ctx, config, paths);
      } finally {
        registry.close();
      }
      return 0;
    }
    case 'reload':
      return signalServer(paths, ctx.io) ? 0 : 1;
    default:
      throw new UsageError(USAGE);
  }
}
