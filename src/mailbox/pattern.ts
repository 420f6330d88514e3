/*
 * LIST pattern matching: `*` matches anything, `%` anything but the
 * hierarchy separator; the reference name is prefixed to the pattern.
 *
 * Exports: compilePattern, joinReference.
 * Security: patterns come from the client. They are turned into a matcher
 * over code points without a regular expression, in O(name × pattern)
 * time with a bounded table, so a pattern of many `*` cannot backtrack
 * exponentially.
 * Standards: RFC 9051 section 6.3.9 (wildcards, reference), RFC 5258.
 */
import { HIERARCHY_SEPARATOR } from './names.js';

/** Reference and pattern as one pattern (RFC 9051 6.3.9: the reference is a prefix). */
export function joinReference(reference: string, pattern: string): string {
  if (reference === '') return pattern;
  if (pattern.startsWith(HIERARCHY_SEPARATOR)) return pattern;
  if (reference.endsWith(HIERARCHY_SEPARATOR)) return reference + pattern;
  return reference + pattern;
}

/** A matcher for one full pattern; INBOX in the first level matches case-insensitively. */
export function compilePattern(pattern: string): (name: string) => boolean {
  const p = Array.from(normalizeInbox(pattern));
  return (name: string): boolean => {
    const n = Array.from(name);
    // prev[j]: pattern[0..i) matches name[0..j)
    let prev = new Array<boolean>(n.length + 1).fill(false);
    prev[0] = true;
    for (const c of p) {
      const cur = new Array<boolean>(n.length + 1).fill(false);
      if (c === '*') {
        let any = false;
        for (let j = 0; j <= n.length; j++) {
          any = any || prev[j]!;
          cur[j] = any;
        }
      } else if (c === '%') {
        for (let j = 0; j <= n.length; j++) {
          cur[j] = prev[j]! || (j > 0 && cur[j - 1]! && n[j - 1] !== HIERARCHY_SEPARATOR);
        }
      } else {
        for (let j = 1; j <= n.length; j++) cur[j] = prev[j - 1]! && n[j - 1] === c;
      }
      prev = cur;
    }
    return prev[n.length]!;
  };
}

function normalizeInbox(pattern: string): string {
  const i = pattern.indexOf(HIERARCHY_SEPARATOR);
  const first = i < 0 ? pattern : pattern.slice(0, i);
  return first.toUpperCase() === 'INBOX' ? 'INBOX' + (i < 0 ? '' : pattern.slice(i)) : pattern;
}
