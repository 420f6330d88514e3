/*
 * SETQUOTA quota-root (resource limit ...).
 *
 * Exports: parseSetQuota, SetQuotaArgs.
 * Security: parses untrusted client input through the bounded Reader; at most
 * MAX_QUOTA_RESOURCES resources. Whether the user may set quotas at all is the session's call.
 * Standards: RFC 9208 section 4.4.
 */
import type { Reader } from '../reader.js';
import { MAX_QUOTA_RESOURCES } from '../limits.js';

export interface SetQuotaArgs {
  root: string;
  /** Upper-cased resource names (STORAGE, MESSAGE, MAILBOX, ANNOTATION-STORAGE) with limits. */
  limits: Array<{ resource: string; limit: bigint }>;
}

export function parseSetQuota(r: Reader): SetQuotaArgs {
  r.sp();
  const root = r.astring();
  r.sp();
  const limits: SetQuotaArgs['limits'] = [];
  r.open();
  while (!r.is(')')) {
    if (limits.length) r.sp();
    const resource = r.atom().toUpperCase();
    r.sp();
    limits.push({ resource, limit: r.number64() });
    if (limits.length > MAX_QUOTA_RESOURCES) throw r.error('too many quota resources', 'limit');
  }
  r.close();
  return { root, limits };
}
