/*
 * The staged filter contract: every check of incoming mail (sender
 * authentication, DNSBL, greylisting, virus scanning, attachment policy,
 * spam scoring) is a Filter, run by the pipeline (pipeline.ts) inside the
 * SMTP session so that a verdict is given before the message is accepted,
 * never after (nothing accepted and then bounced).
 *
 * Stages, as in Maddy: connect (once per connection), then per message
 * mailFrom, rcpt (each recipient), body, and a close that always runs.
 * A Filter makes a MessageFilter for each message (begin), so no state is
 * shared between messages; what one filter learns that a later one needs
 * (the spam scorer reads the SPF, DKIM, DMARC, DNSBL and virus results)
 * it publishes as facts, which the pipeline merges in filter order.
 *
 * Exports: Filter, MessageFilter, ClientInfo, FilterRecipient,
 * MessageContext, BodyInput, StageResult, Verdict, Facts, AuthFacts,
 * CONTINUE, reject.
 * Security: filters read untrusted input (the client's address and HELO,
 * the envelope, the message); each bounds its own work and its time (the
 * pipeline bounds the whole). A filter that throws is a temporary failure
 * (451 4.3.0), never an acceptance.
 */
import { MailError, type ReplyCode } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';

/** Who is sending, as the session knows it. */
export interface ClientInfo {
  ip: string;
  /** What the client said in HELO/EHLO ('' before it did). */
  helo: string;
  tls: boolean;
  /** The authenticated account's address (submission), or null. */
  user: string | null;
  role: 'mx' | 'submission' | 'submissions' | 'lmtp';
  /** The client is in [smtp] trusted_networks. */
  trusted: boolean;
}

export interface FilterRecipient {
  /** As the client wrote it in RCPT TO. */
  address: string;
  /** The recipient's domain (A-label). */
  domain: string;
  /** The local account it delivers to when it is one mailbox, for per-user settings (spam training). */
  accountId?: number;
}

/** What a stage decides. A reject carries its reply; error.temporary tells 4xx from 5xx. */
export type Verdict =
  | { action: 'continue' }
  | { action: 'reject'; error: MailError }
  | { action: 'quarantine'; reason: string }
  | { action: 'junk'; reason: string };

/**
 * Sender-authentication results, as the sender-auth filter publishes them (filters/sender-auth/): SPF after MAIL FROM,
 * all four after the body. `aligned` is DMARC identifier alignment with the From domain (relaxed when it publishes no
 * record). A trusted or authenticated client is not checked: no auth facts.
 */
export interface AuthFacts {
  /** identity: the MAIL FROM address, or the HELO name for the null sender; domain '' when there was nothing to check. */
  spf?: { result: 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror'; domain: string; identity?: 'mailfrom' | 'helo' };
  /** One per signature (none when unsigned). */
  dkim?: { result: 'pass' | 'fail' | 'neutral' | 'none' | 'policy' | 'permerror' | 'temperror'; domain: string; aligned: boolean; selector?: string }[];
  /** policy: what the From domain asks for ('none' without a record); disposition: what was done (pct may weaken it). */
  dmarc?: { result: 'pass' | 'fail' | 'none' | 'permerror' | 'temperror'; domain: string; policy: 'none' | 'quarantine' | 'reject'; disposition?: 'none' | 'quarantine' | 'reject' };
  arc?: { result: 'pass' | 'fail' | 'none' };
}

/** What earlier filters found, for later ones. Each filter writes only its own key. */
export interface Facts {
  auth?: AuthFacts;
  /** DNSBL zones that list the client, with the answer. */
  dnsbl?: { zone: string; answer: string }[];
  virus?: { infected: boolean; signature?: string; scanned: boolean };
  /** Attachments the policy found suspicious (names, types), for the spam score. */
  attachments?: { name: string; reason: string }[];
  spam?: { score: number; threshold: number; tests: string[] };
}

export interface MessageContext {
  readonly client: ClientInfo;
  /** MAIL FROM, '' for the null sender. */
  readonly sender: string;
  /** The recipients accepted so far (all of them at the body stage). */
  readonly recipients: readonly FilterRecipient[];
  /** The session's queue id for this message, for the log. */
  readonly queueId: string;
  /** What earlier filters published (connect stage included); read-only to filters. */
  readonly facts: Readonly<Facts>;
  readonly log: Logger;
}

/** The message at the body stage: CRLF lines, our own headers already removed (sanitize.ts). */
export interface BodyInput {
  bytes: Buffer;
  /** Octets of the header block, blank line included. */
  headerEnd: number;
}

export interface StageResult {
  verdict: Verdict;
  /** Header fields to add at the top, each "Name: value" (folded with CRLF + space if long), without the final CRLF. */
  headers?: string[];
  /** Facts for later filters. */
  facts?: Facts;
  /**
   * Body stage only: a verdict per recipient (same order as ctx.recipients), for actions that differ by recipient
   * (a domain's own spam thresholds). A reject here refuses the whole message over SMTP; LMTP answers per recipient.
   */
  perRecipient?: Verdict[];
}

export interface MessageFilter {
  mailFrom?(): Promise<StageResult>;
  rcpt?(recipient: FilterRecipient): Promise<StageResult>;
  body?(message: BodyInput): Promise<StageResult>;
  /** Always runs, once, whatever happened before (a reject, a dropped connection). */
  close?(): void;
}

export interface Filter {
  /** Short, for logs and timings: "spf", "clamav", "spam". */
  readonly name: string;
  /** Which roles it runs for (the MX by default; virus scanning also for submission). */
  readonly roles?: readonly ClientInfo['role'][];
  connect?(client: ClientInfo, log: Logger): Promise<StageResult>;
  begin(ctx: MessageContext): MessageFilter;
}

export const CONTINUE: StageResult = Object.freeze({ verdict: Object.freeze({ action: 'continue' as const }) });

/** A reject verdict with its reply. */
export function reject(code: ReplyCode, enhanced: string, text: string, module: string, detail?: string): StageResult {
  return { verdict: { action: 'reject', error: new MailError({ code, enhanced, text, module, detail }) } };
}
