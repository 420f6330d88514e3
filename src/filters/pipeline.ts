/*
 * The filter pipeline: runs the configured filters, in order, at each
 * stage of an SMTP session, and combines what they decide.
 *
 *   connect  once per connection; a reject ends it (554 or 421)
 *   mailFrom per message; the first reject answers MAIL
 *   rcpt     per recipient; the first reject answers that RCPT only
 *   body     after DATA; the first reject refuses the message and the
 *            filters after it do not run; junk and quarantine are kept
 *            (quarantine beats junk) while the rest still run, since a
 *            later one (a virus) may still reject
 *   close    always, for every filter that began
 *
 * Facts a filter publishes are merged before the next filter runs. Every
 * stage of every filter is bounded by stageTimeoutMs; a filter that throws
 * or overruns is a temporary failure (451 4.3.0 / 451 4.4.3 for DNS), never
 * an acceptance; the log says which filter. Time spent per filter is
 * recorded for the log and the benchmark.
 *
 * Exports: FilterPipeline, MessageRun, BodyOutcome, PipelineOptions,
 * strongest.
 * Security: see types.ts; no filter sees the connection's other messages.
 */
import { MailError } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import { CONTINUE, type BodyInput, type ClientInfo, type Facts, type Filter, type FilterRecipient, type MessageFilter, type StageResult, type Verdict } from './types.js';

export interface PipelineOptions {
  /** Each stage of each filter must answer within this (default 60 s). */
  stageTimeoutMs?: number;
  /** Milliseconds, for the timings (default performance.now: fractions of a millisecond count). */
  now?: () => number;
}

export interface BodyOutcome {
  /** For the message as a whole. */
  verdict: Verdict;
  /** For each recipient (same order as the accepted recipients): the whole verdict, or a stronger one of its own. */
  perRecipient: Verdict[];
  /** Header fields to add at the top of the message, in filter order. */
  headers: string[];
  facts: Facts;
}

const RANK: Record<Verdict['action'], number> = { continue: 0, junk: 1, quarantine: 2, reject: 3 };

/** The stronger of two verdicts (reject > quarantine > junk > continue; the first of equals). */
export function strongest(a: Verdict, b: Verdict): Verdict {
  return RANK[b.action] > RANK[a.action] ? b : a;
}

const failed = (filter: string, detail: string): Verdict => ({
  action: 'reject',
  error: new MailError({ code: 451, enhanced: '4.3.0', text: 'Temporary failure in message checks, try again later', module: `filter:${filter}`, detail }),
});

export class FilterPipeline {
  private readonly stageTimeoutMs: number;
  private readonly now: () => number;

  constructor(
    readonly filters: readonly Filter[],
    options: PipelineOptions = {},
  ) {
    this.stageTimeoutMs = options.stageTimeoutMs ?? 60_000;
    this.now = options.now ?? (() => performance.now());
  }

  private forRole(role: ClientInfo['role']): Filter[] {
    return this.filters.filter((f) => (f.roles ?? ['mx']).includes(role));
  }

  /** Runs one stage of one filter, bounded in time; a throw or an overrun is a temporary failure. */
  async run(filter: string, stage: string, call: () => Promise<StageResult>, timings: Map<string, number>, log: Logger): Promise<StageResult> {
    const started = this.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, rejectTimeout) => {
        // Not unref'd: the wait is real work in flight, cleared as soon as the stage answers.
        timer = setTimeout(() => rejectTimeout(new Error(`no answer within ${this.stageTimeoutMs} ms`)), this.stageTimeoutMs);
      });
      return await Promise.race([call(), timeout]);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      log.error('filter failed', { filter, stage, detail });
      return { verdict: failed(filter, detail) };
    } finally {
      clearTimeout(timer);
      timings.set(filter, (timings.get(filter) ?? 0) + (this.now() - started));
    }
  }

  /** The connect stage: the first reject, and the facts every message of the connection starts with. */
  async connect(client: ClientInfo, log: Logger): Promise<{ verdict: Verdict; facts: Facts }> {
    const facts: Facts = {};
    const timings = new Map<string, number>();
    for (const f of this.forRole(client.role)) {
      if (!f.connect) continue;
      const r = await this.run(f.name, 'connect', () => f.connect!(client, log), timings, log);
      Object.assign(facts, r.facts);
      if (r.verdict.action === 'reject') return { verdict: r.verdict, facts };
    }
    return { verdict: CONTINUE.verdict, facts };
  }

  /** Starts a message: every filter for the role begins. */
  begin(init: { client: ClientInfo; sender: string; queueId: string; facts: Facts; log: Logger }): MessageRun {
    return new MessageRun(this, this.forRole(init.client.role), init);
  }
}

export class MessageRun {
  readonly recipients: FilterRecipient[] = [];
  readonly facts: Facts;
  /** Milliseconds spent in each filter for this message, all stages. */
  readonly timings = new Map<string, number>();
  private readonly running: { filter: Filter; instance: MessageFilter }[];
  private closed = false;

  constructor(
    private readonly pipeline: FilterPipeline,
    filters: Filter[],
    private readonly init: { client: ClientInfo; sender: string; queueId: string; facts: Facts; log: Logger },
  ) {
    this.facts = { ...init.facts };
    const ctx = {
      client: init.client,
      sender: init.sender,
      recipients: this.recipients,
      queueId: init.queueId,
      facts: this.facts,
      log: init.log,
    };
    this.running = filters.map((filter) => ({ filter, instance: filter.begin(ctx) }));
  }

  private async stage(name: 'mailFrom' | 'rcpt', call: (m: MessageFilter) => (() => Promise<StageResult>) | undefined): Promise<Verdict> {
    for (const { filter, instance } of this.running) {
      const fn = call(instance);
      if (!fn) continue;
      const r = await this.pipeline.run(filter.name, name, fn, this.timings, this.init.log);
      Object.assign(this.facts, r.facts);
      if (r.verdict.action === 'reject') return r.verdict;
    }
    return CONTINUE.verdict;
  }

  mailFrom(): Promise<Verdict> {
    return this.stage('mailFrom', (m) => m.mailFrom?.bind(m));
  }

  /** A recipient the session would accept: a reject refuses it; otherwise it joins the message. */
  async rcpt(recipient: FilterRecipient): Promise<Verdict> {
    const verdict = await this.stage('rcpt', (m) => (m.rcpt ? () => m.rcpt!(recipient) : undefined));
    if (verdict.action !== 'reject') this.recipients.push(recipient);
    return verdict;
  }

  async body(message: BodyInput): Promise<BodyOutcome> {
    let verdict: Verdict = CONTINUE.verdict;
    let perRecipient: Verdict[] = this.recipients.map(() => CONTINUE.verdict);
    const headers: string[] = [];
    for (const { filter, instance } of this.running) {
      if (!instance.body) continue;
      const r = await this.pipeline.run(filter.name, 'body', () => instance.body!(message), this.timings, this.init.log);
      Object.assign(this.facts, r.facts);
      headers.push(...(r.headers ?? []));
      if (r.verdict.action === 'reject') return { verdict: r.verdict, perRecipient: perRecipient.map(() => r.verdict), headers, facts: this.facts };
      verdict = strongest(verdict, r.verdict);
      const own = r.perRecipient;
      perRecipient = perRecipient.map((v, i) => strongest(strongest(v, r.verdict), own?.[i] ?? CONTINUE.verdict));
    }
    return { verdict, perRecipient, headers, facts: this.facts };
  }

  /** Runs every filter's close once; later calls do nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { filter, instance } of this.running) {
      try {
        instance.close?.();
      } catch (err) {
        this.init.log.error('filter close failed', { filter: filter.name, detail: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}
