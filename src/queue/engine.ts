/*
 * The outbound queue manager, after Postfix's qmgr: it reads due messages
 * from the durable queue, splits each into jobs (the recipients of one
 * next hop, at most recipients_per_message each), and runs the jobs per
 * destination under a concurrency limit, a rate limit and a global
 * connection limit, so that one slow or dead destination never holds up
 * the others. Every result is recorded durably (queue/status-writer.ts)
 * before anything depends on it; a message is removed from the queue
 * once every recipient is final and its DSNs are out.
 *
 * Per attempt, per recipient:
 *   delivered  the remote 250; a "relayed" DSN when NOTIFY=SUCCESS and
 *              the remote does not offer DSN (RFC 3461 section 6.2.2)
 *   bounced    a 5xx, or a permanent routing failure; the failure DSN
 *              when NOTIFY allows (queue/bounces.ts), never to <>
 *   deferred   a 4xx, no answer, DNS trouble: retried with exponential
 *              backoff (queue/backoff.ts) until the queue lifetime runs
 *              out, then bounced with 4.4.7; a delay warning once when
 *              delay_warning is set and NOTIFY allows.
 *
 * Dead destinations: a job that reaches no host at all marks its
 * destination dead until the next retry time; its other queued jobs are
 * deferred at once with the same reason instead of each waiting through
 * the same timeouts ("delivery temporarily suspended", as Postfix says).
 *
 * Poison messages: an error inside Petrel (the message file unreadable,
 * signing failing...) is counted per message; after poison_after in a row
 * the message is held with its error, and the queue keeps flowing.
 *
 * Restarts: deferred recipients whose time passed while Petrel was down
 * are spread over restart_spread; DSNs recorded as owed but not yet sent
 * when the process died are sent at start.
 *
 * Exports: OutboundEngine, EngineOptions, EngineDeps, DsnSink, DsnNotice.
 * Security: works on messages already accepted; every remote reply is
 * treated as untrusted text. Memory is bounded: at most MAX_ACTIVE
 * messages in memory, message bytes only while one of their jobs runs.
 */
import type { AttemptJob, AttemptReport } from '../delivery/smtp/attempt.js';
import type { Nexthop } from '../delivery/smtp/nexthop.js';
import { wantsDsn } from '../mime/dsn.js';
import type { DsnOwed, QueueEntry, QueueRecipient, QueueStore, RecipientResult } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import { expired, retryAt, type Backoff } from './backoff.js';
import { StatusWriter } from './status-writer.js';

/** Messages held in memory at once (Postfix's qmgr_message_active_limit is 20,000). */
const MAX_ACTIVE = 5000;
/** Messages read from the store per sweep step. */
const SWEEP_BATCH = 500;
/** The longest the engine sleeps before looking at the queue again (CLI changes, another node's mail). */
const MAX_SLEEP_MS = 30_000;
/** How often the queue is read again while messages are being delivered (new mail kicks it at once anyway). */
const BUSY_SLEEP_MS = 1000;
/** Coalesces a burst of kicks (one per accepted message) into one sweep. */
const KICK_DELAY_MS = 5;

export interface EngineOptions extends Backoff {
  /** 0: no delay warnings. */
  delayWarning: number;
  destinationConcurrency: number;
  /** Messages per minute per destination; 0 is no limit. */
  destinationRate: number;
  maxConnections: number;
  recipientsPerMessage: number;
  poisonAfter: number;
  restartSpread: number;
}

/** A DSN to send for a message: which recipients, what happened. */
export interface DsnNotice {
  kind: 'failure' | 'delay' | 'success';
  entry: QueueEntry;
  recipients: { recipient: QueueRecipient; result: Pick<RecipientResult, 'reply' | 'statusCode' | 'host' | 'at'>; action: 'failed' | 'delayed' | 'relayed' | 'delivered' }[];
}

/** Builds and sends a DSN (queue/bounces.ts); resolves once it is durably queued or delivered. */
export interface DsnSink {
  send(notice: DsnNotice): Promise<void>;
}

export interface EngineDeps {
  store: QueueStore;
  /** The message as it goes out: read from its blob and signed (DKIM) once per message. */
  prepare(entry: QueueEntry): Promise<Buffer>;
  nexthop(domain: string): Nexthop;
  attempt(job: AttemptJob, nexthop: Nexthop): Promise<AttemptReport>;
  dsn: DsnSink;
  now: () => number;
  random: () => number;
  log: Logger;
}

interface Active {
  entry: QueueEntry;
  jobsLeft: number;
  message: Promise<Buffer> | undefined;
  /** DSNs owed by this pass's results, sent when its last job ends. */
  owed: DsnNotice['recipients'];
  delayed: DsnNotice['recipients'];
  failedInside: boolean;
}

interface Job {
  active: Active;
  recipients: QueueRecipient[];
}

interface Destination {
  nexthop: Nexthop;
  jobs: Job[];
  running: number;
  /** Rate limit: the earliest time (performance.now()) the next job may start. */
  nextStart: number;
  /** Dead until then, with the reason. */
  deadUntil: number;
  deadReason: string;
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

export class OutboundEngine {
  private readonly active = new Map<string, Active>();
  private readonly destinations = new Map<string, Destination>();
  private readonly writer: StatusWriter;
  private running = 0;
  private stopping = false;
  private sweeping: Promise<void> | undefined;
  private sweepAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private kickTimer: NodeJS.Timeout | undefined;
  private dispatchTimer: NodeJS.Timeout | undefined;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly options: EngineOptions,
    private readonly deps: EngineDeps,
  ) {
    this.writer = new StatusWriter(deps.store);
  }

  /** Spreads what was overdue during downtime, sends owed DSNs, and starts sweeping. */
  async start(): Promise<void> {
    const now = this.deps.now();
    const spread = await this.deps.store.spreadOverdue(now, this.options.restartSpread, this.deps.random);
    if (spread > 0) this.deps.log.info('overdue deferred recipients spread', { recipients: spread, over_ms: this.options.restartSpread });
    for (const entry of await this.deps.store.dsnOwed(1000)) await this.sendOwed(entry);
    this.kick();
  }

  /** New mail was queued, or the operator asked for a flush: look at the queue now. */
  kick(): void {
    if (this.stopping || this.kickTimer) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = undefined;
      void this.sweep();
    }, KICK_DELAY_MS);
  }

  /** Messages in memory and jobs running, for metrics. */
  get load(): { active: number; running: number; destinations: number } {
    return { active: this.active.size, running: this.running, destinations: this.destinations.size };
  }

  /** Stops taking jobs and waits (at most graceMs) for those running. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const t of [this.timer, this.kickTimer, this.dispatchTimer]) if (t) clearTimeout(t);
    await this.sweeping;
    if (this.running > 0) {
      await Promise.race([new Promise<void>((resolve) => this.idleWaiters.push(resolve)), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    }
    await this.writer.flush();
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) {
      this.sweepAgain = true;
      return this.sweeping;
    }
    this.sweeping = (async () => {
      do {
        this.sweepAgain = false;
        try {
          await this.readDue();
        } catch (err) {
          this.deps.log.error('queue sweep failed', { reason: err instanceof Error ? err.message : String(err) });
        }
      } while (this.sweepAgain && !this.stopping);
    })();
    await this.sweeping;
    this.sweeping = undefined;
    if (!this.stopping) await this.sleep();
  }

  private async readDue(): Promise<void> {
    let cursor = '';
    while (!this.stopping && this.active.size < MAX_ACTIVE) {
      const now = this.deps.now();
      const ids = await this.deps.store.dueIds(now, cursor, SWEEP_BATCH);
      // Only messages not in memory already are loaded: a sweep during a long run reads ids, not whole entries.
      const fresh = ids.filter((id) => !this.active.has(id)).slice(0, MAX_ACTIVE - this.active.size);
      for (const entry of fresh.length > 0 ? await this.deps.store.getMany(fresh) : []) if (!this.active.has(entry.queueId)) this.admit(entry, now);
      this.dispatch();
      if (ids.length < SWEEP_BATCH) break;
      cursor = ids[ids.length - 1]!;
    }
  }

  /** Sleeps until the next recipient is due (or MAX_SLEEP_MS). */
  private async sleep(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    let next: number | null = null;
    try {
      next = await this.deps.store.nextDue();
    } catch {
      next = null;
    }
    const now = this.deps.now();
    // While messages are in memory, the earliest due time is usually one of theirs: look again in a second, not at once.
    const floor = this.active.size > 0 ? BUSY_SLEEP_MS : 50;
    const wait = Math.max(floor, Math.min(MAX_SLEEP_MS, next === null ? MAX_SLEEP_MS : next - now));
    this.timer = setTimeout(() => void this.sweep(), wait);
    this.timer.unref();
  }

  /** Splits a due message into jobs per next hop. */
  private admit(entry: QueueEntry, now: number): void {
    const due = entry.recipients.filter((r) => (r.status === 'queued' || r.status === 'deferred') && r.nextAttempt <= now);
    if (due.length === 0) return;
    const active: Active = { entry, jobsLeft: 0, message: undefined, owed: [], delayed: [], failedInside: false };
    const byHop = new Map<string, { nexthop: Nexthop; recipients: QueueRecipient[] }>();
    for (const r of due) {
      const nexthop = this.deps.nexthop(domainOf(r.recipient));
      const group = byHop.get(nexthop.key) ?? { nexthop, recipients: [] };
      group.recipients.push(r);
      byHop.set(nexthop.key, group);
    }
    for (const { nexthop, recipients } of byHop.values()) {
      let dest = this.destinations.get(nexthop.key);
      if (!dest) this.destinations.set(nexthop.key, (dest = { nexthop, jobs: [], running: 0, nextStart: 0, deadUntil: 0, deadReason: '' }));
      for (let i = 0; i < recipients.length; i += this.options.recipientsPerMessage) {
        dest.jobs.push({ active, recipients: recipients.slice(i, i + this.options.recipientsPerMessage) });
        active.jobsLeft++;
      }
    }
    this.active.set(entry.queueId, active);
  }

  /** Starts jobs while limits allow, one per destination per round, so destinations share the connections. */
  private dispatch(): void {
    if (this.stopping) return;
    // Rates are paced on the monotonic clock: timers run in real time, whatever the injected clock says.
    const now = performance.now();
    let wake = Infinity;
    for (let started = true; started && this.running < this.options.maxConnections; ) {
      started = false;
      for (const [key, dest] of this.destinations) {
        if (this.running >= this.options.maxConnections) break;
        if (dest.jobs.length === 0) {
          if (dest.running === 0) this.destinations.delete(key);
          continue;
        }
        if (dest.running >= (dest.nexthop.limits?.concurrency ?? this.options.destinationConcurrency)) continue;
        if (dest.nextStart > now) {
          wake = Math.min(wake, dest.nextStart);
          continue;
        }
        const job = dest.jobs.shift()!;
        const rate = dest.nexthop.limits?.rate ?? this.options.destinationRate;
        if (rate > 0) dest.nextStart = Math.max(now, dest.nextStart) + 60_000 / rate;
        started = true;
        void this.run(dest, job);
      }
    }
    if (wake !== Infinity && !this.dispatchTimer) {
      this.dispatchTimer = setTimeout(() => {
        this.dispatchTimer = undefined;
        this.dispatch();
      }, Math.max(1, wake - now));
    }
  }

  private async run(dest: Destination, job: Job): Promise<void> {
    dest.running++;
    this.running++;
    const { active } = job;
    const { entry } = active;
    try {
      const now = this.deps.now();
      let report: AttemptReport;
      if (dest.deadUntil > now) {
        report = { answered: false, outcomes: job.recipients.map((r) => ({ address: r.recipient, outcome: 'deferred', reply: `delivery temporarily suspended: ${dest.deadReason}`, statusCode: '4.4.1', host: null, ip: null, dsnPassed: false })) };
      } else {
        active.message ??= this.deps.prepare(entry);
        const message = await active.message;
        report = await this.deps.attempt({ queueId: entry.queueId, from: entry.sender, recipients: job.recipients.map((r) => ({ address: r.recipient, notify: r.notify, orcpt: r.orcpt })), envelope: entry.envelope, message }, dest.nexthop);
        if (!report.answered) {
          dest.deadUntil = this.deps.now() + this.options.min;
          dest.deadReason = report.outcomes[0]?.reply ?? 'no host answered';
        } else dest.deadUntil = 0;
      }
      await this.recordOutcomes(active, job, report);
    } catch (err) {
      active.failedInside = true;
      await this.failedInside(entry, err);
    } finally {
      dest.running--;
      this.running--;
      if (--active.jobsLeft === 0) await this.finish(active);
      if (this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
      this.dispatch();
      if (this.active.size < MAX_ACTIVE && dest.jobs.length === 0) this.kickIfBacklog();
    }
  }

  /** After the active set was full, a freed slot lets the next sweep read more. */
  private kickIfBacklog(): void {
    if (this.active.size === MAX_ACTIVE - 1) this.kick();
  }

  private async recordOutcomes(active: Active, job: Job, report: AttemptReport): Promise<void> {
    const { entry } = active;
    const now = this.deps.now();
    const results: RecipientResult[] = [];
    for (const o of report.outcomes) {
      const recipient = job.recipients.find((r) => r.recipient === o.address)!;
      const base = { queueId: entry.queueId, recipient: o.address, at: now, reply: o.reply, statusCode: o.statusCode, host: o.host, address: o.ip };
      let result: RecipientResult;
      if (o.outcome === 'deferred' && expired(entry.createdAt, entry.sender, now, this.options)) {
        result = { ...base, outcome: 'bounced', statusCode: '4.4.7', reply: `delivery time expired: ${o.reply}` };
      } else if (o.outcome === 'deferred') {
        result = { ...base, outcome: 'deferred', nextAttempt: retryAt(now, recipient.attempts + 1, this.options, this.deps.random) };
      } else result = { ...base, outcome: o.outcome };
      result.dsn = this.owed(entry, recipient, result, o.dsnPassed);
      results.push(result);
      if (result.dsn) active.owed.push({ recipient, result, action: result.dsn });
      else if (result.outcome === 'deferred' && this.delayWarningDue(entry, recipient, now)) active.delayed.push({ recipient, result, action: 'delayed' });
    }
    const removed = await this.writer.record(results);
    // Logged once durable: a "sent" line means a restart will not send it again.
    for (const r of results) this.logResult(entry, r, now);
    if (removed.length > 0) this.deps.log.info('removed', { queue: entry.queueId });
    if (entry.failures > 0) {
      await this.deps.store.clearFailures(entry.queueId);
      entry.failures = 0;
    }
  }

  /** The DSN a final result owes: failures unless NOTIFY says otherwise, successes only when asked and the remote cannot. */
  private owed(entry: QueueEntry, recipient: QueueRecipient, result: RecipientResult, dsnPassed: boolean): DsnOwed | null {
    if (entry.sender === '') return null;
    if (result.outcome === 'bounced') return wantsDsn(recipient.notify, 'failure') ? 'failed' : null;
    if (result.outcome === 'delivered' && !dsnPassed && wantsDsn(recipient.notify, 'success')) return 'relayed';
    return null;
  }

  private delayWarningDue(entry: QueueEntry, recipient: QueueRecipient, now: number): boolean {
    return this.options.delayWarning > 0 && entry.sender !== '' && entry.warnedAt === null && now - entry.createdAt >= this.options.delayWarning && wantsDsn(recipient.notify, 'delay');
  }

  private logResult(entry: QueueEntry, r: RecipientResult, now: number): void {
    const status = r.outcome === 'delivered' ? 'sent' : r.outcome;
    this.deps.log.info(status, {
      queue: entry.queueId,
      to: `<${r.recipient}>`,
      relay: r.host ? `${r.host}[${r.address ?? ''}]` : 'none',
      delay: ((now - entry.createdAt) / 1000).toFixed(1),
      dsn: r.statusCode,
      status,
      reply: r.reply,
      next: r.nextAttempt ? new Date(r.nextAttempt).toISOString() : undefined,
    });
  }

  private async failedInside(entry: QueueEntry, err: unknown): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    const attempts = entry.failures + 1;
    try {
      const held = await this.deps.store.failed(entry.queueId, reason, retryAt(this.deps.now(), attempts, this.options, this.deps.random), this.options.poisonAfter);
      entry.failures = attempts;
      if (held) this.deps.log.error('message held: it keeps failing inside Petrel', { queue: entry.queueId, failures: attempts, reason });
      else this.deps.log.error('delivery failed inside Petrel, will retry', { queue: entry.queueId, failures: attempts, reason });
    } catch (storeErr) {
      this.deps.log.error('could not record a failure', { queue: entry.queueId, reason, store: storeErr instanceof Error ? storeErr.message : String(storeErr) });
    }
  }

  /** The message's last job of this pass ended: its DSNs go out, it leaves memory. */
  private async finish(active: Active): Promise<void> {
    const { entry } = active;
    this.active.delete(entry.queueId);
    active.message = undefined;
    try {
      if (active.owed.length > 0) await this.sendNotices(entry, active.owed);
      if (active.delayed.length > 0) {
        await this.deps.dsn.send({ kind: 'delay', entry, recipients: active.delayed });
        await this.deps.store.markWarned(entry.queueId, this.deps.now());
      }
    } catch (err) {
      // The owed DSNs stay recorded: they are sent at the next start.
      this.deps.log.error('DSN not sent', { queue: entry.queueId, reason: err instanceof Error ? err.message : String(err) });
    }
  }

  private async sendNotices(entry: QueueEntry, owed: DsnNotice['recipients']): Promise<void> {
    const failures = owed.filter((o) => o.action === 'failed');
    const successes = owed.filter((o) => o.action !== 'failed');
    if (failures.length > 0) await this.deps.dsn.send({ kind: 'failure', entry, recipients: failures });
    if (successes.length > 0) await this.deps.dsn.send({ kind: 'success', entry, recipients: successes });
    const removed = await this.deps.store.dsnSent(entry.queueId, owed.map((o) => o.recipient.recipient));
    if (removed) this.deps.log.info('removed', { queue: entry.queueId });
  }

  /** DSNs a previous process recorded as owed but did not send. */
  private async sendOwed(entry: QueueEntry): Promise<void> {
    const owed = entry.recipients
      .filter((r) => r.dsnPending !== null)
      .map((recipient) => ({ recipient, result: { reply: recipient.lastReply ?? '', statusCode: recipient.statusCode ?? '5.0.0', host: recipient.remoteHost, at: recipient.doneAt ?? this.deps.now() }, action: recipient.dsnPending! }));
    try {
      await this.sendNotices(entry, owed);
    } catch (err) {
      this.deps.log.error('DSN not sent', { queue: entry.queueId, reason: err instanceof Error ? err.message : String(err) });
    }
  }
}
