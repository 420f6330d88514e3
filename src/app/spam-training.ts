/*
 * The Bayes tables learning from what users do: every learn_interval the
 * spam and ham events that moves into and out of Junk recorded are
 * consumed (filters/spam/bayes/learn.ts trainFromEvents), each message
 * read from the blob store; a message already gone is dropped with its
 * event.
 *
 * Exports: scheduleSpamTraining.
 * Security: reads stored messages only.
 */
import { access } from 'node:fs/promises';
import { trainFromEvents } from '../filters/spam/bayes/learn.js';
import { blobPath } from '../store/blob/files.js';
import type { MetadataStore } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import { runPeriodically } from './periodic.js';

/** Events consumed per run; the rest wait for the next. */
const BATCH = 500;

export function scheduleSpamTraining(store: MetadataStore, blobs: { root: string; get(hash: string): Promise<Buffer> }, intervalMs: number, log: Logger): { stop(): void } {
  const reader = {
    get: (hash: string) => blobs.get(hash),
    has: (hash: string) => access(blobPath(blobs.root, hash)).then(() => true, () => false),
  };
  return runPeriodically(async () => void (await trainFromEvents(store, reader, { limit: BATCH, log })), intervalMs, log, 'spam training');
}
