/*
 * Greylisting's tables in portable SQL (greylist, greylist_clients): one
 * transaction per check reads the network and the triplet, decides, and
 * writes what it saw, so concurrent sessions cannot both count a first
 * attempt as a retry.
 *
 * Exports: SqlGreylistStore.
 * Security: keys are the filter's hashes and network names; values bound.
 * Standards: the algorithm of Harris's "The Next Step in the Spam Control
 * War: Greylisting" (2003), as postgrey implements it.
 */
import type { GreylistPolicy, GreylistStore } from '../types.js';
import type { SqlDriver } from './driver.js';

interface Row {
  first_seen: number;
  last_seen: number;
  passed_at: number | null;
}

export class SqlGreylistStore implements GreylistStore {
  constructor(private readonly db: SqlDriver) {}

  check(triplet: string, network: string, now: number, policy: GreylistPolicy): Promise<'new' | 'wait' | 'passed' | 'allowlisted'> {
    return this.db.transaction(async (tx) => {
      if (policy.autoAllowAfter > 0) {
        const client = await tx.get<{ passes: number; last_seen: number }>('SELECT passes, last_seen FROM greylist_clients WHERE network = ?', [network]);
        if (client && Number(client.passes) >= policy.autoAllowAfter && now - Number(client.last_seen) <= policy.maxAgeMs) {
          await tx.run('UPDATE greylist_clients SET last_seen = ? WHERE network = ?', [now, network]);
          return 'allowlisted';
        }
      }
      const row = await tx.get<Row>('SELECT first_seen, last_seen, passed_at FROM greylist WHERE triplet = ?', [triplet]);
      const firstSeen = row ? Number(row.first_seen) : 0;
      const stale = !row
        || (row.passed_at === null && now - firstSeen > policy.retryWindowMs)
        || (row.passed_at !== null && now - Number(row.last_seen) > policy.maxAgeMs);
      if (stale) {
        await tx.run(
          'INSERT INTO greylist (triplet, first_seen, last_seen, passed_at) VALUES (?, ?, ?, NULL) ON CONFLICT (triplet) DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen, passed_at = NULL',
          [triplet, now, now],
        );
        return 'new';
      }
      if (row!.passed_at !== null) {
        await tx.run('UPDATE greylist SET last_seen = ? WHERE triplet = ?', [now, triplet]);
        return 'passed';
      }
      if (now - firstSeen < policy.delayMs) {
        await tx.run('UPDATE greylist SET last_seen = ? WHERE triplet = ?', [now, triplet]);
        return 'wait';
      }
      // The sender came back after the delay: a real MTA with a queue.
      await tx.run('UPDATE greylist SET last_seen = ?, passed_at = ? WHERE triplet = ?', [now, now, triplet]);
      await tx.run(
        'INSERT INTO greylist_clients (network, passes, last_seen) VALUES (?, 1, ?) ON CONFLICT (network) DO UPDATE SET passes = greylist_clients.passes + 1, last_seen = excluded.last_seen',
        [network, now],
      );
      return 'passed';
      // A lost check after a crash only defers one sender once more: no fsync on the session's path.
    }, { durable: false });
  }

  expire(now: number, policy: GreylistPolicy): Promise<number> {
    return this.db.transaction(async (tx) => {
      const triplets = await tx.run('DELETE FROM greylist WHERE (passed_at IS NULL AND first_seen < ?) OR last_seen < ?', [now - policy.retryWindowMs, now - policy.maxAgeMs]);
      const clients = await tx.run('DELETE FROM greylist_clients WHERE last_seen < ?', [now - policy.maxAgeMs]);
      return triplets + clients;
    }, { durable: false });
  }
}
