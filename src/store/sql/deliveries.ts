/*
 * The delivery commit: the one transaction after which Petrel answers 250.
 * Several messages share it (group commit): their blob rows, one mailbox
 * entry per local recipient with the next UID and MODSEQ, quota usage, and
 * the outbound queue rows for remote recipients, and the quarantine entry
 * of recipients the filters held (or the removal of the one released),
 * and what a Sieve run made of the message (its `also` messages: edited
 * copies, redirects, vacation replies; duplicate and vacation marks).
 *
 * Each mailbox entry gets its THREADID here (threads.ts).
 *
 * Security: quota is checked here, under the transaction, so concurrent
 * deliveries cannot both squeeze under it.
 * IMAP APPEND comes through here too (flags, a mailbox that must exist),
 * and MULTIAPPEND through commitAtomic (all messages or none).
 *
 * Standards: RFC 9051 (UIDs strictly ascending per mailbox), RFC 7162,
 * RFC 3502 (MULTIAPPEND atomicity), RFC 8474 (THREADID).
 */
import { DEFAULT_MAILBOXES, INBOX } from '../../core/mailbox-names.js';
import type { AtomicDeliveryResult, DeliveryRequest, DeliveryResult, DeliveryStore, LocalOutcome, LocalTarget } from '../types.js';
import type { SqlDriver, SqlExecutor } from './driver.js';
import { insertSearchKeys, NO_SEARCH_KEYS } from './fulltext.js';
import { ensureMailboxesIn } from './mailboxes.js';
import { insertQuarantine } from './quarantine.js';
import { claimMark, recordMark } from './sieve-marks.js';
import { messageIdsIn } from '../../core/message-ids.js';
import { threadIdFor } from './threads.js';
import { flagsText, normaliseFlags } from './uid-set.js';

/** Thrown inside commitAtomic's transaction to roll it back, carrying the outcomes. */
class AtomicFailure extends Error {
  constructor(readonly results: DeliveryResult[]) {
    super('atomic delivery refused');
  }
}

export class SqlDeliveryStore implements DeliveryStore {
  constructor(
    private readonly db: SqlDriver,
    private readonly now: () => number,
  ) {}

  commit(requests: readonly DeliveryRequest[]): Promise<DeliveryResult[]> {
    return this.db.transaction(async (tx) => {
      const results: DeliveryResult[] = [];
      for (const request of requests) results.push(await this.commitOne(tx, request));
      return results;
    });
  }

  async commitAtomic(requests: readonly DeliveryRequest[]): Promise<AtomicDeliveryResult> {
    try {
      const results = await this.db.transaction(async (tx) => {
        const out: DeliveryResult[] = [];
        for (const request of requests) {
          const result = await this.commitOne(tx, request);
          out.push(result);
          if (result.local.some((o) => !o.ok)) throw new AtomicFailure(out);
        }
        return out;
      });
      return { committed: true, results };
    } catch (err) {
      if (err instanceof AtomicFailure) return { committed: false, results: err.results };
      throw err;
    }
  }

  private async commitOne(tx: SqlExecutor, request: DeliveryRequest): Promise<DeliveryResult> {
    const now = this.now();
    const { blob } = request;
    // A release is delivered once: the entry goes in this transaction, and if it is already gone nothing is written.
    if (request.releasesQuarantine !== undefined && (await tx.run('DELETE FROM quarantine WHERE id = ?', [request.releasesQuarantine])) === 0) {
      return { local: [], releaseGone: true };
    }
    // A vacation reply goes once per sender per period: the mark is taken here, under the transaction.
    if (request.onlyOnce && !(await claimMark(tx, request.onlyOnce, now))) return { local: [], skipped: true };
    await tx.run('INSERT INTO blobs (hash, size, mime, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING', [blob.hash, blob.size, blob.index, now]);
    // Only a message that lands in a mailbox can be searched: mail only queued for remote recipients is not indexed
    // (a later local copy of the same bytes adds the keys then; insertSearchKeys keeps the first).
    if (request.local.length > 0) await insertSearchKeys(tx, blob.hash, blob.search ?? NO_SEARCH_KEYS);
    const local: LocalOutcome[] = [];
    for (const target of request.local) local.push(await this.deliverLocal(tx, request, target, now));
    if (request.outbound && request.outbound.recipients.length > 0) {
      const { sender, recipients, source, accountId, envelope: e } = request.outbound;
      await tx.run(
        `INSERT INTO queue (queue_id, sender, blob_hash, size, source, account_id, message_id, created_at, ret, envid, smtputf8, requiretls, body_type)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [request.queueId, sender, blob.hash, blob.size, source, accountId, request.messageId, now, e.ret, e.envid, e.smtpUtf8 ? 1 : 0, e.requireTls ? 1 : 0, e.body],
      );
      // One row per address: the first RCPT that led to it gives its DSN parameters.
      const seen = new Set<string>();
      for (const r of recipients) {
        if (seen.has(r.address)) continue;
        seen.add(r.address);
        await tx.run("INSERT INTO queue_recipients (queue_id, recipient, status, next_attempt, notify, orcpt) VALUES (?, ?, 'queued', ?, ?, ?)", [
          request.queueId,
          r.address,
          now,
          r.notify ? r.notify.join(',') : null,
          r.orcpt,
        ]);
      }
    }
    if (request.quarantine) await insertQuarantine(tx, request, request.quarantine, now);
    for (const mark of request.marks ?? []) await recordMark(tx, mark, now);
    if (request.also && request.also.length > 0) {
      const also: DeliveryResult[] = [];
      for (const companion of request.also) also.push(await this.commitOne(tx, companion));
      return { local, also };
    }
    return { local };
  }

  private async deliverLocal(tx: SqlExecutor, request: DeliveryRequest, target: LocalTarget, now: number): Promise<LocalOutcome> {
    const account = await tx.get<{ quota_bytes: number; used_bytes: number; enabled: number }>('SELECT quota_bytes, used_bytes, enabled FROM accounts WHERE id = ?', [target.accountId]);
    if (!account) return { ok: false, reason: 'no-account' };
    if (Number(account.enabled) !== 1) return { ok: false, reason: 'disabled' };
    const quota = Number(account.quota_bytes);
    if (target.enforceQuota && quota > 0 && Number(account.used_bytes) + request.blob.size > quota) return { ok: false, reason: 'quota' };

    const columns = 'SELECT id, uidvalidity, uidnext, highest_modseq FROM mailboxes WHERE account_id = ? AND name = ?';
    let mailbox = await tx.get<{ id: number; uidvalidity: number; uidnext: number; highest_modseq: number }>(columns, [target.accountId, target.mailbox]);
    if (!mailbox) {
      if (target.mustExist) return { ok: false, reason: 'no-mailbox' };
      await ensureMailboxesIn(tx, target.accountId, DEFAULT_MAILBOXES.some((m) => m.name === target.mailbox) ? DEFAULT_MAILBOXES : [...DEFAULT_MAILBOXES, { name: target.mailbox, specialUse: null }], now);
      mailbox = await tx.get(columns, [target.accountId, target.mailbox]);
    }
    const mailboxId = Number(mailbox!.id);
    const uid = Number(mailbox!.uidnext);
    const modseq = Number(mailbox!.highest_modseq) + 1;
    const threadId = await threadIdFor(tx, target.accountId, request.blob, request.messageId, request.threadRefs);
    await tx.run('INSERT INTO messages (mailbox_id, uid, modseq, flags, internal_date, save_date, size, blob_hash, message_id, queue_id, thread_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      mailboxId,
      uid,
      modseq,
      flagsText(normaliseFlags(target.flags ?? [])),
      request.internalDate,
      now,
      request.blob.size,
      request.blob.hash,
      // The bare `<id>`, as threading looks it up.
      messageIdsIn(request.messageId)[0] ?? request.messageId,
      request.queueId,
      threadId,
    ]);
    await tx.run('UPDATE mailboxes SET uidnext = ?, highest_modseq = ?, message_count = message_count + 1, total_size = total_size + ? WHERE id = ?', [uid + 1, modseq, request.blob.size, mailboxId]);
    await tx.run('UPDATE accounts SET used_bytes = used_bytes + ? WHERE id = ?', [request.blob.size, target.accountId]);
    return { ok: true, mailboxId, uidValidity: Number(mailbox!.uidvalidity), uid, modseq };
  }
}
