/*
 * The account's quota as IMAP QUOTA presents it: one quota root, named
 * "" (the whole account, as Dovecot's single "User quota" root is), with
 * the one resource Petrel enforces, STORAGE, in units of 1024 octets.
 * An account without a quota (quotaBytes 0) has no quota root.
 *
 * Exports: QUOTA_ROOT, accountQuota, QuotaResource.
 * Security: reads the logged-in account only, afresh from the directory
 * (usage changes with every delivery).
 * Standards: RFC 9208 sections 3 and 5.1 (STORAGE).
 */
import { accountAddress } from '../../directory/directory.js';
import type { SessionApi } from './context.js';

export const QUOTA_ROOT = '';

export interface QuotaResource {
  name: 'STORAGE';
  usage: number;
  limit: number;
}

/** The resources of the account's quota root, or null when the account has no quota. */
export async function accountQuota(s: SessionApi): Promise<QuotaResource[] | null> {
  const account = (await s.directory.findAccount(accountAddress(s.account!))) ?? s.account!;
  if (account.quotaBytes <= 0) return null;
  return [{ name: 'STORAGE', usage: Math.floor(account.usedBytes / 1024), limit: Math.floor(account.quotaBytes / 1024) }];
}
