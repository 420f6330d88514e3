/*
 * LIST, basic and LIST-EXTENDED (selection options, several patterns, RETURN options incl. STATUS).
 *
 * Exports: parseList, ListArgs, ListSelectOption, ListReturnOption.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 9051 section 6.3.9, RFC 5258 (LIST-EXTENDED), RFC 5819 (LIST-STATUS), RFC 6154 (SPECIAL-USE).
 */
import type { Reader } from '../reader.js';
import { parseStatusItems, type StatusItem } from './status.js';

export type ListSelectOption = 'SUBSCRIBED' | 'REMOTE' | 'RECURSIVEMATCH' | 'SPECIAL-USE';
export type ListReturnOption =
  | { kind: 'SUBSCRIBED' }
  | { kind: 'CHILDREN' }
  | { kind: 'SPECIAL-USE' }
  | { kind: 'MYRIGHTS' }
  | { kind: 'STATUS'; items: StatusItem[] };

export interface ListArgs {
  /** True when any LIST-EXTENDED syntax was used (the reply then uses extended data). */
  extended: boolean;
  selection: ListSelectOption[];
  reference: string;
  patterns: string[];
  returns: ListReturnOption[];
}

const SELECT_OPTS: readonly ListSelectOption[] = ['SUBSCRIBED', 'REMOTE', 'RECURSIVEMATCH', 'SPECIAL-USE'];

export function parseList(r: Reader): ListArgs {
  r.sp();
  let extended = false;
  let selection: ListSelectOption[] = [];
  if (r.is('(')) {
    extended = true;
    selection = r.list(() => {
      const a = r.atom().toUpperCase();
      const o = SELECT_OPTS.find((x) => x === a);
      if (!o) throw r.error('unknown list selection option');
      return o;
    });
    r.sp();
  }
  const reference = r.mailbox();
  r.sp();
  let patterns: string[];
  if (r.is('(')) {
    extended = true;
    patterns = r.list(() => r.listMailbox(), false);
  } else patterns = [r.listMailbox()];
  const returns: ListReturnOption[] = [];
  if (r.maybeSp()) {
    if (!r.keyword('RETURN')) throw r.error('expected RETURN');
    extended = true;
    r.sp();
    r.list(() => {
      const a = r.atom().toUpperCase();
      if (a === 'STATUS') {
        r.sp();
        returns.push({ kind: 'STATUS', items: parseStatusItems(r) });
      } else if (a === 'SUBSCRIBED' || a === 'CHILDREN' || a === 'SPECIAL-USE' || a === 'MYRIGHTS') {
        returns.push({ kind: a });
      } else throw r.error('unknown list return option');
    });
  }
  if (selection.includes('RECURSIVEMATCH') && selection.length === 1) throw r.error('RECURSIVEMATCH alone');
  return { extended, selection, reference, patterns, returns };
}
