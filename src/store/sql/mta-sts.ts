/*
 * The MTA-STS policy cache in portable SQL (table mta_sts_policies,
 * migration 9): one row per policy domain, replaced on each fetch. The mx
 * patterns are stored one per line (a pattern is a domain name, so it
 * never holds a line break).
 *
 * Exports: SqlMtaStsCache.
 * Security: the values come from a policy fetched from the recipient's
 * policy host, already parsed and bounded by sender-auth/mta-sts.ts; every
 * value is bound. A row whose mode is unknown reads as no policy.
 * Standards: RFC 8461 section 5.1 (a cached policy and its max_age).
 */
import type { MtaStsCache, MtaStsCachedPolicy } from '../types.js';
import type { SqlDriver } from './driver.js';

interface PolicyRow {
  policy_id: string;
  mode: string;
  mx: string;
  max_age: number | bigint;
  fetched_at: number | bigint;
  expires_at: number | bigint;
}

const MODES: readonly MtaStsCachedPolicy['mode'][] = ['enforce', 'testing', 'none'];

const isMode = (mode: string): mode is MtaStsCachedPolicy['mode'] => (MODES as readonly string[]).includes(mode);

export class SqlMtaStsCache implements MtaStsCache {
  constructor(private readonly db: SqlDriver) {}

  async get(domain: string): Promise<MtaStsCachedPolicy | undefined> {
    const row = await this.db.get<PolicyRow>(
      'SELECT policy_id, mode, mx, max_age, fetched_at, expires_at FROM mta_sts_policies WHERE domain = ?',
      [domain.toLowerCase()],
    );
    if (!row || !isMode(row.mode)) return undefined;
    return {
      id: row.policy_id,
      mode: row.mode,
      mx: row.mx.split('\n').filter((p) => p !== ''),
      maxAge: Number(row.max_age),
      fetchedAt: Number(row.fetched_at),
      expiresAt: Number(row.expires_at),
    };
  }

  async put(domain: string, policy: MtaStsCachedPolicy): Promise<void> {
    await this.db.run(
      `INSERT INTO mta_sts_policies (domain, policy_id, mode, mx, max_age, fetched_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (domain) DO UPDATE SET policy_id = excluded.policy_id, mode = excluded.mode, mx = excluded.mx,
         max_age = excluded.max_age, fetched_at = excluded.fetched_at, expires_at = excluded.expires_at`,
      [domain.toLowerCase(), policy.id, policy.mode, policy.mx.join('\n'), policy.maxAge, policy.fetchedAt, policy.expiresAt],
    );
  }

  async delete(domain: string): Promise<void> {
    await this.db.run('DELETE FROM mta_sts_policies WHERE domain = ?', [domain.toLowerCase()]);
  }
}
