/*
 * The server's side of the quarantine: delivering the messages `petrel
 * quarantine release` marked (as if accepted now: the held recipients
 * resolved again, local mailboxes and the outbound queue through the same
 * committer as any message, the entry removed in the delivery's own
 * transaction so a message is released once), and dropping entries held
 * longer than [quarantine] retention. Runs at start, every
 * check_interval, and when the CLI wakes the server (SIGUSR2).
 *
 * Nothing here ever writes a bounce: a held recipient that no longer
 * resolves is left out with a log line.
 *
 * Exports: releaseQuarantined, scheduleQuarantine.
 * Security: the bytes are our own stored blob; the recipients were
 * accepted once and are checked against the directory again.
 */
import { parseAddress } from '../core/address.js';
import { newQueueId } from '../core/ids.js';
import type { MessageCommitter } from '../delivery/committer.js';
import type { SieveDelivery } from '../delivery/sieve/index.js';
import type { Directory } from '../directory/directory.js';
import type { Target } from '../directory/resolve.js';
import { acceptMessage, type AcceptRecipient } from '../pipeline/accept.js';
import type { QuarantinedMessage, QuarantineStore } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import { runPeriodically } from './periodic.js';

export interface QuarantineDeps {
  quarantine: QuarantineStore;
  directory: Directory;
  committer: MessageCommitter;
  blobs: { get(hash: string): Promise<Buffer> };
  log: Logger;
  /** Recipients' Sieve scripts run on a released message, as on one delivered at once (an Amavis release goes back through the LDA too). */
  sieve?: Pick<SieveDelivery, 'plan'>;
}

/** Releases a batch at a time; what is left waits for the next run. */
const BATCH = 100;

async function targetsOf(address: string, directory: Directory): Promise<Target[] | string> {
  const parsed = parseAddress(address);
  if (!parsed.ok) return `not an address (${parsed.problem})`;
  const r = await directory.resolve(parsed.address);
  switch (r.kind) {
    case 'deliver':
      return r.targets;
    case 'not-hosted':
      // Only an authenticated sender's mail reaches a remote recipient: it was accepted for the queue.
      return [{ kind: 'remote', address }];
    default:
      return r.kind === 'unknown' ? 'no such recipient any more' : 'mailbox disabled';
  }
}

async function releaseOne(entry: QuarantinedMessage, deps: QuarantineDeps): Promise<void> {
  const log = deps.log.child({ quarantine: entry.id, queue: entry.queueId });
  const recipients: AcceptRecipient[] = [];
  for (const address of entry.recipients) {
    const targets = await targetsOf(address, deps.directory);
    if (typeof targets === 'string') log.warn('release: recipient left out', { to: `<${address}>`, reason: targets });
    else recipients.push({ address, targets });
  }
  if (recipients.length === 0) {
    await deps.quarantine.delete(entry.id);
    log.warn('release: no recipient left, entry removed');
    return;
  }
  const bytes = await deps.blobs.get(entry.blobHash);
  const queueId = newQueueId();
  const accepted = await acceptMessage(
    {
      queueId,
      source: entry.source,
      sender: entry.sender,
      recipients,
      bytes,
      // Our Received and the filters' fields are in the stored bytes already.
      addMissingHeaders: false,
      accountId: null,
      envelope: entry.envelope,
      lineEndings: 'normalize',
      enforceQuota: false,
      maxReceived: Number.MAX_SAFE_INTEGER,
      releasesQuarantine: entry.id,
      sieve: deps.sieve,
      log,
    },
    deps.committer,
  );
  if (accepted.releaseGone) log.info('release: entry already gone');
  else log.info('released', { new_queue: queueId, nrcpt: recipients.length, from: `<${entry.sender}>` });
}

/** Delivers the entries marked for release; how many were handled. A failed one stays marked for the next run. */
export async function releaseQuarantined(deps: QuarantineDeps): Promise<number> {
  const pending = await deps.quarantine.pendingReleases(BATCH);
  for (const entry of pending) {
    try {
      await releaseOne(entry, deps);
    } catch (err) {
      deps.log.error('release failed, kept for the next run', { quarantine: entry.id, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return pending.length;
}

export function scheduleQuarantine(deps: QuarantineDeps, settings: { checkIntervalMs: number; retentionMs: number }, now: () => number = Date.now): { stop(): void; kick(): void } {
  const run = async () => {
    while ((await releaseQuarantined(deps)) === BATCH);
    if (settings.retentionMs > 0) {
      const expired = await deps.quarantine.expire(now() - settings.retentionMs);
      if (expired > 0) deps.log.info('quarantine expired', { removed: expired });
    }
  };
  const periodic = runPeriodically(run, settings.checkIntervalMs, deps.log, 'quarantine run');
  let running: Promise<void> | undefined;
  return {
    stop: periodic.stop,
    // A wake-up outside the timer; a second one while it runs waits for it (nothing is released twice: the entry goes with the delivery).
    kick() {
      running = (running ?? Promise.resolve()).then(run).catch((err: unknown) => deps.log.warn('quarantine run failed', { reason: err instanceof Error ? err.message : String(err) }));
    },
  };
}
