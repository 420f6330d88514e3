/*
 * The outbound worker: a thread that runs the queue manager
 * (queue/engine.ts) with its SMTP client, DNS, DKIM signing, MTA-STS and
 * DANE, on its own SQLite connection, so that delivering the queue uses
 * the machine's second core and never competes with the SMTP, IMAP and
 * POP3 sessions on the main event loop.
 *
 * What it cannot do itself it asks the main thread: delivering a DSN goes
 * through the main thread's committer (local INBOX with IDLE push, or the
 * queue), and log lines are written by the main thread.
 *
 * Protocol (worker_threads, structured clone):
 *   in:  { kick: true }                  look at the queue now (new mail, flush)
 *   in:  { stop: graceMs }               finish running jobs (at most graceMs), close, exit
 *   in:  { noticeDone: id, error? }      the main thread delivered (or failed) a notice
 *   out: { ready: true } | { fatal: reason }
 *   out: { log: line }                   a formatted log line
 *   out: { notice: { id, bytes, to, body, smtpUtf8, queueId } }
 *
 * Security: messages come from our own main thread only; everything
 * remote (DNS, SMTP, HTTPS for MTA-STS) is untrusted and handled in the
 * modules named.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { attemptDelivery, type AttemptDeps } from '../delivery/smtp/attempt.js';
import { nexthopFor, type RelaySettings } from '../delivery/smtp/nexthop.js';
import { IdleConnectionPool } from '../delivery/smtp/pool.js';
import { QueueDsnSink } from '../queue/bounces.js';
import { OutboundEngine } from '../queue/engine.js';
import { ArcForwarder } from '../sender-auth/arc-forward.js';
import { OutboundSigner, type SigningKeys } from '../sender-auth/outbound-signer.js';
import { blobPath } from '../store/blob/files.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { QueueEntry } from '../store/types.js';
import { createLogger, type Level } from '../telemetry/logger.js';
import { openDnsClient } from './dns.js';
import { outboundTlsPolicies } from './outbound-policies.js';

export interface OutboundWorkerOptions {
  database: string;
  blobs: string;
  fsync: boolean;
  hostname: string;
  /** Our Authentication-Results id ([filters] authserv_id or the hostname), to find the field ARC seals over. */
  authservId: string;
  logLevel: Level;
  outbound: Config['outbound'];
  dns: Config['dns'];
  /** This host's names and addresses (MX loop detection). */
  self: { names: string[]; addresses: string[] };
}

export type OutboundWorkerRequest = { kick: true } | { stop: number } | { noticeDone: number; error?: string };

async function main(): Promise<void> {
  const port = parentPort!;
  const options = workerData as OutboundWorkerOptions;
  const o = options.outbound;
  const log = createLogger({ level: options.logLevel, module: 'outbound', write: (line) => port.postMessage({ log: line }) });
  const store = await openSqliteStore({ path: options.database, fsync: options.fsync });
  const dns = openDnsClient(options.dns);
  // A message file is small and read once per message: a blocking read beats four threadpool round trips (open, stat, read, close).
  const readBlob = async (entry: QueueEntry) => readFileSync(blobPath(options.blobs, entry.blobHash));
  const activeKeys: SigningKeys = async (domain) =>
    (await store.directory.dkimKeys(domain, ['active'])).map((k) => ({ domain: k.domain, selector: k.selector, algorithm: k.algorithm, privateKey: k.privateKey }));
  const signer = new OutboundSigner(activeKeys);
  // Forwarded mail is ARC-sealed by the domain it was addressed to, over the Authentication-Results our MX wrote.
  const arc = new ArcForwarder(activeKeys, options.authservId);
  const pool = new IdleConnectionPool(o.messages_per_connection);
  const relay: RelaySettings | undefined = o.relay.host
    ? { ...o.relay, ca: o.relay.ca_file ? readFileSync(o.relay.ca_file, 'utf8') : undefined }
    : undefined;
  const policies = outboundTlsPolicies({ dns, store, enabled: { mtaSts: o.mta_sts, dane: o.dane }, log });
  const attemptDeps: AttemptDeps = {
    dns,
    self: { names: new Set(options.self.names), addresses: new Set(options.self.addresses) },
    heloName: o.helo_name || options.hostname,
    port: o.port,
    timeouts: { connect: o.connect_timeout, greeting: o.greeting_timeout, reply: o.reply_timeout },
    mtaSts: policies.mtaSts,
    dane: policies.dane,
    pool,
    log,
  };

  // Notices (DSNs) are delivered by the main thread; each waits for its answer.
  const waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  let nextNotice = 1;
  const backoff = { min: o.min_backoff, max: o.max_backoff, lifetime: o.max_lifetime, bounceLifetime: o.bounce_lifetime };
  const dsn = new QueueDsnSink({
    hostname: options.hostname,
    original: readBlob,
    giveUpAt: (entry) => entry.createdAt + (entry.sender === '' ? backoff.bounceLifetime : backoff.lifetime),
    now: Date.now,
    submit: (notice) =>
      new Promise<void>((resolve, reject) => {
        const id = nextNotice++;
        waiting.set(id, { resolve, reject });
        port.postMessage({ notice: { id, ...notice } });
      }),
  });

  const engine = new OutboundEngine(
    {
      ...backoff,
      delayWarning: o.delay_warning,
      destinationConcurrency: o.destination_concurrency,
      destinationRate: o.destination_rate,
      maxConnections: o.max_connections,
      recipientsPerMessage: o.recipients_per_message,
      poisonAfter: o.poison_after,
      restartSpread: o.restart_spread,
    },
    {
      store: store.queue,
      async prepare(entry) {
        const signed = await signer.sign(await readBlob(entry));
        if (signed.selectors.length > 0) log.debug('signed', { queue: entry.queueId, d: signed.domain, s: signed.selectors.join(',') });
        const sealed = await arc.seal(entry, signed.bytes);
        if (sealed.sealed) log.debug('arc sealed', { queue: entry.queueId, d: sealed.sealed.domain, i: sealed.sealed.instance, cv: sealed.sealed.cv });
        return sealed.bytes;
      },
      nexthop: (domain) => nexthopFor(domain, o.route, relay),
      attempt: (job, nexthop) => attemptDelivery(job, nexthop, { ...attemptDeps, log: log.child({ queue: job.queueId }) }),
      dsn,
      now: Date.now,
      random: Math.random,
      log,
    },
  );

  port.on('message', (message: OutboundWorkerRequest) => {
    if ('kick' in message) engine.kick();
    else if ('noticeDone' in message) {
      const w = waiting.get(message.noticeDone);
      waiting.delete(message.noticeDone);
      if (message.error) w?.reject(new Error(message.error));
      else w?.resolve();
    } else if ('stop' in message) {
      void engine.stop(message.stop).then(async () => {
        pool.closeAll();
        await store.close();
        port.close();
      });
    }
  });
  await engine.start();
  port.postMessage({ ready: true });
}

if (parentPort) void main().catch((err: unknown) => {
  parentPort!.postMessage({ fatal: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
