/*
 * Delivery status notifications out of the queue: the engine says which
 * recipients of which message failed, were delayed or were relayed; this
 * builds the RFC 3464 report (mime/dsn.ts) with the original as RET asks,
 * and hands it to be delivered to the envelope sender from the null
 * sender (locally when the sender is ours, else through the queue). The
 * engine never asks for a report to <>, and mime/dsn refuses one.
 *
 * Exports: QueueDsnSink, NoticeSubmitter.
 * Security: the report carries remote replies (untrusted text); mime/dsn
 * folds and bounds them so they cannot break its structure.
 * Standards: RFC 3464, RFC 3461 (RET, ENVID, ORCPT, NOTIFY), RFC 3834.
 */
import { newQueueId } from '../core/ids.js';
import { buildDsn, dsnTransport, type DsnRecipientReport } from '../mime/dsn.js';
import { newMessageId } from '../pipeline/cleanup.js';
import type { QueueEntry } from '../store/types.js';
import type { DsnNotice, DsnSink } from './engine.js';

/** Delivers a message Petrel wrote itself to one address, from the null sender; resolves once it is durable. */
export type NoticeSubmitter = (notice: { bytes: Buffer; to: string; body: '7bit' | '8bitmime'; smtpUtf8: boolean; queueId: string }) => Promise<void>;

export interface QueueDsnSinkOptions {
  hostname: string;
  /** The original message as stored (the blob, unsigned). */
  original(entry: QueueEntry): Promise<Buffer>;
  submit: NoticeSubmitter;
  /** When a deferred recipient is given up (for Will-Retry-Until). */
  giveUpAt(entry: QueueEntry): number;
  now: () => number;
}

export class QueueDsnSink implements DsnSink {
  constructor(private readonly options: QueueDsnSinkOptions) {}

  async send(notice: DsnNotice): Promise<void> {
    const { entry } = notice;
    if (entry.sender === '') return;
    const now = new Date(this.options.now());
    const queueId = newQueueId();
    const recipients: DsnRecipientReport[] = notice.recipients.map(({ recipient, result, action }) => ({
      finalRecipient: recipient.recipient,
      orcpt: recipient.orcpt,
      action,
      status: result.statusCode,
      remoteMta: result.host ?? null,
      diagnostic: result.reply,
      // Replies of remote servers are "smtp"; reasons Petrel gives itself (DNS, TLS policy) are its own.
      diagnosticType: /^[245]\d\d[ -]/.test(result.reply) ? 'smtp' : 'X-Petrel',
      lastAttempt: new Date(result.at),
      willRetryUntil: action === 'delayed' ? new Date(this.options.giveUpAt(entry)) : null,
    }));
    const bytes = buildDsn({
      kind: notice.kind,
      reportingMta: this.options.hostname,
      from: `MAILER-DAEMON@${this.options.hostname}`,
      sender: entry.sender,
      original: await this.options.original(entry),
      ret: entry.envelope.ret,
      envid: entry.envelope.envid,
      arrivalDate: new Date(entry.createdAt),
      recipients,
      date: now,
      messageId: newMessageId(queueId, this.options.hostname),
      boundary: `${queueId}.${now.getTime().toString(36)}/${this.options.hostname}`.slice(0, 70),
      queueId: entry.queueId,
    });
    await this.options.submit({ bytes, to: entry.sender, ...dsnTransport(bytes), queueId });
  }
}
