/*
 * SORT [RETURN (...)] (criteria) charset keys.
 *
 * Exports: parseSort, SortArgs, SortCriterion, SortKey.
 * Security: parses untrusted client input through the bounded Reader and the
 * capped search-key parser.
 * Standards: RFC 5256 section 3 (SORT), RFC 5957
 * (DISPLAYFROM/DISPLAYTO), RFC 5267 (ESORT RETURN).
 */
import type { Reader } from '../reader.js';
import { parseSearchKeys, type SearchKey, type SearchReturn } from './search.js';

export type SortKey = 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO';
export interface SortCriterion {
  key: SortKey;
  reverse: boolean;
}

export interface SortArgs {
  criteria: SortCriterion[];
  returns: SearchReturn[] | null;
  charset: string;
  query: SearchKey;
}

const SORT_KEYS: readonly SortKey[] = ['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO'];

export function parseSort(r: Reader): SortArgs {
  let returns: SearchReturn[] | null = null;
  r.sp();
  if (r.keyword('RETURN')) {
    r.sp();
    returns = r.list(() => {
      const a = r.atom().toUpperCase();
      if (a !== 'MIN' && a !== 'MAX' && a !== 'ALL' && a !== 'COUNT') throw r.error('unknown sort return option');
      return a;
    });
    r.sp();
  }
  const criteria: SortCriterion[] = [];
  r.open();
  for (;;) {
    const reverse = r.keyword('REVERSE');
    if (reverse) r.sp();
    const a = r.atom().toUpperCase();
    const key = SORT_KEYS.find((k) => k === a);
    if (!key) throw r.error('unknown sort key');
    criteria.push({ key, reverse });
    if (criteria.length > SORT_KEYS.length * 2) throw r.error('too many sort keys', 'limit');
    if (r.is(')')) break;
    r.sp();
  }
  r.close();
  r.sp();
  const charset = r.astring().toUpperCase();
  return { criteria, returns, charset, query: parseSearchKeys(r) };
}
