/*
 * The metadata store over any SQL driver: the repositories of this folder
 * put together, after migrations.
 *
 * Security: see the repositories.
 */
import type { MetadataStore } from '../types.js';
import { SqlAcmeStore } from './acme.js';
import { SqlAnnotationStore } from './annotations.js';
import { SqlBayesStore } from './bayes.js';
import { SqlBlobGarbage } from './blob-garbage.js';
import { SqlDeliveryStore } from './deliveries.js';
import { SqlDirectoryStore } from './directory.js';
import type { SqlDriver } from './driver.js';
import { SqlLearningStore } from './learning.js';
import { SqlQuarantineStore } from './quarantine.js';
import { SqlGreylistStore } from './greylist.js';
import { SqlMailboxStore } from './mailboxes.js';
import { SqlMessageStore } from './messages.js';
import { migrate } from './migrations.js';
import { SqlMtaStsCache } from './mta-sts.js';
import { SqlQueueStore } from './queue.js';
import { SqlSearchQueue } from './search.js';
import { SqlSieveMarkStore } from './sieve-marks.js';
import { SqlSieveScriptStore } from './sieve-scripts.js';
import { SqlSubscriptionStore } from './subscriptions.js';

export async function openSqlStore(driver: SqlDriver, now: () => number = Date.now): Promise<MetadataStore> {
  await migrate(driver, now);
  return {
    directory: new SqlDirectoryStore(driver, now),
    mailboxes: new SqlMailboxStore(driver, now),
    subscriptions: new SqlSubscriptionStore(driver, now),
    messages: new SqlMessageStore(driver, now),
    deliveries: new SqlDeliveryStore(driver, now),
    queue: new SqlQueueStore(driver),
    annotations: new SqlAnnotationStore(driver),
    learning: new SqlLearningStore(driver),
    bayes: new SqlBayesStore(driver),
    quarantine: new SqlQuarantineStore(driver),
    greylist: new SqlGreylistStore(driver),
    sieve: new SqlSieveScriptStore(driver),
    sieveMarks: new SqlSieveMarkStore(driver),
    mtaSts: new SqlMtaStsCache(driver),
    searchQueue: new SqlSearchQueue(driver),
    async isBlobReferenced(hash: string): Promise<boolean> {
      const row = await driver.get(
        'SELECT 1 AS x FROM messages WHERE blob_hash = ? UNION ALL SELECT 1 AS x FROM queue WHERE blob_hash = ? UNION ALL SELECT 1 AS x FROM learning_events WHERE blob_hash = ? UNION ALL SELECT 1 AS x FROM quarantine WHERE blob_hash = ? LIMIT 1',
        [hash, hash, hash, hash],
      );
      return row !== undefined;
    },
    blobGarbage: new SqlBlobGarbage(driver),
    acme: new SqlAcmeStore(driver, now),
    close: () => driver.close(),
  };
}
