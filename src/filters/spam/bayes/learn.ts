/*
 * Training the Bayes classifier: one message learned as spam or ham into
 * the global table and, for a user's verdict, the user's own too; and the
 * trainer that consumes the learning events IMAP COPY/MOVE into and out
 * of Junk recorded (store/sql/learning.ts), reading each message from the
 * blob store. The server runs the trainer now and then; `petrel spam
 * learn` calls learnMessage.
 *
 * A message is known by its SHA-256 (the blob hash), so moving it into
 * Junk twice learns it once, and moving it back out relearns it as ham.
 *
 * Exports: learnMessage, forgetMessage, trainFromEvents, TrainingReport.
 * Security: messages come from our blob store or the operator's files;
 * the trainer handles at most `limit` events per run and consumes an
 * event whose blob is gone (nothing left to learn from) instead of
 * retrying it forever.
 */
import { sha256 } from '../../../store/blob/files.js';
import type { BayesLearnResult, BayesStore, LearningKind, LearningStore } from '../../../store/types.js';
import type { Logger } from '../../../telemetry/logger.js';
import { readMessage } from '../message.js';
import { tokenize } from './tokenize.js';

/** Learns the message into the global table and, with an account, into the account's; the account's result (else the global one). */
export async function learnMessage(bayes: BayesStore, bytes: Buffer, kind: LearningKind, accountId: number | null, now: number, key = sha256(bytes)): Promise<BayesLearnResult> {
  const tokens = tokenize(readMessage(bytes));
  const global = await bayes.learn(null, key, kind, tokens, now);
  return accountId === null ? global : bayes.learn(accountId, key, kind, tokens, now);
}

/** Unlearns the message from the global table and the account's; whether any had learned it. */
export async function forgetMessage(bayes: BayesStore, bytes: Buffer, accountId: number | null, now: number): Promise<boolean> {
  const key = sha256(bytes);
  const tokens = tokenize(readMessage(bytes));
  const global = await bayes.forget(null, key, tokens, now);
  const own = accountId === null ? false : await bayes.forget(accountId, key, tokens, now);
  return global || own;
}

export interface TrainingReport {
  learned: number;
  relearned: number;
  unchanged: number;
  /** Events whose message was no longer in the blob store. */
  missing: number;
}

/**
 * Consumes up to `limit` pending learning events, oldest first: each message is learned for its account (and the
 * global table) and its event removed. An event stays when the store fails, for the next run.
 */
export async function trainFromEvents(
  store: { learning: LearningStore; bayes: BayesStore },
  blobs: { get(hash: string): Promise<Buffer>; has(hash: string): Promise<boolean> },
  options: { limit?: number; now?: () => number; log?: Logger } = {},
): Promise<TrainingReport> {
  const now = options.now ?? Date.now;
  const report: TrainingReport = { learned: 0, relearned: 0, unchanged: 0, missing: 0 };
  const events = await store.learning.listLearningEvents(options.limit ?? 100);
  for (const event of events) {
    if (!(await blobs.has(event.blobHash))) {
      report.missing++;
      options.log?.info('spam training: message gone', { account: event.accountId, blob: event.blobHash });
    } else {
      const bytes = await blobs.get(event.blobHash);
      report[await learnMessage(store.bayes, bytes, event.kind, event.accountId, now(), event.blobHash)]++;
    }
    await store.learning.consumeLearningEvents([event.id]);
  }
  if (events.length > 0) options.log?.info('spam training', { ...report });
  return report;
}
