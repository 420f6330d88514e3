/*
 * The filter pipeline inside one SMTP session: the connect stage when the
 * client connects, a MessageRun from MAIL to the end of DATA (or the next
 * MAIL, RSET or disconnect, which close it), each RCPT the directory
 * accepted, and the body stage over the sanitized message. What the body
 * stage decides becomes how the message is accepted: refused, or each
 * recipient delivered to INBOX, to Junk, or held in quarantine, with the
 * filters' header fields added under our Received.
 *
 * Exports: SessionFilters, FilteredMessage.
 * Security: the client's HELO, envelope and message are untrusted; our
 * own markings are removed (filters/sanitize.ts) before any filter reads
 * the message.
 */
import type { FilterPipeline, MessageRun } from '../../filters/pipeline.js';
import { sanitizeHeader } from '../../filters/sanitize.js';
import type { ClientInfo, Facts, FilterRecipient, Verdict } from '../../filters/types.js';
import { headerLength } from '../../pipeline/cleanup.js';
import type { Logger } from '../../telemetry/logger.js';

export interface FilteredMessage {
  /** The message to accept: sanitized (the filters' headers are added by accept, under Received). */
  bytes: Buffer;
  /** The filters' header fields, each without CRLF. */
  headers: string[];
  /** The whole message's verdict (a reject refuses it). */
  verdict: Verdict;
  /** Per recipient, in RCPT order. */
  perRecipient: Verdict[];
  /** What the filters found (spam score, virus scan), for Sieve's spamtest and virustest at delivery. */
  facts: Readonly<Facts>;
  timings: Map<string, number>;
}

export class SessionFilters {
  private connectFacts: Facts = {};
  private run: MessageRun | undefined;

  constructor(
    private readonly pipeline: FilterPipeline,
    private readonly authservId: string,
  ) {}

  /** The connect stage; a reject ends the connection with its reply. */
  async connect(client: ClientInfo, log: Logger): Promise<Verdict> {
    const r = await this.pipeline.connect(client, log);
    this.connectFacts = r.facts;
    return r.verdict;
  }

  /** A new message: the previous one (if any) is closed first. */
  async mailFrom(client: ClientInfo, sender: string, queueId: string, log: Logger): Promise<Verdict> {
    this.close();
    this.run = this.pipeline.begin({ client, sender, queueId, facts: this.connectFacts, log });
    return this.run.mailFrom();
  }

  rcpt(recipient: FilterRecipient): Promise<Verdict> {
    if (!this.run) throw new Error('RCPT before MAIL');
    return this.run.rcpt(recipient);
  }

  /** The body stage over the sanitized message; the run is closed after it. */
  async body(bytes: Buffer): Promise<FilteredMessage> {
    const run = this.run;
    if (!run) throw new Error('DATA before MAIL');
    try {
      const clean = sanitizeHeader(bytes, headerLength(bytes), this.authservId);
      const out = await run.body({ bytes: clean.bytes, headerEnd: clean.headerEnd });
      return { bytes: clean.bytes, headers: out.headers, verdict: out.verdict, perRecipient: out.perRecipient, facts: out.facts, timings: run.timings };
    } finally {
      this.close();
    }
  }

  /** Closes the current message's filters (RSET, a new MAIL, the end of DATA, disconnect). */
  close(): void {
    this.run?.close();
    this.run = undefined;
  }
}
