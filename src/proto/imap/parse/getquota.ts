/*
 * GETQUOTA quota-root.
 *
 * Exports: parseGetQuota, GetQuotaArgs.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 9208 section 4.2.
 */
import type { Reader } from '../reader.js';

export interface GetQuotaArgs {
  root: string;
}

export function parseGetQuota(r: Reader): GetQuotaArgs {
  r.sp();
  return { root: r.astring() };
}
