/*
 * NOTIFY NONE / NOTIFY SET [STATUS] (filter events)...
 *
 * Exports: parseNotify, NotifyArgs, NotifyEventGroup, NotifyFilter, NotifyEvent.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 5465 section 8 (formal syntax).
 */
import type { Reader } from '../reader.js';
import { MAX_NOTIFY_GROUPS } from '../limits.js';

export type NotifyFilter =
  | { kind: 'SELECTED' | 'SELECTED-DELAYED' | 'INBOXES' | 'PERSONAL' | 'SUBSCRIBED' }
  | { kind: 'SUBTREE' | 'MAILBOXES'; mailboxes: string[] };

export interface NotifyEvent {
  /** Upper-cased, e.g. MESSAGENEW, FLAGCHANGE, MAILBOXNAME. */
  name: string;
  /** For MessageNew: the fetch attributes requested, as raw atoms. */
  fetchAtts: string[];
}

export interface NotifyEventGroup {
  filter: NotifyFilter;
  /** null: NONE. */
  events: NotifyEvent[] | null;
}

export type NotifyArgs = { kind: 'NONE' } | { kind: 'SET'; status: boolean; groups: NotifyEventGroup[] };

function mailboxes(r: Reader): string[] {
  if (r.is('(')) return r.list(() => r.mailbox(), false);
  return [r.mailbox()];
}

function fetchAttAtom(r: Reader): string {
  let s = r.atomUntil('[');
  if (r.is('[')) {
    // Keep the section text as an opaque token, bounded by the line.
    r.expect('[');
    s += '[';
    while (!r.is(']')) {
      if (r.peek() < 0) throw r.error('unterminated section');
      s += r.is('(') ? `(${r.list(() => r.astring()).join(' ')})` : r.is(' ') ? (r.sp(), ' ') : r.atomUntil('] (');
    }
    r.expect(']');
    s += ']';
  }
  return s.toUpperCase();
}

export function parseNotify(r: Reader): NotifyArgs {
  r.sp();
  if (r.keyword('NONE')) return { kind: 'NONE' };
  if (!r.keyword('SET')) throw r.error('expected SET or NONE');
  let status = false;
  if (r.lookahead(' STATUS')) {
    r.sp();
    r.keyword('STATUS');
    status = true;
  }
  const groups: NotifyEventGroup[] = [];
  do {
    r.sp();
    r.open();
    const kind = r.atom().toUpperCase();
    let filter: NotifyFilter;
    if (kind === 'SUBTREE' || kind === 'MAILBOXES') {
      r.sp();
      filter = { kind, mailboxes: mailboxes(r) };
    } else if (kind === 'SELECTED' || kind === 'SELECTED-DELAYED' || kind === 'INBOXES' || kind === 'PERSONAL' || kind === 'SUBSCRIBED') {
      filter = { kind };
    } else throw r.error('unknown notify filter');
    r.sp();
    let events: NotifyEvent[] | null;
    if (r.keyword('NONE')) events = null;
    else {
      events = r.list(() => {
        const name = r.atom().toUpperCase();
        let fetchAtts: string[] = [];
        if (name === 'MESSAGENEW' && r.lookahead(' (')) {
          r.sp();
          fetchAtts = r.list(() => fetchAttAtom(r));
        }
        return { name, fetchAtts };
      }, false);
    }
    r.close();
    groups.push({ filter, events });
    if (groups.length > MAX_NOTIFY_GROUPS) throw r.error('too many notify groups', 'limit');
  } while (!r.atEnd());
  return { kind: 'SET', status, groups };
}
