/*
 * The running server: wires configuration, stores, certificates and the
 * listeners of every enabled role, and handles the process signals.
 *
 *   SIGTERM/SIGINT  stop accepting, let transactions in flight finish within
 *                   [shutdown] grace, answer idle clients 421, exit 0.
 *   SIGHUP          reload the configuration's reloadable parts and every
 *                   certificate.
 *   SIGUSR2         look at the outbound queue now (`petrel queue flush`,
 *                   `retry`, `release`), as postqueue -f wakes qmgr, and
 *                   at the quarantine (`petrel quarantine release`).
 *
 * Security: binds the configured addresses (loopback by default); writes
 * <data>/petrel.pid so `petrel cert reload` can signal this process.
 */
import { rmSync, statfsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { ImapEndpoint, MAX_CONNECTIONS_PER_USER_IP } from '../endpoints/imap/index.js';
import { Pop3Endpoint } from '../endpoints/pop3/index.js';
import { ManageSieveEndpoint } from '../endpoints/managesieve/index.js';
import { DEFAULT_MAX_REDIRECTS } from '../sieve/limits.js';
import { openDnsClient } from './dns.js';
import { SieveDelivery } from '../delivery/sieve/index.js';
import { SIEVE_RELOADABLE_KEYS, sieveScriptSettings, sieveScriptsFor } from './sieve-scripts.js';
import { filterPipelineFor, greylistSettingsFrom } from './filters.js';
import { runPeriodically } from './periodic.js';
import { scheduleSpamTraining } from './spam-training.js';
import { scheduleQuarantine } from './quarantine.js';
import { httpEndpointFor } from './http-endpoint.js';
import { clientRatesFor, SmtpEndpoint, type SmtpRole } from '../endpoints/smtp/endpoint.js';
import { MailboxEvents, publishDeliveries } from '../mailbox/events.js';
import { AuthFailures } from '../net/auth-failures.js';
import { SendingLimits } from '../net/sending-limits.js';
import { UserClientLimiter } from '../net/connection-limiter.js';
import { inNetworks, isLoopback } from '../net/ip.js';
import { formatListen, parseListen, type ListenAddress } from '../net/listen.js';
import { BlobReadThread } from '../store/blob/read-thread.js';
import type { Logger } from '../telemetry/logger.js';
import { openCertificateRegistry, type CertificateRegistry } from '../tls/index.js';
import { openStores, type StoreContext } from './context.js';
import { recoverAfterUncleanStop, writePidFile } from './recovery.js';
import { WorkerCommitter } from './worker-committer.js';
import { dkimRotationDeps, scheduleDkimRotation } from './dkim-rotation.js';
import { startAcme, type AcmeService } from './acme.js';
import { kickingCommitter, OutboundThread } from './outbound-thread.js';
import type { Config } from '../config/schema.js';

export type Role = SmtpRole | 'imap' | 'imaps' | 'pop3' | 'pop3s' | 'managesieve' | 'http' | 'https';

export interface Listening {
  role: Role;
  address: string;
}

export interface RunningServer {
  listening: Listening[];
  stores: StoreContext;
  certificates: CertificateRegistry;
  committer: WorkerCommitter;
  /** The change feed every local delivery is published on (IMAP IDLE and NOTIFY listen to it). */
  events: MailboxEvents;
  /** Failed logins per client, shared by SMTP AUTH and IMAP: bans() and lift() for the administrator. */
  authFailures: AuthFailures;
  /** The outbound queue's delivery thread, when [outbound] enabled. */
  outbound: OutboundThread | undefined;
  /** Delivers what `petrel quarantine release` marked; kick() looks now. */
  quarantine: { kick(): void };
  reload(): Promise<void>;
  stop(): Promise<void>;
}

const SMTP_ROLES: SmtpRole[] = ['mx', 'submission', 'submissions', 'lmtp'];
const ROLES: Role[] = [...SMTP_ROLES, 'imap', 'imaps', 'pop3', 'pop3s', 'managesieve', 'http', 'https'];

/** What the server needs of every protocol endpoint. */
interface Endpoint {
  listen(address: ListenAddress): Promise<void>;
  close(graceMs: number): Promise<void>;
}

/** Settings a reload cannot apply to a running process: listeners, identity, storage, certificate sources. */
const RESTART_KEYS = ['hostname', 'data_dir', ...ROLES, 'tls', 'storage', 'directory', 'log', 'outbound', 'dns', 'acme', 'dkim', 'filters', 'dnsbl', 'spam', 'quarantine', 'greylist', 'clamav', 'attachments', 'sender_auth'] as const;

/**
 * Who "this host" is for MX loop detection: its names, and every address
 * it listens on or has (RFC 5321 section 5.1: an MX that is us).
 */
function selfIdentity(config: Config): { names: string[]; addresses: string[] } {
  const addresses = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) addresses.add(i.address);
  for (const role of ROLES) {
    if (!config[role].enabled) continue;
    for (const text of config[role].listen) {
      const a = parseListen(text);
      if (a.kind === 'tcp' && a.host !== '0.0.0.0' && a.host !== '::') addresses.add(a.host);
    }
  }
  const names = [config.hostname, config.outbound.helo_name].filter((n) => n !== '').map((n) => n.toLowerCase());
  return { names, addresses: [...addresses] };
}

/** A cached free-space check: MAIL answers 452 4.3.1 below the threshold. */
function spaceChecker(dir: string, minimum: number): () => boolean {
  let checked = 0;
  let ok = true;
  return () => {
    const now = Date.now();
    if (now - checked > 5000) {
      checked = now;
      try {
        const s = statfsSync(dir);
        ok = s.bavail * s.bsize >= minimum;
      } catch {
        ok = true;
      }
    }
    return ok;
  };
}

export async function startServer(loaded: LoadedConfig, logger: Logger): Promise<RunningServer> {
  let { config } = loaded;
  const startedAt = Date.now();
  const stores = await openStores(loaded);
  try {
    await recoverAfterUncleanStop(stores.paths, stores.store, logger);
  } catch (err) {
    await stores.close();
    throw err;
  }
  const certificates = await openCertificateRegistry(
    {
      certsDir: stores.paths.certs,
      certificates: config.tls.certificate,
      defaultName: config.tls.default_name || undefined,
      selfSignedDir: stores.paths.selfSigned,
      hostname: config.hostname,
    },
    logger.child({}, 'tls'),
  );
  await certificates.setHostedDomains(await stores.directory.hostedNames());
  // Message files and the delivery transaction live on their own thread.
  const committer = new WorkerCommitter(
    { database: stores.paths.database, blobs: stores.paths.blobs, fsync: config.storage.fsync, gc: { intervalMs: config.storage.gc_interval, graceMs: config.storage.gc_grace } },
    logger.child({}, 'commit'),
  );
  await committer.start();
  // Every local delivery (SMTP, LMTP, APPEND) announced to IDLE and NOTIFY sessions once durable.
  const events = new MailboxEvents();
  // Local deliveries announced to IDLE; commits that queued remote recipients wake the outbound worker.
  let outbound: OutboundThread | undefined;
  const publishing = kickingCommitter(publishDeliveries(committer, events), () => outbound?.kick());
  // Failed logins of every protocol counted together; loopback and trusted networks (a webmail, a proxy) speak for many users and are never counted.
  // One user's sessions from one address, counted across the 143 and 993 listeners.
  const userSlots = new UserClientLimiter(MAX_CONNECTIONS_PER_USER_IP);
  const authFailures = new AuthFailures(
    undefined,
    undefined,
    (ip) => isLoopback(ip) || inNetworks(ip, config.smtp.trusted_networks),
    (ban) => logger.warn('client-banned', { client: ban.client, failures: ban.failures, until: new Date(ban.until).toISOString() }),
  );
  const hasSpace = spaceChecker(stores.paths.root, Math.max(100 * 1024 * 1024, 2 * config.smtp.max_message_size));

  // Users' Sieve scripts at local delivery (SMTP, submission, LMTP); the redirect limit is the one ManageSieve announces.
  const sieve = new SieveDelivery({ scripts: stores.store.sieve, mailboxes: stores.store.mailboxes, marks: stores.store.sieveMarks, directory: stores.directory, hostname: config.hostname, maxRedirects: DEFAULT_MAX_REDIRECTS });
  // Shared by every endpoint and updated in place on SIGHUP.
  const limits = { ...config.smtp };
  // The [managesieve] limits on users' scripts, likewise.
  const sieveSettings = sieveScriptSettings(config);
  // One user's submissions counted across the 587 and 465 listeners.
  const sendingLimits = new SendingLimits(() => ({ messages: limits.user_messages_per_hour, recipients: limits.user_recipients_per_hour }));
  // Connections, messages and recipients per minute from one MX client, over every MX listener.
  const clientRates = clientRatesFor(limits);
  const smtpEndpoints: SmtpEndpoint[] = [];
  const endpoints: Endpoint[] = [];
  // Message bytes for FETCH and RETR, read on their own thread; the commit worker is the only writer.
  const blobs = new BlobReadThread(stores.paths.blobs);
  // The checks of incoming mail, shared by the SMTP listeners (each filter says which roles it runs for).
  const filters = filterPipelineFor(config, { dns: openDnsClient(config.dns), bayes: stores.store.bayes, greylist: stores.store.greylist });
  const create = (role: Role): Endpoint => {
    if (role === 'http' || role === 'https') {
      return httpEndpointFor(role === 'https', config, stores, certificates, logger);
    }
    if (role === 'imap' || role === 'imaps') {
      return new ImapEndpoint({ security: role === 'imap' ? 'starttls' : 'implicit', directory: stores.directory, store: stores.store, blobs, committer: publishing, events, authFailures, userSlots, certificates, logger });
    }
    if (role === 'pop3' || role === 'pop3s') {
      return new Pop3Endpoint({ security: role === 'pop3' ? 'starttls' : 'implicit', directory: stores.directory, store: stores.store, blobs, authFailures, events, certificates, logger });
    }
    if (role === 'managesieve') {
      // Scripts are compiled once, here at upload; MAXREDIRECTS is the interpreter's own limit.
      return new ManageSieveEndpoint({ directory: stores.directory, scripts: sieveScriptsFor(config, stores.store.sieve, sieveSettings), authFailures, certificates, logger, maxRedirects: DEFAULT_MAX_REDIRECTS });
    }
    const smtp = new SmtpEndpoint({ role, hostname: config.hostname, directory: stores.directory, committer: publishing, authFailures, sendingLimits, clientRates, certificates, limits, logger, hasSpace, filters, authservId: config.filters.authserv_id || config.hostname, sieve });
    smtpEndpoints.push(smtp);
    return smtp;
  };
  const listening: Listening[] = [];
  // Certificates from the ACME CA, renewed on a schedule and served at once (undefined when [acme] is off).
  let acme: AcmeService | undefined;
  /** Undoes the start when a listener or the outbound worker cannot start. */
  const abandon = async () => {
    await acme?.stop(0);
    await Promise.all(endpoints.map((e) => e.close(0)));
    await blobs.close();
    await committer.close();
    certificates.close();
    await stores.close();
  };
  try {
    acme = startAcme(config, stores, certificates, logger);
    for (const role of ROLES) {
      const section = config[role];
      if (!section.enabled) continue;
      const endpoint = create(role);
      endpoints.push(endpoint);
      for (const text of section.listen) {
        const address = parseListen(text);
        await endpoint.listen(address);
        listening.push({ role, address: formatListen(address) });
        logger.info('listening', { role, address: formatListen(address) });
      }
    }
  } catch (err) {
    await abandon();
    throw err;
  }
  if (config.outbound.enabled) {
    outbound = new OutboundThread(
      {
        database: stores.paths.database,
        blobs: stores.paths.blobs,
        fsync: config.storage.fsync,
        hostname: config.hostname,
        authservId: config.filters.authserv_id || config.hostname,
        logLevel: config.log.level,
        outbound: config.outbound,
        dns: config.dns,
        self: selfIdentity(config),
      },
      { directory: stores.directory, committer: publishing, log: logger.child({}, 'notice'), maxReceived: config.smtp.max_received_headers },
      logger.child({}, 'outbound'),
      (line) => process.stdout.write(`${line}\n`),
    );
    try {
      await outbound.start();
    } catch (err) {
      await abandon();
      throw err;
    }
  }
  // Rotated DKIM keys start signing once their records are visible; the outbound worker reads the keys per message.
  const dkimRotation = scheduleDkimRotation(dkimRotationDeps(config, stores.store.directory), config.dkim.check_interval, logger.child({}, 'dkim'));
  // Moves into and out of Junk teach the Bayes tables.
  const spamTraining = config.spam.enabled && config.spam.bayes.enabled ? scheduleSpamTraining(stores.store, { root: stores.paths.blobs, get: (h) => blobs.get(h) }, config.spam.learn_interval, logger.child({}, 'spam')) : undefined;
  // Held messages the CLI marked are delivered here, through the same committer as any message.
  const quarantine = scheduleQuarantine(
    { quarantine: stores.store.quarantine, directory: stores.directory, committer: publishing, blobs, log: logger.child({}, 'quarantine'), sieve },
    { checkIntervalMs: config.quarantine.check_interval, retentionMs: config.quarantine.retention },
  );
  // Greylisting forgets triplets nobody retried and networks gone quiet.
  const greylist = greylistSettingsFrom(config.greylist);
  const greylistExpiry = config.greylist.enabled
    ? runPeriodically(async () => void (await stores.store.greylist.expire(Date.now(), greylist)), 60 * 60 * 1000, logger.child({}, 'greylist'), 'greylist expiry')
    : undefined;
  writePidFile(stores.paths.pidFile, startedAt);

  return {
    listening,
    stores,
    certificates,
    committer,
    events,
    authFailures,
    outbound,
    quarantine,
    async reload() {
      try {
        const fresh = loadConfig({ file: loaded.file, dataDir: loaded.dataDir });
        // Of [managesieve], only the listeners need a restart; its limits apply at once.
        const restartPart = (c: Config, k: (typeof RESTART_KEYS)[number]) => (k === 'managesieve' ? { ...c.managesieve, ...Object.fromEntries(SIEVE_RELOADABLE_KEYS.map((x) => [x, 0])) } : c[k]);
        const needRestart = RESTART_KEYS.filter((k) => JSON.stringify(restartPart(fresh.config, k)) !== JSON.stringify(restartPart(config, k)));
        if (needRestart.length > 0) logger.warn('reload: these settings take effect at the next restart', { keys: needRestart.join(',') });
        config = fresh.config;
        Object.assign(limits, config.smtp);
        Object.assign(sieveSettings, sieveScriptSettings(config));
        for (const e of smtpEndpoints) e.applyLimits();
      } catch (err) {
        logger.error('reload: configuration invalid, keeping the running one', { reason: err instanceof Error ? err.message : String(err) });
      }
      await certificates.setHostedDomains(await stores.directory.hostedNames());
      const result = await certificates.reload();
      logger.info('reloaded', { certificates: result.loaded, errors: result.errors.length || undefined });
      for (const e of result.errors) logger.warn('certificate not loaded', { reason: e });
    },
    async stop() {
      const grace = config.shutdown.grace;
      logger.info('stopping', { grace_ms: grace });
      dkimRotation.stop();
      spamTraining?.stop();
      quarantine.stop();
      greylistExpiry?.stop();
      await acme?.stop(grace);
      await Promise.all(endpoints.map((e) => e.close(grace)));
      await outbound?.stop(grace);
      await blobs.close();
      await committer.close();
      certificates.close();
      await stores.close();
      rmSync(stores.paths.pidFile, { force: true });
      logger.info('stopped');
    },
  };
}
