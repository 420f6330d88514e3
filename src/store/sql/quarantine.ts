/*
 * The quarantine in portable SQL: entries are written and removed by the
 * delivery commit (deliveries.ts, in the transaction that answers 250 or
 * delivers a release); this is the operator's side: listing, reading,
 * asking for a release, deleting, expiring.
 *
 * Exports: SqlQuarantineStore, insertQuarantine.
 * Security: every value is bound; the JSON columns are our own writing.
 */
import type { DeliveryRequest, OutboundEnvelope, QuarantinedMessage, QuarantineHold, QuarantineStore } from '../types.js';
import type { SqlDriver, SqlExecutor } from './driver.js';

interface Row {
  id: number;
  queue_id: string;
  blob_hash: string;
  size: number;
  sender: string;
  recipients: string;
  reason: string;
  source: string;
  client_ip: string | null;
  message_id: string | null;
  subject: string | null;
  envelope: string;
  created_at: number;
  release_requested_at: number | null;
}

const COLUMNS = 'id, queue_id, blob_hash, size, sender, recipients, reason, source, client_ip, message_id, subject, envelope, created_at, release_requested_at';

function entry(r: Row): QuarantinedMessage {
  return {
    id: Number(r.id),
    queueId: r.queue_id,
    blobHash: r.blob_hash,
    size: Number(r.size),
    sender: r.sender,
    recipients: JSON.parse(r.recipients) as string[],
    reason: r.reason,
    source: r.source as QuarantineHold['source'],
    clientIp: r.client_ip,
    messageId: r.message_id,
    subject: r.subject,
    envelope: JSON.parse(r.envelope) as OutboundEnvelope,
    createdAt: Number(r.created_at),
    releaseRequestedAt: r.release_requested_at === null ? null : Number(r.release_requested_at),
  };
}

/** The request's quarantine entry, inside the delivery transaction. */
export async function insertQuarantine(tx: SqlExecutor, request: DeliveryRequest, hold: QuarantineHold, now: number): Promise<void> {
  await tx.run(
    `INSERT INTO quarantine (queue_id, blob_hash, size, sender, recipients, reason, source, client_ip, message_id, subject, envelope, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [request.queueId, request.blob.hash, request.blob.size, hold.sender, JSON.stringify(hold.recipients), hold.reason, hold.source, hold.clientIp, request.messageId, hold.subject, JSON.stringify(hold.envelope), now],
  );
}

export class SqlQuarantineStore implements QuarantineStore {
  constructor(private readonly db: SqlDriver) {}

  async list(limit: number, offset = 0): Promise<QuarantinedMessage[]> {
    const rows = await this.db.all<Row>(`SELECT ${COLUMNS} FROM quarantine ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, [limit, offset]);
    return rows.map(entry);
  }

  async count(): Promise<number> {
    const row = await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM quarantine');
    return Number(row?.n ?? 0);
  }

  async get(id: number): Promise<QuarantinedMessage | undefined> {
    const row = await this.db.get<Row>(`SELECT ${COLUMNS} FROM quarantine WHERE id = ?`, [id]);
    return row ? entry(row) : undefined;
  }

  async requestRelease(id: number, now: number): Promise<boolean> {
    return (await this.db.run('UPDATE quarantine SET release_requested_at = COALESCE(release_requested_at, ?) WHERE id = ?', [now, id])) > 0;
  }

  async pendingReleases(limit: number): Promise<QuarantinedMessage[]> {
    const rows = await this.db.all<Row>(`SELECT ${COLUMNS} FROM quarantine WHERE release_requested_at IS NOT NULL ORDER BY release_requested_at, id LIMIT ?`, [limit]);
    return rows.map(entry);
  }

  async delete(id: number): Promise<boolean> {
    return (await this.db.run('DELETE FROM quarantine WHERE id = ?', [id])) > 0;
  }

  expire(before: number): Promise<number> {
    return this.db.run('DELETE FROM quarantine WHERE created_at < ? AND release_requested_at IS NULL', [before]);
  }
}
