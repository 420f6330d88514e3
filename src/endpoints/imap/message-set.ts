/*
 * What every selected-state command does first: resolve the client's
 * sequence set (by sequence number or, after UID, by UID) against the
 * session's view, and turn the result into the store's UID set.
 *
 * Exports: resolveMessages, toUidSet, fetchFlagsResponse, sessionFlags,
 * isRecent, condstore, uidRangesOf.
 * Security: the set is client input; resolution is bounded (see
 * mailbox/view.ts); a sequence number beyond the mailbox answers BAD.
 * Standards: RFC 9051 sections 6.4.8 (UID prefix) and 9 (sequence-set),
 * RFC 3501 (\Recent in FLAGS), RFC 7162 section 3.1 (MODSEQ and UID in
 * every FETCH once CONDSTORE is enabled), RFC 5182 (`$`, the saved search
 * result).
 */
import type { ResolvedMessage } from '../../mailbox/index.js';
import { encodeFetch, type ImapValue, type SequenceSet } from '../../proto/imap/index.js';
import type { UidSet } from '../../store/types.js';
import type { SelectedMailbox, SessionApi } from './context.js';

/** The messages named, in sequence order; undefined after answering BAD. */
export function resolveMessages(s: SessionApi, selected: SelectedMailbox, tag: string, set: SequenceSet, uid: boolean): ResolvedMessage[] | undefined {
  // RFC 5182: `$` is the saved result, by UID whatever the command's prefix; expunged ones drop out.
  if (set.kind === 'saved') {
    return (selected.saved ?? []).map((u) => ({ seq: selected.view.seqOf(u), uid: u })).filter((m) => m.seq > 0).sort((a, b) => a.seq - b.seq);
  }
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

/** CONDSTORE is enabled (ENABLE or a CONDSTORE-enabling command, RFC 7162 3.1). */
export const condstore = (s: SessionApi): boolean => s.enabled.has('CONDSTORE');

/** Whether uid is \Recent in this session (rev1 sessions only; RFC 9051 has no \Recent). */
export function isRecent(s: SessionApi, uid: number): boolean {
  const ranges = s.selected?.recent;
  if (!ranges || s.rev2) return false;
  return ranges.some(([from, to]) => uid >= from && uid < to);
}

/** A message's FLAGS as this session sees them: the stored flags, and \Recent where it applies. */
export function sessionFlags(s: SessionApi, m: { uid: number; flags: readonly string[] }): ImapValue {
  const flags: ImapValue[] = m.flags.map((f) => ({ atom: f }));
  if (isRecent(s, m.uid)) flags.push({ atom: '\\Recent' });
  return flags;
}

/**
 * `* seq FETCH (FLAGS (...) [UID n] [MODSEQ (m)])`, the untagged answer to a
 * flag change; with CONDSTORE enabled UID and MODSEQ are always included.
 */
export function fetchFlagsResponse(s: SessionApi, seq: number, m: { uid: number; flags: readonly string[]; modseq: number }, withUid: boolean, withModseq: boolean): Buffer {
  const items: Array<[string, ImapValue]> = [['FLAGS', sessionFlags(s, m)]];
  if (withUid || condstore(s)) items.push(['UID', m.uid]);
  if (withModseq || condstore(s)) items.push(['MODSEQ', [m.modseq]]);
  return encodeFetch(seq, items, s.encoder);
}

/** A UID set as inclusive ranges, `*` being highest (the largest UID in use, or UIDNEXT - 1). */
export function uidRangesOf(set: SequenceSet, highest: number): Array<[number, number]> {
  if (set.kind !== 'ranges') return [];
  return set.ranges.map((r) => {
    const a = r.from === '*' ? highest : r.from;
    const b = r.to === '*' ? highest : r.to;
    return [Math.min(a, b), Math.max(a, b)];
  });
}
