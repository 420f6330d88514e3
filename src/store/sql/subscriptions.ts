/*
 * Subscription repository in portable SQL: the names an account subscribed
 * to, kept apart from the mailboxes so a subscription survives the
 * mailbox's deletion and may name one that never existed.
 *
 * Exports: SqlSubscriptionStore.
 * Security: names are validated by the caller; values are bound.
 * Standards: RFC 9051 6.3.7 (SUBSCRIBE), 6.3.8 (UNSUBSCRIBE).
 */
import type { SubscriptionStore } from '../types.js';
import type { SqlDriver } from './driver.js';

export class SqlSubscriptionStore implements SubscriptionStore {
  constructor(
    private readonly db: SqlDriver,
    private readonly now: () => number,
  ) {}

  async subscribe(accountId: number, name: string): Promise<void> {
    await this.db.run('INSERT INTO subscriptions (account_id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (account_id, name) DO NOTHING', [accountId, name, this.now()]);
  }

  async unsubscribe(accountId: number, name: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM subscriptions WHERE account_id = ? AND name = ?', [accountId, name])) > 0;
  }

  async listSubscriptions(accountId: number): Promise<string[]> {
    // Sorted here, not by ORDER BY, so the order is the same whatever the backend's collation.
    return (await this.db.all<{ name: string }>('SELECT name FROM subscriptions WHERE account_id = ?', [accountId])).map((r) => r.name).sort();
  }
}
