/*
 * UID sets and flag lists as the SQL repositories need them: a UID set
 * merged into sorted ranges and turned into a bound WHERE clause (or, when
 * it has too many ranges for one statement, a filter applied after reading
 * the mailbox's rows), and flag lists normalised for storage.
 *
 * Exports: normaliseUidSet, uidWhere, inUidSet, normaliseFlags, flagsKey,
 * SYSTEM_FLAGS.
 * Security: UID sets come from clients through the IMAP parser; their size
 * is bounded there, and here every value is bound, never interpolated.
 * Standards: RFC 9051 section 2.3.2 (flags, case-insensitive), 9 (sequence-set).
 */
import type { UidSet } from '../types.js';
import type { SqlValue } from './driver.js';

/** Above this many ranges, rows are filtered in memory instead of in SQL. */
const MAX_SQL_RANGES = 100;

export type UidRanges = readonly (readonly [number, number])[];

/** Sorted, merged, non-overlapping inclusive ranges. */
export function normaliseUidSet(set: UidSet): UidRanges {
  const ranges = set
    .map((item): [number, number] => (typeof item === 'number' ? [item, item] : [Math.min(item[0], item[1]), Math.max(item[0], item[1])]))
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [from, to] of ranges) {
    const last = merged[merged.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

/**
 * A clause restricting `uid` to the ranges, with its parameters; null when
 * there are too many ranges (use inUidSet on the rows instead).
 */
export function uidWhere(ranges: UidRanges): { sql: string; params: SqlValue[] } | null {
  if (ranges.length === 0) return { sql: '1 = 0', params: [] };
  if (ranges.length > MAX_SQL_RANGES) return null;
  const params: SqlValue[] = [];
  const terms = ranges.map(([from, to]) => {
    if (from === to) {
      params.push(from);
      return 'uid = ?';
    }
    params.push(from, to);
    return 'uid BETWEEN ? AND ?';
  });
  return { sql: `(${terms.join(' OR ')})`, params };
}

/** Whether uid lies in the ranges (binary search). */
export function inUidSet(ranges: UidRanges, uid: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [from, to] = ranges[mid]!;
    if (uid < from) hi = mid - 1;
    else if (uid > to) lo = mid + 1;
    else return true;
  }
  return false;
}

export const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'] as const;
const SYSTEM_BY_KEY = new Map<string, string>(SYSTEM_FLAGS.map((f) => [f.toLowerCase(), f]));

/** The comparison key of a flag: flags and keywords are case-insensitive. */
export const flagsKey = (flag: string): string => flag.toLowerCase();

/**
 * Flags for storage: system flags in their RFC spelling, keywords as first
 * written, duplicates (case-insensitive) and `\Recent` (session-only,
 * never stored) dropped, order kept.
 */
export function normaliseFlags(flags: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const flag of flags) {
    if (flag === '') continue;
    const key = flagsKey(flag);
    if (key === '\\recent' || seen.has(key)) continue;
    seen.add(key);
    out.push(SYSTEM_BY_KEY.get(key) ?? flag);
  }
  return out;
}

/** The stored text of a flag list (space-separated, as migration 1 defined). */
export const flagsText = (flags: readonly string[]): string => flags.join(' ');
export const parseFlags = (text: string): string[] => (text === '' ? [] : text.split(' '));
