/*
 * What every selected-state command does first: resolve the client's
 * sequence set (by sequence number or, after UID, by UID) against the
 * session's view, and turn the result into the store's UID set.
 *
 * Exports: resolveMessages, toUidSet, fetchFlagsResponse.
 * Security: the set is client input; resolution is bounded (see
 * mailbox/view.ts); a sequence number beyond the mailbox answers BAD.
 * Standards: RFC 9051 sections 6.4.8 (UID prefix) and 9 (sequence-set).
 */
import type { ResolvedMessage } from '../../mailbox/index.js';
import { encodeFetch, type ImapValue, type SequenceSet } from '../../proto/imap/index.js';
import type { UidSet } from '../../store/types.js';
import type { SelectedMailbox, SessionApi } from './context.js';

/** The messages named, in sequence order; undefined after answering BAD. */
export function resolveMessages(s: SessionApi, selected: SelectedMailbox, tag: string, set: SequenceSet, uid: boolean): ResolvedMessage[] | undefined {
  const r = selected.view.resolve(set, uid);
  if (r.ok) return r.messages;
  s.tagged(tag, 'BAD', 'Invalid message sequence number');
  return undefined;
}

/** Ascending UIDs as ranges, so `1:*` of a large mailbox is one range for the store. */
export function toUidSet(uids: readonly number[]): UidSet {
  const sorted = [...uids].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const u of sorted) {
    const last = out[out.length - 1];
    if (last && u <= last[1] + 1) last[1] = Math.max(last[1], u);
    else out.push([u, u]);
  }
  return out.map(([a, b]) => (a === b ? a : [a, b] as const));
}

/** `* seq FETCH (FLAGS (...) [UID n] [MODSEQ (m)])`, the untagged answer to a flag change. */
export function fetchFlagsResponse(s: SessionApi, seq: number, m: { uid: number; flags: readonly string[]; modseq: number }, withUid: boolean, withModseq: boolean): Buffer {
  const items: Array<[string, ImapValue]> = [['FLAGS', m.flags.map((f) => ({ atom: f }))]];
  if (withUid) items.push(['UID', m.uid]);
  if (withModseq) items.push(['MODSEQ', [m.modseq]]);
  return encodeFetch(seq, items, s.encoder);
}
