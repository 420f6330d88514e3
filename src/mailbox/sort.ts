/*
 * SORT ordering (RFC 5256 section 3): compares messages by a list of
 * criteria, each possibly reversed, with the mailbox order (sequence
 * number) as the final tie-break, which REVERSE does not flip.
 *
 * Exports: SortItem, SortCriterion, SortKeyName, sortItems.
 * Security: pure; O(n log n) comparisons over keys computed once per
 * message.
 * Standards: RFC 5256 sections 2.2 (sent date, falling back to the
 * internal date), 2.1 (base subject) and 3 (ARRIVAL, CC, DATE, FROM,
 * SIZE, SUBJECT, TO: addresses compare by the addr-mailbox of their first
 * address; strings with i;ascii-casemap, RFC 4790).
 */
import { baseSubject, casemap } from './base-subject.js';

export type SortKeyName = 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO';

export interface SortCriterion {
  key: SortKeyName;
  reverse: boolean;
}

export interface SortItem {
  /** Mailbox order: the final tie-break. */
  seq: number;
  internalDate: number;
  size: number;
  /** Date: in ms, null when absent or unparsable. */
  sentDate: number | null;
  /** Decoded Subject. */
  subject: string;
  fromMailbox: string | null;
  toMailbox: string | null;
  ccMailbox: string | null;
}

type Key = number | string;

function keyOf(item: SortItem, key: SortKeyName): Key {
  switch (key) {
    case 'ARRIVAL':
      return item.internalDate;
    case 'DATE':
      return item.sentDate ?? item.internalDate;
    case 'SIZE':
      return item.size;
    case 'SUBJECT':
      return casemap(baseSubject(item.subject).base);
    case 'FROM':
      return casemap(item.fromMailbox ?? '');
    case 'TO':
      return casemap(item.toMailbox ?? '');
    case 'CC':
      return casemap(item.ccMailbox ?? '');
  }
}

/** The items in SORT order (a new array). */
export function sortItems<T extends SortItem>(items: readonly T[], criteria: readonly SortCriterion[]): T[] {
  const keyed = items.map((item) => ({ item, keys: criteria.map((c) => keyOf(item, c.key)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < criteria.length; i++) {
      const x = a.keys[i]!;
      const y = b.keys[i]!;
      if (x === y) continue;
      const order = x < y ? -1 : 1;
      return criteria[i]!.reverse ? -order : order;
    }
    return a.item.seq - b.item.seq;
  });
  return keyed.map((k) => k.item);
}
