/*
 * SEARCH [RETURN (...)] [CHARSET c] keys: the full typed search-key tree.
 *
 * Exports: parseSearch, parseSearchKeys, SearchArgs, SearchKey, SearchReturn,
 * SearchDate, DateOp.
 * Security: parses untrusted client input; the count of keys and the depth of
 * NOT/OR/parenthesis recursion are capped, so no input can exhaust the stack.
 * Standards: RFC 9051 section 6.4.4, RFC 4731 (ESEARCH RETURN), RFC 5182
 * (SAVE, `$`), RFC 7162 section 3.1.5 (MODSEQ), RFC 5032 (OLDER/YOUNGER),
 * RFC 8514 (SAVEDBEFORE/SAVEDON/SAVEDSINCE/SAVEDATESUPPORTED), RFC 8474
 * (EMAILID/THREADID), RFC 3501 (NEW/OLD/RECENT/UNKEYWORD...).
 */
import type { Reader, SequenceSet } from '../reader.js';
import { MAX_SEARCH_DEPTH, MAX_SEARCH_KEYS } from '../limits.js';

export interface SearchDate {
  year: number;
  month: number;
  day: number;
}

export type DateOp = 'before' | 'on' | 'since';

export type SearchKey =
  | { type: 'all' }
  | { type: 'flag'; flag: string; set: boolean }
  | { type: 'new' }
  | { type: 'old' }
  | { type: 'header'; field: string; value: string }
  | { type: 'body'; value: string }
  | { type: 'text'; value: string }
  | { type: 'internaldate'; op: DateOp; date: SearchDate }
  | { type: 'sentdate'; op: DateOp; date: SearchDate }
  | { type: 'savedate'; op: DateOp; date: SearchDate }
  | { type: 'savedatesupported' }
  | { type: 'size'; op: 'larger' | 'smaller'; size: bigint }
  | { type: 'age'; op: 'older' | 'younger'; seconds: number }
  | { type: 'modseq'; modseq: bigint; entry: { name: string; kind: 'priv' | 'shared' | 'all' } | null }
  | { type: 'emailid' | 'threadid'; id: string }
  | { type: 'seq'; set: SequenceSet }
  | { type: 'uid'; set: SequenceSet }
  | { type: 'not'; key: SearchKey }
  | { type: 'or'; left: SearchKey; right: SearchKey }
  | { type: 'and'; keys: SearchKey[] };

export type SearchReturn = 'MIN' | 'MAX' | 'ALL' | 'COUNT' | 'SAVE';

export interface SearchArgs {
  /** null: no RETURN (classic SEARCH response); [] : RETURN () meaning ALL in ESEARCH form. */
  returns: SearchReturn[] | null;
  charset: string | null;
  /** The top-level keys are ANDed. */
  query: SearchKey;
}

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true], DELETED: ['\\Deleted', true], DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true], SEEN: ['\\Seen', true], RECENT: ['\\Recent', true],
  UNANSWERED: ['\\Answered', false], UNDELETED: ['\\Deleted', false], UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false], UNSEEN: ['\\Seen', false],
};
const ADDRESS_KEYS: Record<string, string> = { BCC: 'bcc', CC: 'cc', FROM: 'from', TO: 'to', SUBJECT: 'subject' };
const DATE_KEYS: Record<string, [SearchKey['type'], DateOp]> = {
  BEFORE: ['internaldate', 'before'], ON: ['internaldate', 'on'], SINCE: ['internaldate', 'since'],
  SENTBEFORE: ['sentdate', 'before'], SENTON: ['sentdate', 'on'], SENTSINCE: ['sentdate', 'since'],
  SAVEDBEFORE: ['savedate', 'before'], SAVEDON: ['savedate', 'on'], SAVEDSINCE: ['savedate', 'since'],
};

class KeyParser {
  private keys = 0;
  private depth = 0;
  constructor(private readonly r: Reader) {}

  private enter(): void {
    if (++this.keys > MAX_SEARCH_KEYS) throw this.r.error('too many search keys', 'limit');
    if (this.depth > MAX_SEARCH_DEPTH) throw this.r.error('search too deep', 'too-deep');
  }

  key(): SearchKey {
    const r = this.r;
    this.enter();
    if (r.is('(')) {
      this.depth++;
      const keys = r.list(() => this.key(), false);
      this.depth--;
      return keys.length === 1 ? keys[0]! : { type: 'and', keys };
    }
    if (r.isSequenceSetStart()) return { type: 'seq', set: r.sequenceSet() };
    const word = r.atom().toUpperCase();
    const flag = FLAG_KEYS[word];
    if (flag && Object.hasOwn(FLAG_KEYS, word)) return { type: 'flag', flag: flag[0], set: flag[1] };
    if (Object.hasOwn(ADDRESS_KEYS, word)) {
      r.sp();
      return { type: 'header', field: ADDRESS_KEYS[word]!, value: r.astring() };
    }
    if (Object.hasOwn(DATE_KEYS, word)) {
      const [type, op] = DATE_KEYS[word]!;
      r.sp();
      return { type, op, date: r.date() } as SearchKey;
    }
    switch (word) {
      case 'ALL':
        return { type: 'all' };
      case 'NEW':
        return { type: 'new' };
      case 'OLD':
        return { type: 'old' };
      case 'SAVEDATESUPPORTED':
        return { type: 'savedatesupported' };
      case 'KEYWORD':
      case 'UNKEYWORD':
        r.sp();
        return { type: 'flag', flag: r.flag(), set: word === 'KEYWORD' };
      case 'HEADER': {
        r.sp();
        const field = r.astring().toLowerCase();
        r.sp();
        return { type: 'header', field, value: r.astring() };
      }
      case 'BODY':
      case 'TEXT':
        r.sp();
        return { type: word === 'BODY' ? 'body' : 'text', value: r.astring() };
      case 'LARGER':
      case 'SMALLER':
        r.sp();
        return { type: 'size', op: word === 'LARGER' ? 'larger' : 'smaller', size: r.number64() };
      case 'OLDER':
      case 'YOUNGER':
        r.sp();
        return { type: 'age', op: word === 'OLDER' ? 'older' : 'younger', seconds: r.nzNumber() };
      case 'UID':
        r.sp();
        return { type: 'uid', set: r.sequenceSet() };
      case 'EMAILID':
      case 'THREADID': {
        r.sp();
        const id = r.atom();
        if (!/^[A-Za-z0-9_-]{1,255}$/.test(id)) throw r.error('bad object id');
        return { type: word === 'EMAILID' ? 'emailid' : 'threadid', id };
      }
      case 'MODSEQ': {
        r.sp();
        let entry: { name: string; kind: 'priv' | 'shared' | 'all' } | null = null;
        if (r.is('"')) {
          const name = r.string();
          r.sp();
          const kind = r.atom().toLowerCase();
          if (kind !== 'priv' && kind !== 'shared' && kind !== 'all') throw r.error('bad entry type');
          entry = { name, kind };
          r.sp();
        }
        return { type: 'modseq', modseq: r.number64(), entry };
      }
      case 'NOT': {
        r.sp();
        this.depth++;
        const key = this.key();
        this.depth--;
        return { type: 'not', key };
      }
      case 'OR': {
        r.sp();
        this.depth++;
        const left = this.key();
        r.sp();
        const right = this.key();
        this.depth--;
        return { type: 'or', left, right };
      }
      default:
        throw r.error('unknown search key');
    }
  }

  /** 1*(SP key) until the end of the command; ANDed. */
  keysToEnd(): SearchKey {
    const r = this.r;
    const keys: SearchKey[] = [];
    do {
      r.sp();
      keys.push(this.key());
    } while (!r.atEnd());
    return keys.length === 1 ? keys[0]! : { type: 'and', keys };
  }
}

/** Search keys from after the charset to the end of the command (SEARCH, SORT, THREAD). */
export function parseSearchKeys(r: Reader): SearchKey {
  return new KeyParser(r).keysToEnd();
}

const RETURNS: readonly SearchReturn[] = ['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE'];

export function parseSearch(r: Reader): SearchArgs {
  let returns: SearchReturn[] | null = null;
  let charset: string | null = null;
  if (r.lookahead(' RETURN ')) {
    r.sp();
    r.keyword('RETURN');
    r.sp();
    returns = r.list(() => {
      const a = r.atom().toUpperCase();
      const o = RETURNS.find((x) => x === a);
      if (!o) throw r.error('unknown search return option');
      return o;
    });
  }
  if (r.lookahead(' CHARSET ')) {
    r.sp();
    r.keyword('CHARSET');
    r.sp();
    charset = r.astring().toUpperCase();
  }
  return { returns, charset, query: parseSearchKeys(r) };
}
