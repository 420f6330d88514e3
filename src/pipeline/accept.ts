/*
 * Accepting a received message: cleanup, MIME indexing, and the durable
 * commit that places it in local mailboxes and the outbound queue. The SMTP,
 * submission and LMTP endpoints all end here; whatever this resolves to is
 * what they answer after DATA.
 *
 *   bytes -> line endings -> header size, hop count -> Message-ID/Date
 *   (submission) -> Received -> MIME index -> group commit -> outcomes
 *
 * Local recipients are delivered in the same transaction that accepts the
 * message (no second hop through the queue); remote ones are queued in it.
 * A local account with Sieve scripts gets what its run decided
 * (delivery/sieve): mailboxes and flags, edited copies, redirects and
 * replies riding in the same commit, or a refusal (reject/ereject) that
 * the endpoint answers for that recipient (550 5.7.1).
 *
 * Security: reads untrusted message bytes. Everything thrown out of here is
 * a MailError with a generic reply; the detail goes to the log only.
 * Standards: RFC 5321 (reply codes), RFC 2033 (one outcome per recipient).
 */
import { MailError, asMailError } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { CommitItem, MessageCommitter } from '../delivery/committer.js';
import type { SieveDelivery, SieveFilterFacts, SievePlan } from '../delivery/sieve/index.js';
import type { Target } from '../directory/resolve.js';
import { indexMessage } from '../mime/index.js';
import type { AccountRecord, LocalOutcome, LocalTarget, OutboundEnvelope, OutboundRecipient, SieveMark } from '../store/types.js';
import { INBOX, JUNK } from '../core/mailbox-names.js';
import { threadRefsOf } from '../core/message-ids.js';
import { checkLineEndings, countHeader, headerLength, newMessageId, receivedHeader, rfc5322Date, type ReceivedInfo } from './cleanup.js';

/** Largest header block accepted; larger is refused, not truncated. */
export const MAX_HEADER_BYTES = 1024 * 1024;

/** Where a message came from; 'local' is mail Petrel writes itself (DSNs). */
export type Source = 'mx' | 'submission' | 'lmtp' | 'local';

/** The envelope of a message whose client gave no MAIL parameters. */
const NO_ENVELOPE: OutboundEnvelope = Object.freeze({ ret: null, envid: null, smtpUtf8: false, requireTls: false, body: null });

/**
 * The ORCPT value (decoded, as the queue keeps them) for an address an alias
 * expanded: `rfc822;` and the address, or `utf-8;` for a non-ASCII one
 * (RFC 3461 section 4.2, RFC 6533 section 3). The SMTP client encodes it
 * as xtext or unitext when it passes it on.
 */
export function originalRecipient(address: string): string {
  return `${/^[\x00-\x7f]*$/.test(address) ? 'rfc822' : 'utf-8'};${address}`;
}

export interface AcceptRecipient {
  /** As the client wrote it in RCPT TO. */
  address: string;
  targets: Target[];
  /** RFC 3461 NOTIFY and ORCPT of this RCPT, when given. */
  notify?: string[];
  orcpt?: string;
  /** The filters judged it spam for this recipient: its local mailboxes get it in Junk rather than INBOX. */
  folder?: 'junk';
  /** The filters held it for this recipient, for this reason: it goes to the quarantine, not to its targets. */
  quarantine?: string;
}

export interface Inbound {
  queueId: string;
  source: Source;
  sender: string;
  recipients: AcceptRecipient[];
  bytes: Buffer;
  /** The Received field's facts; absent for mail Petrel wrote itself, which gets none. */
  received?: Omit<ReceivedInfo, 'queueId' | 'date' | 'recipient'>;
  /** Header fields the filters add (Authentication-Results, X-Spam-*), each without CRLF, placed under our Received. */
  extraHeaders?: string[];
  /** Submitted mail gets a Message-ID and Date when it lacks them. */
  addMissingHeaders: boolean;
  /** The authenticated account, for submission. */
  accountId: number | null;
  /** The MAIL parameters remote delivery and DSNs need (kept in the queue). */
  envelope?: OutboundEnvelope;
  /** Delivering a message released from the quarantine: its entry goes in the same transaction. */
  releasesQuarantine?: number;
  /** The client's address, kept with a quarantine entry. */
  clientIp?: string;
  /** Refuse bare CR/LF (strict) or repair them (normalize). */
  lineEndings: 'strict' | 'normalize';
  /** Runs the recipients' Sieve scripts; absent: every local copy goes to INBOX (or Junk). */
  sieve?: Pick<SieveDelivery, 'plan'>;
  /** The filters' verdicts, for Sieve's spamtest and virustest. */
  facts?: SieveFilterFacts;
  /** The authenticated submitter's address (Sieve's envelope "auth"). */
  authUser?: string;
  /** Enforce quota at commit (LMTP, or one SMTP recipient); else allow overshoot. */
  enforceQuota: boolean;
  maxReceived: number;
  /**
   * Submission: may the authenticated user put these addresses in From?
   * Each From address must pass; a message without From passes.
   */
  mayUseFrom?: (addresses: string[]) => Promise<boolean>;
  log: Logger;
}

export type RecipientOutcome = { ok: true } | { ok: false; error: MailError };

export interface Accepted {
  queueId: string;
  messageId: string | null;
  size: number;
  outcomes: RecipientOutcome[];
  /** Only for releasesQuarantine: the entry was already gone (released or deleted meanwhile), nothing was delivered. */
  releaseGone?: true;
}

const reject = (code: MailError['code'], enhanced: string, text: string, detail?: string) => new MailError({ code, enhanced, text, module: 'cleanup', detail });

const HEADER_PATTERNS: Record<string, RegExp> = {
  'message-id': /(?:^|\r\n)message-id[ \t]*:[ \t]*([^\r\n]*)/i,
  date: /(?:^|\r\n)date[ \t]*:[ \t]*([^\r\n]*)/i,
};

function headerValue(header: string, name: 'message-id' | 'date'): string | null {
  const m = HEADER_PATTERNS[name]!.exec(header);
  return m ? m[1]!.trim() : null;
}

function outcomeError(failure: Exclude<LocalOutcome, { ok: true }>): MailError {
  switch (failure.reason) {
    case 'quota':
      return new MailError({ code: 552, enhanced: '5.2.2', text: 'Mailbox full', module: 'delivery' });
    case 'disabled':
      return new MailError({ code: 550, enhanced: '5.2.1', text: 'Mailbox disabled', module: 'delivery' });
    case 'no-account':
      return new MailError({ code: 550, enhanced: '5.1.1', text: 'User unknown', module: 'delivery' });
    case 'no-mailbox':
      // Only IMAP APPEND asks for a mailbox that must exist; delivery creates INBOX.
      return new MailError({ code: 451, enhanced: '4.3.0', text: 'Mailbox unavailable', module: 'delivery' });
  }
}

export async function acceptMessage(inbound: Inbound, committer: MessageCommitter, now: Date = new Date()): Promise<Accepted> {
  const { log } = inbound;
  const lines = checkLineEndings(inbound.bytes, inbound.lineEndings);
  if (!lines.ok) {
    throw reject(550, '5.5.2', `Message contains a bare ${lines.problem === 'bare-lf' ? '<LF>' : '<CR>'}; lines must end with <CR><LF>`, lines.problem);
  }
  let bytes = lines.bytes;
  const headerEnd = headerLength(bytes);
  if (headerEnd > MAX_HEADER_BYTES) throw reject(552, '5.3.4', 'Message header too large');
  const header = bytes.subarray(0, headerEnd);
  const headerText = header.toString('latin1');
  const hops = countHeader(header, 'received');
  if (hops > inbound.maxReceived) throw reject(554, '5.4.0', 'Too many hops (mail loop?)', `received=${hops}`);

  let messageId = headerValue(headerText, 'message-id');
  const added: string[] = [];
  if (inbound.addMissingHeaders && inbound.received) {
    if (!messageId) {
      messageId = newMessageId(inbound.queueId, inbound.received.hostname);
      added.push(`Message-ID: ${messageId}\r\n`);
    }
    if (!headerValue(headerText, 'date')) added.push(`Date: ${rfc5322Date(now)}\r\n`);
  }
  const single = inbound.recipients.length === 1 ? inbound.recipients[0]!.address : undefined;
  const received = inbound.received ? receivedHeader({ ...inbound.received, queueId: inbound.queueId, date: now, recipient: single }) : '';
  // A message whose "header" has no blank line yet (just a body) still gets ours on top.
  const filterHeaders = (inbound.extraHeaders ?? []).map((h) => `${h}\r\n`).join('');
  bytes = Buffer.concat([Buffer.from(received + filterHeaders + added.join(''), 'latin1'), bytes]);

  const parsed = indexMessage(bytes);
  if (inbound.mayUseFrom) {
    const from = (parsed.envelope.from ?? []).filter((a) => a.mailbox !== null && a.host !== null).map((a) => `${a.mailbox}@${a.host}`);
    if (parsed.summary.fromCount > 1 || !(await inbound.mayUseFrom(from))) {
      throw reject(553, '5.7.1', 'From header rejected: address not owned by the authenticated user', `from=${from.join(',')}`);
    }
  }
  const index = JSON.stringify(parsed);

  // One mailbox entry per account, however many recipients reach it; the first recipient reaching it chooses the folder.
  const accounts: number[] = [];
  const folders = new Map<number, string>();
  const owners = new Map<number, { account: AccountRecord; recipient: string }>();
  const remote: OutboundRecipient[] = [];
  const held = inbound.recipients.filter((r) => r.quarantine !== undefined);
  for (const r of inbound.recipients) {
    if (r.quarantine !== undefined) continue;
    for (const t of r.targets) {
      if (t.kind === 'mailbox') {
        if (!accounts.includes(t.account.id)) {
          accounts.push(t.account.id);
          folders.set(t.account.id, r.folder === 'junk' ? JUNK : INBOX);
          owners.set(t.account.id, { account: t.account, recipient: r.address });
        }
      } else if (!remote.some((x) => x.address === t.address)) {
        // An alias expanded to t: the address the client gave is the original recipient (as Postfix records it).
        const orcpt = r.orcpt ?? (t.address === r.address ? null : originalRecipient(r.address));
        remote.push({ address: t.address, notify: r.notify ?? null, orcpt });
      }
    }
  }

  const threadRefs = threadRefsOf(headerText);
  // Sieve: each account's scripts decide where its copies go, before the one commit that answers.
  const plans = new Map<number, SievePlan>();
  if (inbound.sieve) {
    for (const id of accounts) {
      const { account, recipient } = owners.get(id)!;
      try {
        const plan = await inbound.sieve.plan({
          account,
          recipient,
          sender: inbound.sender,
          bytes,
          messageId,
          threadRefs,
          queueId: inbound.queueId,
          source: inbound.source,
          keepMailbox: folders.get(id)!,
          facts: inbound.facts,
          clientIp: inbound.clientIp,
          auth: inbound.authUser,
          envelope: inbound.envelope ?? NO_ENVELOPE,
          enforceQuota: inbound.enforceQuota,
          now,
          log,
        });
        if (plan) plans.set(id, plan);
      } catch (err) {
        // Reading the scripts failed: the message still lands where it would without them.
        log.error('sieve failed, keeping the message', { to: `<${recipient}>`, reason: err instanceof Error ? err.message : String(err), status: 'keep' });
      }
    }
  }
  const local: LocalTarget[] = [];
  const localOwner: number[] = [];
  const also: CommitItem[] = [];
  const alsoOwner: (number | undefined)[] = [];
  const marks: SieveMark[] = [];
  const refused = new Map<number, MailError>();
  for (const accountId of accounts) {
    const plan = plans.get(accountId);
    if (!plan) {
      local.push({ accountId, mailbox: folders.get(accountId)!, enforceQuota: inbound.enforceQuota });
      localOwner.push(accountId);
      continue;
    }
    if (plan.kind === 'refuse') {
      refused.set(accountId, new MailError({ code: 550, enhanced: '5.7.1', text: plan.reason, module: 'sieve', detail: 'reject' }));
      continue;
    }
    for (const c of plan.copies) {
      local.push({ accountId, mailbox: c.mailbox, flags: c.flags, enforceQuota: inbound.enforceQuota });
      localOwner.push(accountId);
    }
    plan.also.forEach((item, i) => {
      also.push(item);
      alsoOwner.push(i < plan.localAlso ? accountId : undefined);
    });
    marks.push(...plan.marks);
  }

  let result;
  try {
    result = await committer.commit({
      bytes,
      index,
      ...(also.length > 0 ? { also } : {}),
      request: {
        internalDate: now.getTime(),
        messageId,
        queueId: inbound.queueId,
        threadRefs,
        local,
        ...(marks.length > 0 ? { marks } : {}),
        outbound: remote.length > 0 ? { sender: inbound.sender, recipients: remote, source: inbound.source, accountId: inbound.accountId, envelope: inbound.envelope ?? NO_ENVELOPE } : undefined,
        quarantine: held.length > 0 ? {
          sender: inbound.sender,
          recipients: held.map((r) => r.address),
          reason: [...new Set(held.map((r) => r.quarantine!))].join('; '),
          source: inbound.source,
          clientIp: inbound.clientIp ?? null,
          subject: parsed.envelope.subject?.slice(0, 300) ?? null,
          envelope: inbound.envelope ?? NO_ENVELOPE,
        } : undefined,
        releasesQuarantine: inbound.releasesQuarantine,
      },
    });
  } catch (err) {
    throw asMailError(err, 'commit');
  }

  if (result.releaseGone) return { queueId: inbound.queueId, messageId, size: bytes.length, outcomes: inbound.recipients.map(() => ({ ok: true })), releaseGone: true };
  also.forEach((item, i) => {
    if (result.also?.[i]?.skipped) log.info('sieve reply not sent: this sender was answered within the period', { reply_queue: item.request.queueId });
  });
  // Every copy an account got (its INBOX, the mailboxes its script chose, edited copies), and the first failure.
  const byAccount = new Map<number, { stored: { mailbox: string; uid: number }[]; planned: number; failure?: Exclude<LocalOutcome, { ok: true }> }>();
  for (const id of accounts) byAccount.set(id, { stored: [], planned: 0 });
  const record = (id: number, target: LocalTarget, outcome: LocalOutcome | undefined) => {
    const a = byAccount.get(id)!;
    a.planned++;
    if (outcome?.ok) a.stored.push({ mailbox: target.mailbox, uid: outcome.uid });
    else if (outcome && !a.failure) a.failure = outcome;
  };
  local.forEach((target, i) => record(localOwner[i]!, target, result.local[i]));
  also.forEach((item, i) => {
    const owner = alsoOwner[i];
    if (owner !== undefined) item.request.local.forEach((target, j) => record(owner, target, result.also?.[i]?.local[j]));
  });

  const outcomes: RecipientOutcome[] = inbound.recipients.map((r) => {
    if (r.quarantine !== undefined) {
      // Held, never bounced: the session says 250 and the operator decides.
      log.info('quarantined', { queue: inbound.queueId, to: `<${r.address}>`, status: 'held', reason: r.quarantine });
      return { ok: true };
    }
    let delivered = false;
    let failure: MailError | undefined;
    for (const t of r.targets) {
      if (t.kind === 'remote') {
        delivered = true;
        log.info('queued', { queue: inbound.queueId, to: `<${t.address}>`, orig_to: t.address === r.address ? undefined : `<${r.address}>`, status: 'queued', relay: 'outbound' });
        continue;
      }
      const orig_to = t.address === r.address.toLowerCase() ? undefined : `<${r.address}>`;
      const refusal = refused.get(t.account.id);
      if (refusal) {
        failure = refusal;
        log.info('not delivered', { queue: inbound.queueId, to: `<${t.address}>`, orig_to, status: 'rejected', reason: 'sieve reject', reply: refusal.reply });
        continue;
      }
      const outcome = byAccount.get(t.account.id)!;
      if (outcome.planned === 0) {
        // The script discarded or redirected it: nothing to store, and that is a success.
        delivered = true;
        log.info('delivered', { queue: inbound.queueId, to: `<${t.address}>`, orig_to, status: 'delivered', mailbox: 'none (sieve)', 'message-id': messageId });
      } else if (outcome.stored.length > 0) {
        delivered = true;
        for (const stored of outcome.stored) {
          log.info('delivered', { queue: inbound.queueId, to: `<${t.address}>`, orig_to, status: 'delivered', mailbox: stored.mailbox, uid: stored.uid, 'message-id': messageId });
        }
      } else {
        failure = outcomeError(outcome.failure ?? { ok: false, reason: 'no-mailbox' });
        log.info('not delivered', { queue: inbound.queueId, to: `<${t.address}>`, status: 'rejected', reason: outcome.failure?.reason, reply: failure.reply });
      }
    }
    return delivered || !failure ? { ok: true } : { ok: false, error: failure };
  });

  return { queueId: inbound.queueId, messageId, size: bytes.length, outcomes };
}
