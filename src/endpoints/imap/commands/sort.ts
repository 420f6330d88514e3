/*
 * SORT and UID SORT: the messages matching the search keys, ordered by
 * the criteria (mailbox/sort.ts) over the sort keys stored at delivery.
 *
 * Exports: sort, sortKeysOf.
 * Security: the search is bounded as SEARCH's (search.ts); sorting reads
 * one row of keys per matching message and sorts in O(n log n).
 * Standards: RFC 5256 section 3 (SORT, `* SORT` response), RFC 5267
 * section 3 (ESORT: RETURN (MIN MAX ALL COUNT) answered as `* ESEARCH`,
 * MIN/MAX the first/last in sort order, ALL in sort order), RFC 7162
 * section 3.1.5 (MODSEQ with a MODSEQ key).
 * Choices: DISPLAYFROM/DISPLAYTO (RFC 5957, not advertised) answer BAD;
 * ESORT's PARTIAL and CONTEXT options are not offered.
 */
import { sortItems, type SortItem } from '../../../mailbox/index.js';
import { encodeEsearch, encodeSearch, type EsearchData } from '../../../proto/imap/index.js';
import type { MessageRecord } from '../../../store/types.js';
import type { Handler, SelectedMailbox, SessionApi } from '../context.js';
import { toUidSet } from '../message-set.js';
import { checkKeys, runSearch } from './search.js';

/** The sort keys of the messages, each with its record. */
export async function sortKeysOf(s: SessionApi, selected: SelectedMailbox, messages: readonly MessageRecord[]): Promise<(SortItem & { record: MessageRecord; messageId: string | null; inReplyTo: string | null; references: string | null })[]> {
  const fields = new Map((await s.mailboxes.searchFields(selected.record, toUidSet(messages.map((m) => m.uid)))).map((f) => [f.uid, f]));
  return messages.map((m) => {
    const f = fields.get(m.uid);
    return {
      record: m,
      seq: selected.view.seqOf(m.uid),
      internalDate: m.internalDate,
      size: m.size,
      sentDate: f?.sentDate ?? null,
      subject: f?.subject ?? '',
      fromMailbox: f?.fromMailbox ?? null,
      toMailbox: f?.toMailbox ?? null,
      ccMailbox: f?.ccMailbox ?? null,
      messageId: f?.messageId ?? null,
      inReplyTo: f?.inReplyTo ?? null,
      references: f?.references ?? null,
    };
  });
}

export const sort: Handler<'SORT'> = async (s, cmd) => {
  const selected = s.selected!;
  const { criteria, returns, charset, query } = cmd.args;
  const plain = criteria.filter((c): c is { key: Exclude<typeof c.key, 'DISPLAYFROM' | 'DISPLAYTO'>; reverse: boolean } => c.key !== 'DISPLAYFROM' && c.key !== 'DISPLAYTO');
  if (plain.length !== criteria.length) return s.tagged(cmd.tag, 'BAD', 'DISPLAYFROM and DISPLAYTO are not supported');
  if (!checkKeys(s, cmd.tag, charset, query)) return;
  const result = await runSearch(s, selected, query);
  const sorted = sortItems(await sortKeysOf(s, selected, result.messages), plain);
  const numbers = sorted.map((m) => (cmd.uid ? m.record.uid : m.seq));
  const modseq = result.highestModseq !== null && numbers.length > 0 ? BigInt(result.highestModseq) : null;
  if (returns === null) s.send(encodeSearch(numbers, modseq, 'SORT'));
  else {
    // RFC 5267 3.1: MIN and MAX are the first and last in sort order; ALL keeps the order.
    const wanted = new Set(returns.length === 0 ? ['ALL'] : returns);
    const data: EsearchData = {};
    if (wanted.has('MIN') && numbers.length) data.min = numbers[0]!;
    if (wanted.has('MAX') && numbers.length) data.max = numbers[numbers.length - 1]!;
    if (wanted.has('ALL')) {
      data.all = numbers;
      data.allInOrder = true;
    }
    if (wanted.has('COUNT')) data.count = numbers.length;
    if (modseq !== null) data.modseq = modseq;
    s.send(encodeEsearch(cmd.tag, cmd.uid, data));
  }
  s.tagged(cmd.tag, 'OK', `${cmd.uid ? 'UID SORT' : 'SORT'} completed`);
};
