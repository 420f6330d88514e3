/*
 * ACME state in portable SQL: one account per CA directory (its key and
 * URL), and the HTTP-01 key authorizations in progress, which the HTTP
 * listener of any process on this store answers.
 *
 * Security: the account key is a private key (PEM), kept with the other
 * keys in the metadata store (the data directory is 0700); tokens come
 * from the CA (and, when served, from the request path: looked up, bound,
 * never interpolated).
 */
import type { AcmeStore } from '../types.js';
import type { SqlDriver } from './driver.js';

export class SqlAcmeStore implements AcmeStore {
  constructor(
    private readonly db: SqlDriver,
    private readonly now: () => number,
  ) {}

  async account(directoryUrl: string): Promise<{ accountKey: string; accountUrl: string | null; email: string | null } | undefined> {
    const row = await this.db.get<{ account_key: string; account_url: string | null; email: string | null }>('SELECT account_key, account_url, email FROM acme_accounts WHERE directory_url = ?', [directoryUrl]);
    return row ? { accountKey: row.account_key, accountUrl: row.account_url, email: row.email } : undefined;
  }

  async saveAccount(directoryUrl: string, a: { accountKey: string; accountUrl: string | null; email: string | null }): Promise<void> {
    await this.db.run(
      `INSERT INTO acme_accounts (directory_url, account_key, account_url, email, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (directory_url) DO UPDATE SET account_key = excluded.account_key, account_url = excluded.account_url, email = excluded.email`,
      [directoryUrl, a.accountKey, a.accountUrl, a.email, this.now()],
    );
  }

  async challenge(token: string, now: number): Promise<string | undefined> {
    const row = await this.db.get<{ key_authorization: string }>('SELECT key_authorization FROM acme_challenges WHERE token = ? AND expires_at > ?', [token, now]);
    return row?.key_authorization;
  }

  async setChallenge(token: string, keyAuthorization: string, expiresAt: number): Promise<void> {
    await this.db.run(
      'INSERT INTO acme_challenges (token, key_authorization, expires_at) VALUES (?, ?, ?) ON CONFLICT (token) DO UPDATE SET key_authorization = excluded.key_authorization, expires_at = excluded.expires_at',
      [token, keyAuthorization, expiresAt],
    );
    // Challenges are short-lived: old ones go whenever a new one is set.
    await this.db.run('DELETE FROM acme_challenges WHERE expires_at <= ?', [this.now()]);
  }

  async removeChallenge(token: string): Promise<void> {
    await this.db.run('DELETE FROM acme_challenges WHERE token = ?', [token]);
  }
}
