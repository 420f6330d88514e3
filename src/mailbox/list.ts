/*
 * LIST and LSUB as data: which names of an account match the patterns, and
 * their attributes (children, special-use, subscribed, non-existent).
 *
 * Exports: ListQuery, ListEntry, listMailboxes.
 * Security: works on the account's own records only (the caller passes
 * them); the pattern matcher is linear per name (pattern.ts). Time is
 * bounded by the account's mailbox count, itself bounded at CREATE.
 * Standards: RFC 9051 section 6.3.9, RFC 5258 (LIST-EXTENDED: selection
 * SUBSCRIBED, SPECIAL-USE, RECURSIVEMATCH; \NonExistent, \Subscribed,
 * CHILDINFO), RFC 3348 (CHILDREN), RFC 6154 (SPECIAL-USE).
 */
import type { MailboxRecord } from '../store/types.js';
import { HIERARCHY_SEPARATOR } from './names.js';
import { compilePattern, joinReference } from './pattern.js';

export interface ListQuery {
  reference: string;
  patterns: readonly string[];
  /** Selection SUBSCRIBED: subscribed names only, existing or not. */
  subscribedOnly: boolean;
  /** Selection SPECIAL-USE: mailboxes with a special use only. */
  specialUseOnly: boolean;
  /** Selection RECURSIVEMATCH: also parents of matches, with CHILDINFO. */
  recursiveMatch: boolean;
}

export interface ListEntry {
  name: string;
  /** False for a subscribed name without a mailbox (`\NonExistent`). */
  exists: boolean;
  subscribed: boolean;
  hasChildren: boolean;
  specialUse: string | null;
  /** RECURSIVEMATCH: the name does not match the selection itself, a descendant does. */
  childSubscribed: boolean;
  record: MailboxRecord | null;
}

/** Entries in name order for the mailboxes and subscriptions of one account. */
export function listMailboxes(records: readonly MailboxRecord[], subscriptions: readonly string[], q: ListQuery): ListEntry[] {
  const matchers = q.patterns.map((p) => compilePattern(joinReference(q.reference, p)));
  const matches = (n: string): boolean => matchers.some((m) => m(n));
  const byName = new Map<string, MailboxRecord>();
  for (const r of records) byName.set(r.name, r);
  const subscribed = new Set(subscriptions);
  const names = new Set<string>(byName.keys());
  for (const s of subscriptions) names.add(s);
  const parents = new Set<string>();
  for (const n of byName.keys()) {
    for (let i = n.indexOf(HIERARCHY_SEPARATOR); i > 0; i = n.indexOf(HIERARCHY_SEPARATOR, i + 1)) parents.add(n.slice(0, i));
  }
  const selected = (n: string): boolean => {
    const r = byName.get(n);
    if (q.subscribedOnly && !subscribed.has(n)) return false;
    if (q.specialUseOnly && !r?.specialUse) return false;
    if (!q.subscribedOnly && !r) return false;
    return true;
  };
  const out = new Map<string, ListEntry>();
  const entry = (n: string, childSubscribed: boolean): ListEntry => {
    const r = byName.get(n) ?? null;
    return { name: n, exists: r !== null, subscribed: subscribed.has(n), hasChildren: parents.has(n), specialUse: r?.specialUse ?? null, childSubscribed, record: r };
  };
  for (const n of names) {
    if (selected(n) && matches(n)) out.set(n, entry(n, false));
  }
  if (q.recursiveMatch) {
    for (const n of names) {
      if (!selected(n)) continue;
      for (let i = n.indexOf(HIERARCHY_SEPARATOR); i > 0; i = n.indexOf(HIERARCHY_SEPARATOR, i + 1)) {
        const p = n.slice(0, i);
        if (out.has(p) || !matches(p)) continue;
        // A parent that matches the pattern but not the selection.
        out.set(p, entry(p, true));
      }
    }
  }
  return [...out.values()].sort((a, b) => (a.name === 'INBOX' ? -1 : b.name === 'INBOX' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
