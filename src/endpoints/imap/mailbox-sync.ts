/*
 * Telling a session what changed in its selected mailbox since it was last
 * told: messages expunged elsewhere (EXPUNGE, highest first, or one
 * VANISHED once QRESYNC is enabled), new messages (EXISTS, and RECENT for
 * a rev1 session, which claims them as \Recent) and flag changes (FETCH
 * FLAGS, with UID and MODSEQ once CONDSTORE is enabled), from the store's
 * MODSEQ log, so one query answers it however large the mailbox.
 * reportExpunged is the one place that chooses EXPUNGE or VANISHED; the
 * EXPUNGE and MOVE commands use it too.
 *
 * Exports: announceChanges, reportExpunged, recentCount.
 * Security: reads the selected mailbox of the logged-in account only.
 * Standards: RFC 9051 sections 5.2 and 7.4-7.5 (untagged updates; EXPUNGE
 * only where the client is not relying on sequence numbers: NOOP, CHECK),
 * RFC 7162 sections 3.1 and 3.2.10 (VANISHED instead of EXPUNGE), RFC 3501
 * (RECENT, \Recent in one session only).
 */
import { encodeExists, encodeExpunge, encodeUntagged, encodeVanished } from '../../proto/imap/index.js';
import type { SelectedMailbox, SessionApi } from './context.js';
import { fetchFlagsResponse } from './message-set.js';

/** Announces that these UIDs are gone and drops them from the session's view (UIDs it never knew are skipped). */
export function reportExpunged(s: SessionApi, selected: SelectedMailbox, uids: readonly number[]): void {
  const known = uids.filter((u) => selected.view.seqOf(u) > 0);
  if (known.length === 0) return;
  if (s.enabled.has('QRESYNC')) {
    selected.view.remove(known);
    s.send(encodeVanished(known, false));
    return;
  }
  for (const seq of selected.view.remove(known)) s.send(encodeExpunge(seq));
}

/** Messages of the view that are \Recent in this session. */
export function recentCount(selected: SelectedMailbox): number {
  const ranges = selected.recent ?? [];
  if (ranges.length === 0) return 0;
  let n = 0;
  for (const m of selected.view.all()) if (ranges.some(([from, to]) => m.uid >= from && m.uid < to)) n++;
  return n;
}

/**
 * Tells the session what changed. With expunges false (at the end of FETCH,
 * STORE and SEARCH by sequence number, where RFC 9051 section 7.5.1 forbids
 * EXPUNGE) messages expunged elsewhere are kept back in selected.withheld
 * and stay in the view, and new messages and flag changes are told; the
 * next announcement that may expunge tells the ones kept back first.
 */
export async function announceChanges(s: SessionApi, options: { expunges?: boolean } = {}): Promise<void> {
  const selected = s.selected;
  if (!selected) return;
  const changes = await s.mailboxes.changesSince(selected.record, selected.modseq);
  const gone = [...new Set([...(selected.withheld ?? []), ...changes.vanished])];
  if (options.expunges === false) selected.withheld = gone.length > 0 ? gone : undefined;
  else {
    selected.withheld = undefined;
    reportExpunged(s, selected, gone);
  }
  const goneSet = new Set(gone);
  const highest = selected.view.count ? selected.view.uidAt(selected.view.count)! : 0;
  const added = changes.changed.filter((m) => m.uid > highest && !goneSet.has(m.uid)).map((m) => m.uid);
  if (added.length) {
    selected.view.append(added);
    s.send(encodeExists(selected.view.count));
    if (!s.rev2) {
      // The first rev1 session told of a new message gets it as \Recent (RFC 3501 2.3.2).
      if (!selected.readOnly) {
        const claimed = await s.mailboxes.claimRecent(selected.record);
        if (claimed.to > claimed.from) (selected.recent ??= []).push([claimed.from, claimed.to]);
      }
      s.send(encodeUntagged([{ atom: String(recentCount(selected)) }, { atom: 'RECENT' }], s.encoder));
    }
  }
  for (const m of changes.changed) {
    if (m.uid > highest || goneSet.has(m.uid)) continue;
    // This session's own STORE already answered this very change.
    if (selected.ownChanges?.get(m.uid) === m.modseq) continue;
    const seq = selected.view.seqOf(m.uid);
    if (seq > 0) s.send(fetchFlagsResponse(s, seq, m, false, false));
  }
  selected.ownChanges = undefined;
  selected.modseq = Math.max(selected.modseq, changes.highestModseq);
}
