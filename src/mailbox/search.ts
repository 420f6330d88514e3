/*
 * SEARCH evaluation: which messages of a session's view match a search-key
 * tree. Text keys (TEXT, BODY, SUBJECT, FROM, TO, CC, BCC, HEADER) are
 * answered by the store's full-text index, one query per distinct key,
 * and for the messages not indexed yet (the latest deliveries, until the
 * commit worker's indexer runs) by reading them: each one's search text
 * is computed once per SEARCH, tested against every text key with the
 * index's semantics and dropped;
 * everything else (flags, dates, sizes, sets, MODSEQ, ages) is evaluated
 * over the message records, read and tested a chunk of the view at a time
 * with a turn of the event loop between chunks. When the whole tree
 * requires a text key, only that key's matches are read.
 *
 * Exports: SearchPorts, SearchScope, SearchOutcome, ReadSearchText,
 * searchMessages, containsFolded, SEARCH_EVAL_CHUNK, usesKey, countTextKeys.
 * Security: the key tree is client input, bounded in size and depth by the
 * codec (proto/imap/limits.ts); each distinct text key costs one indexed
 * query; evaluation yields every SEARCH_EVAL_CHUNK messages so a search of
 * a huge mailbox does not hold the event loop.
 * Standards: RFC 9051 section 6.4.4 (keys; dates disregard time and zone:
 * INTERNALDATE and SAVEDATE days are taken in UTC, Date: days in the
 * sender's zone), RFC 3501 (NEW, OLD, RECENT: \Recent as the session
 * has it, none for rev2), RFC 8474 (EMAILID, THREADID), RFC 7162 section 3.1.5
 * (MODSEQ: the highest MODSEQ of the matches is reported), RFC 5032
 * (OLDER/YOUNGER), RFC 8514 (SAVEDBEFORE/ON/SINCE; every message has a
 * save date, so SAVEDATESUPPORTED matches all), RFC 5182 (`$`).
 */
import type { SearchDate, SearchKey, SequenceSet } from '../proto/imap/index.js';
import type { BlobSearchText, MessageReader, MessageRecord, MessageSearch, TextField, UidSet } from '../store/types.js';
import type { MailboxView } from './view.js';

/** Messages evaluated between two turns of the event loop unless the caller says (SearchScope.yieldEvery). */
export const SEARCH_EVAL_CHUNK = 5000;

/** Candidates of a chunk read one by one rather than as a range (the store binds up to 100 ranges in one statement). */
const SPARSE_READ = 64;

export type SearchPorts = Pick<MessageReader, 'getMessages'> & MessageSearch;

/** The search text of a stored message from its blob hash and MIME index (JSON text); MailboxService reads the blob. */
export type ReadSearchText = (hash: string, index: string) => Promise<BlobSearchText>;

export interface SearchScope {
  /** The session's sequence numbers; only messages in it are searched. */
  view: MailboxView;
  /** UIDs of the saved result `$` (RFC 5182). */
  saved: readonly number[];
  /** Milliseconds now, for OLDER/YOUNGER. */
  now: number;
  /** Messages evaluated between turns of the event loop (default SEARCH_EVAL_CHUNK). */
  yieldEvery?: number;
  /** \Recent in this session (rev1); absent: no message is recent. */
  isRecent?: (uid: number) => boolean;
  /** Reads messages the index does not hold yet; a text key over such messages fails without it. */
  readText?: ReadSearchText;
}

export interface SearchOutcome {
  /** Matching messages, ascending by UID. */
  messages: MessageRecord[];
  /** With a MODSEQ key: the highest MODSEQ of the matches (RFC 7162), else null. */
  highestModseq: number | null;
}

const COLUMN_FIELDS: ReadonlySet<string> = new Set(['subject', 'from', 'to', 'cc', 'bcc']);

/** Whether any key of the tree satisfies test. */
export function usesKey(key: SearchKey, test: (k: SearchKey) => boolean): boolean {
  if (test(key)) return true;
  if (key.type === 'not') return usesKey(key.key, test);
  if (key.type === 'or') return usesKey(key.left, test) || usesKey(key.right, test);
  if (key.type === 'and') return key.keys.some((k) => usesKey(k, test));
  return false;
}

const dayOf = (d: SearchDate) => d.year * 10000 + d.month * 100 + d.day;
const utcDay = (ms: number) => {
  const d = new Date(ms);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
};

function compareDay(op: 'before' | 'on' | 'since', day: number, wanted: number): boolean {
  if (op === 'before') return day < wanted;
  if (op === 'on') return day === wanted;
  return day >= wanted;
}

function inSet(set: SequenceSet, n: number, star: number, saved: () => boolean): boolean {
  if (set.kind === 'saved') return saved();
  for (const r of set.ranges) {
    const a = r.from === '*' ? star : r.from;
    const b = r.to === '*' ? star : r.to;
    if (n >= Math.min(a, b) && n <= Math.max(a, b)) return true;
  }
  return false;
}

const textKey = (k: SearchKey): string | undefined =>
  k.type === 'header' ? `h:${k.field}:${k.value}` : k.type === 'body' || k.type === 'text' ? `${k.type}:${k.value}` : undefined;

/** Distinct text keys of the tree: each costs one store query. */
export function countTextKeys(key: SearchKey): number {
  const seen = new Set<string>();
  usesKey(key, (k) => {
    const id = textKey(k);
    if (id !== undefined) seen.add(id);
    return false;
  });
  return seen.size;
}

/** UIDs every match must be among (a text key that the whole tree requires), or undefined. */
function requiredUids(key: SearchKey, texts: ReadonlyMap<string, Set<number>>): Set<number> | undefined {
  const id = textKey(key);
  if (id !== undefined) return texts.get(id);
  if (key.type !== 'and') return undefined;
  let best: Set<number> | undefined;
  for (const k of key.keys) {
    const set = requiredUids(k, texts);
    if (set && (!best || set.size < best.size)) best = set;
  }
  return best;
}

/** Does one header line `Name: value` of field contain needle (case-insensitive)? An empty needle asks for the field's presence. */
function headerHas(header: string, field: string, needle: string): boolean {
  const want = needle.toLowerCase();
  for (const line of header.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.slice(0, colon).toLowerCase() !== field) continue;
    if (line.slice(colon + 1).toLowerCase().includes(want)) return true;
  }
  return false;
}

/**
 * Whether one of texts contains needle, folding case per character as the
 * index's trigram tokenizer does (a character whose lower case is longer,
 * like the dotted capital I, is kept as it is).
 */
export function containsFolded(texts: readonly string[], needle: string): boolean {
  const n = foldCase(needle);
  return texts.some((t) => foldCase(t).includes(n));
}

function foldCase(text: string): string {
  const lower = text.toLowerCase();
  // Same length: no character lowered into several (nearly always), so the whole string's result serves.
  if (lower.length === text.length) return lower;
  let out = '';
  for (const ch of text) {
    const l = ch.toLowerCase();
    out += l.length === ch.length ? l : ch;
  }
  return out;
}

/**
 * Which of the mailbox's messages not indexed yet match each text key: each
 * message is read once, tested against every key and dropped, so memory
 * holds one message's text at a time however many wait for the indexer.
 */
async function unindexedMatches(ports: SearchPorts, mailboxId: number, keys: readonly SearchKey[], readText: ReadSearchText | undefined): Promise<Map<SearchKey, number[]>> {
  const matches = new Map<SearchKey, number[]>(keys.map((k) => [k, []]));
  const rows = await ports.unindexed(mailboxId);
  if (rows.length > 0 && !readText) throw new Error('SEARCH of messages not indexed yet needs their blobs');
  for (const r of rows) {
    const text = await readText!(r.hash, r.index);
    for (const k of keys) if (docMatches(text, k)) matches.get(k)!.push(r.uid);
  }
  return matches;
}

/** Does a message's search text match a text key, as the index would answer it? */
function docMatches(t: BlobSearchText, key: SearchKey): boolean {
  if (key.type === 'body') return containsFolded([t.body], key.value);
  if (key.type === 'text') return containsFolded([t.header, t.body], key.value);
  if (key.type !== 'header') return false;
  if (COLUMN_FIELDS.has(key.field) && key.value !== '') return containsFolded([t[key.field as Exclude<TextField, 'text' | 'header' | 'body'>]], key.value);
  return headerHas(t.header, key.field, key.value);
}

/** UIDs matching a text key: those found among the messages not indexed yet (read first: MessageSearch.unindexed says why), and the index's. */
async function textMatches(ports: SearchPorts, mailboxId: number, key: SearchKey, unindexed: readonly number[]): Promise<Set<number>> {
  const out = new Set(unindexed);
  const add = (uids: Iterable<number>) => {
    for (const uid of uids) out.add(uid);
    return out;
  };
  if (key.type === 'body' || key.type === 'text') return add(await ports.matchText(mailboxId, key.type, key.value));
  if (key.type !== 'header') return out;
  // An empty string asks whether the field is there at all: that is read from the header text.
  if (COLUMN_FIELDS.has(key.field) && key.value !== '') return add(await ports.matchText(mailboxId, key.field as TextField, key.value));
  const rows = await ports.headerTexts(mailboxId, key.value);
  return add(rows.filter((r) => headerHas(r.header, key.field, key.value)).map((r) => r.uid));
}

/** The messages of the view that match key. */
export async function searchMessages(ports: SearchPorts, mailboxId: number, key: SearchKey, scope: SearchScope): Promise<SearchOutcome> {
  const { view } = scope;
  const count = view.count;
  if (count === 0) return { messages: [], highestModseq: usesKey(key, (k) => k.type === 'modseq') ? 0 : null };
  const maxUid = view.uidAt(count)!;

  const texts = new Map<string, Set<number>>();
  const pending: SearchKey[] = [];
  usesKey(key, (k) => {
    const id = textKey(k);
    if (id !== undefined && !texts.has(id)) {
      texts.set(id, new Set());
      pending.push(k);
    }
    return false;
  });
  const unindexed = pending.length > 0 ? await unindexedMatches(ports, mailboxId, pending, scope.readText) : new Map<SearchKey, number[]>();
  for (const k of pending) texts.set(textKey(k)!, await textMatches(ports, mailboxId, k, unindexed.get(k) ?? []));

  const sentDays = new Map<number, number | null>();
  const needSentDays = usesKey(key, (k) => k.type === 'sentdate');
  const saved = new Set(scope.saved);
  const recent = scope.isRecent ?? (() => false);

  const test = (k: SearchKey, m: MessageRecord, seq: number): boolean => {
    switch (k.type) {
      case 'all':
      case 'savedatesupported':
        return true;
      case 'flag': {
        if (k.flag.toLowerCase() === '\\recent') return recent(m.uid) === k.set;
        const want = k.flag.toLowerCase();
        return m.flags.some((f) => f.toLowerCase() === want) === k.set;
      }
      case 'new':
        return recent(m.uid) && !m.flags.includes('\\Seen');
      case 'old':
        return !recent(m.uid);
      case 'header':
      case 'body':
      case 'text':
        return texts.get(textKey(k)!)!.has(m.uid);
      case 'internaldate':
        return compareDay(k.op, utcDay(m.internalDate), dayOf(k.date));
      case 'savedate':
        return compareDay(k.op, utcDay(m.saveDate), dayOf(k.date));
      case 'sentdate': {
        const day = sentDays.get(m.uid);
        return day !== undefined && day !== null && compareDay(k.op, day, dayOf(k.date));
      }
      case 'size':
        return k.op === 'larger' ? BigInt(m.size) > k.size : BigInt(m.size) < k.size;
      case 'age': {
        const age = scope.now - m.internalDate;
        return k.op === 'older' ? age >= k.seconds * 1000 : age < k.seconds * 1000;
      }
      case 'modseq':
        return BigInt(m.modseq) >= k.modseq;
      case 'emailid':
        return m.emailId === k.id;
      case 'threadid':
        return m.threadId === k.id;
      case 'seq':
        return inSet(k.set, seq, count, () => saved.has(m.uid));
      case 'uid':
        return inSet(k.set, m.uid, maxUid, () => saved.has(m.uid));
      case 'not':
        return !test(k.key, m, seq);
      case 'or':
        return test(k.left, m, seq) || test(k.right, m, seq);
      case 'and':
        return k.keys.every((x) => test(x, m, seq));
    }
  };

  // The view's messages a chunk at a time: one bounded read per chunk, a turn of the
  // event loop between chunks. When every match must also match a text key, only
  // that key's UIDs are read.
  const required = requiredUids(key, texts);
  const out: MessageRecord[] = [];
  const chunk = Math.max(1, scope.yieldEvery ?? SEARCH_EVAL_CHUNK);
  const all = view.all();
  for (let i = 0; i < all.length; i += chunk) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    let part = all.slice(i, i + chunk);
    if (required) part = part.filter((m) => required.has(m.uid));
    if (part.length === 0) continue;
    // A few candidates are read by UID, a dense chunk as one range.
    const uids: UidSet = part.length <= SPARSE_READ ? part.map((m) => m.uid) : [[part[0]!.uid, part[part.length - 1]!.uid]];
    const seqs = new Map(part.map((m) => [m.uid, m.seq]));
    if (needSentDays) {
      sentDays.clear();
      for (const f of await ports.searchFields(mailboxId, uids)) sentDays.set(f.uid, f.sentDay);
    }
    for (const m of await ports.getMessages(mailboxId, uids)) {
      const seq = seqs.get(m.uid);
      if (seq !== undefined && test(key, m, seq)) out.push(m);
    }
  }
  const withModseq = usesKey(key, (k) => k.type === 'modseq');
  return { messages: out, highestModseq: withModseq ? out.reduce((max, m) => Math.max(max, m.modseq), 0) : null };
}
