/*
 * SEARCH and UID SEARCH, with ESEARCH results (RFC 4731 / RFC 9051
 * RETURN (MIN MAX ALL COUNT SAVE)) and the saved result of SEARCHRES.
 * A rev2 session always gets `* ESEARCH`; a rev1 session gets `* SEARCH`
 * unless it asked with RETURN.
 *
 * Exports: search, checkKeys, runSearch, CHARSETS.
 * Security: the key tree is client input bounded by the codec; at most
 * MAX_SEARCH_TEXT_KEYS distinct text keys (one store query each);
 * evaluation is in mailbox/search.ts (indexed text queries, evaluation
 * yielding every SEARCH_YIELD_EVERY messages). Only
 * the selected mailbox of the logged-in account is searched.
 * Standards: RFC 9051 sections 6.4.4 and 7.3.4, RFC 3501 section 7.2.5
 * (`* SEARCH`), RFC 4731 (ESEARCH), RFC 5182 (SEARCHRES: SAVE with only MIN
 * and/or MAX saves those; SAVE alone sends no ESEARCH; a failed SEARCH
 * with SAVE empties `$`), RFC 7162 section 3.1.5 (MODSEQ of the result),
 * RFC 7162 3.1 (a MODSEQ key enables CONDSTORE), RFC 8474 (EMAILID,
 * THREADID keys).
 * Choices: charsets other than UTF-8 and US-ASCII answer
 * NO [BADCHARSET (UTF-8 US-ASCII)].
 */
import { encodeEsearch, encodeSearch, type EsearchData, type SearchKey } from '../../../proto/imap/index.js';
import { countTextKeys, usesKey } from '../../../mailbox/index.js';
import { MAX_SEARCH_TEXT_KEYS, SEARCH_YIELD_EVERY } from '../limits.js';
import { isRecent } from '../message-set.js';
import type { Handler, SelectedMailbox, SessionApi } from '../context.js';

export const CHARSETS = ['UTF-8', 'US-ASCII'];

/** False after answering NO [BADCHARSET] or NO [LIMIT] (MAX_SEARCH_TEXT_KEYS). */
export function checkKeys(s: SessionApi, tag: string, charset: string | null, query: SearchKey): boolean {
  if (charset !== null && !CHARSETS.includes(charset)) {
    s.tagged(tag, 'NO', 'Unsupported charset', { code: 'BADCHARSET', charsets: CHARSETS });
    return false;
  }
  if (countTextKeys(query) > MAX_SEARCH_TEXT_KEYS) {
    s.tagged(tag, 'NO', 'Too many text search keys', { code: 'LIMIT' });
    return false;
  }
  return true;
}

/** The selected mailbox's matches for query, as the session's view numbers them. */
export async function runSearch(s: SessionApi, selected: SelectedMailbox, query: SearchKey) {
  // RFC 7162 3.1: a search by MODSEQ enables CONDSTORE.
  if (usesKey(query, (k) => k.type === 'modseq')) s.enable('CONDSTORE');
  return s.mailboxes.search(selected.record, query, {
    view: selected.view,
    saved: selected.saved ?? [],
    now: Date.now(),
    yieldEvery: SEARCH_YIELD_EVERY,
    isRecent: (uid) => isRecent(s, uid),
  });
}

export const search: Handler<'SEARCH'> = async (s, cmd) => {
  const selected = s.selected!;
  const { returns, charset, query } = cmd.args;
  const save = returns?.includes('SAVE') ?? false;
  if (!checkKeys(s, cmd.tag, charset, query)) {
    if (save) selected.saved = [];
    return;
  }
  const result = await runSearch(s, selected, query);
  const uids = result.messages.map((m) => m.uid);
  // Ascending either way: the view numbers messages in UID order.
  const numbers = cmd.uid ? uids : uids.map((u) => selected.view.seqOf(u));
  const modseq = result.highestModseq !== null && numbers.length > 0 ? BigInt(result.highestModseq) : undefined;
  const verb = cmd.uid ? 'UID SEARCH' : 'SEARCH';

  if (returns === null && !s.rev2) {
    s.send(encodeSearch(numbers, modseq ?? null));
    return s.tagged(cmd.tag, 'OK', `${verb} completed`);
  }
  const wanted = new Set(returns === null || returns.length === 0 || (returns.length === 1 && save) ? ['ALL', ...(save ? ['SAVE'] : [])] : returns);
  if (save) {
    const minMaxOnly = !wanted.has('ALL') && !wanted.has('COUNT') && (wanted.has('MIN') || wanted.has('MAX'));
    selected.saved = minMaxOnly ? [...new Set([...(wanted.has('MIN') && uids.length ? [uids[0]!] : []), ...(wanted.has('MAX') && uids.length ? [uids[uids.length - 1]!] : [])])] : uids;
  }
  // RFC 5182 2.1: SAVE as the only option gives no ESEARCH response.
  if (!(save && returns!.length === 1)) {
    const data: EsearchData = {};
    if (wanted.has('MIN') && numbers.length) data.min = numbers[0]!;
    if (wanted.has('MAX') && numbers.length) data.max = numbers[numbers.length - 1]!;
    if (wanted.has('ALL')) data.all = numbers;
    if (wanted.has('COUNT')) data.count = numbers.length;
    if (modseq !== undefined) data.modseq = modseq;
    s.send(encodeEsearch(cmd.tag, cmd.uid, data));
  }
  s.tagged(cmd.tag, 'OK', `${verb} completed`);
};
