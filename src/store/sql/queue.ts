/*
 * Outbound queue repository in portable SQL: messages waiting for remote
 * delivery with per-recipient state. Written by the delivery commit; read
 * by `petrel queue`; the scheduler that delivers arrives with outbound
 * delivery.
 *
 * Security: values are bound.
 */
import type { QueueEntry, QueueRecipientStatus, QueueStore } from '../types.js';
import type { SqlDriver } from './driver.js';

interface QueueRow {
  queue_id: string; sender: string; blob_hash: string; size: number; source: string; account_id: number | null; message_id: string | null; held: number; created_at: number;
  ret: 'FULL' | 'HDRS' | null; envid: string | null; smtputf8: number; requiretls: number; body_type: string | null;
}
interface RecipientRow { queue_id: string; recipient: string; status: QueueRecipientStatus; attempts: number; next_attempt: number; last_reply: string | null; notify: string | null; orcpt: string | null }

export class SqlQueueStore implements QueueStore {
  constructor(private readonly db: SqlDriver) {}

  private async load(rows: QueueRow[]): Promise<QueueEntry[]> {
    const entries = new Map<string, QueueEntry>();
    for (const r of rows) {
      entries.set(r.queue_id, {
        queueId: r.queue_id,
        sender: r.sender,
        blobHash: r.blob_hash,
        size: Number(r.size),
        source: r.source,
        accountId: r.account_id === null ? null : Number(r.account_id),
        messageId: r.message_id,
        held: Number(r.held) === 1,
        createdAt: Number(r.created_at),
        envelope: { ret: r.ret, envid: r.envid, smtpUtf8: Number(r.smtputf8) === 1, requireTls: Number(r.requiretls) === 1, body: r.body_type },
        recipients: [],
      });
    }
    if (entries.size === 0) return [];
    const ids = [...entries.keys()];
    const recipients = await this.db.all<RecipientRow>(`SELECT * FROM queue_recipients WHERE queue_id IN (${ids.map(() => '?').join(',')}) ORDER BY recipient`, ids);
    for (const r of recipients) {
      entries.get(r.queue_id)!.recipients.push({
        recipient: r.recipient,
        status: r.status,
        attempts: Number(r.attempts),
        nextAttempt: Number(r.next_attempt),
        lastReply: r.last_reply,
        notify: r.notify === null ? null : r.notify.split(','),
        orcpt: r.orcpt,
      });
    }
    return [...entries.values()];
  }

  async list(): Promise<QueueEntry[]> {
    return this.load(await this.db.all<QueueRow>('SELECT * FROM queue ORDER BY created_at, queue_id'));
  }

  async get(queueId: string): Promise<QueueEntry | undefined> {
    return (await this.load(await this.db.all<QueueRow>('SELECT * FROM queue WHERE queue_id = ?', [queueId])))[0];
  }

  async remove(queueId: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM queue WHERE queue_id = ?', [queueId])) > 0;
  }

  async setHeld(queueId: string, held: boolean): Promise<boolean> {
    return (await this.db.run('UPDATE queue SET held = ? WHERE queue_id = ?', [held ? 1 : 0, queueId])) > 0;
  }
}
