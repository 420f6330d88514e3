/*
 * STATUS mailbox (items).
 *
 * Exports: parseStatus, parseStatusItems, StatusArgs, StatusItem, STATUS_ITEMS.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 9051 section 6.3.11, RFC 7162 (HIGHESTMODSEQ), RFC 7889 (APPENDLIMIT), RFC 8438 (SIZE), RFC 9051 DELETED, RFC 9208 (DELETED-STORAGE).
 */
import type { Reader } from '../reader.js';

export const STATUS_ITEMS = [
  'MESSAGES', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'DELETED', 'SIZE', 'RECENT', 'HIGHESTMODSEQ', 'APPENDLIMIT', 'MAILBOXID', 'DELETED-STORAGE',
] as const;
export type StatusItem = (typeof STATUS_ITEMS)[number];

export interface StatusArgs {
  mailbox: string;
  items: StatusItem[];
}

export function parseStatusItems(r: Reader): StatusItem[] {
  return r.list(() => {
    const a = r.atom().toUpperCase();
    const item = STATUS_ITEMS.find((x) => x === a);
    if (!item) throw r.error('unknown status item');
    return item;
  }, false);
}

export function parseStatus(r: Reader): StatusArgs {
  r.sp();
  const mailbox = r.mailbox();
  r.sp();
  return { mailbox, items: parseStatusItems(r) };
}
