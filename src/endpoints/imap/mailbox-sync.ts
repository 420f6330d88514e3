/*
 * Telling a session what changed in its selected mailbox since it was last
 * told: messages expunged elsewhere (EXPUNGE, highest first), new messages
 * (EXISTS) and flag changes (FETCH FLAGS), from the store's MODSEQ log, so
 * one query answers it however large the mailbox.
 *
 * Exports: announceChanges.
 * Security: reads the selected mailbox of the logged-in account only.
 * Standards: RFC 9051 sections 5.2 and 7.4-7.5 (untagged updates; EXPUNGE
 * only where the client is not relying on sequence numbers: NOOP, CHECK).
 */
import { encodeExists, encodeExpunge } from '../../proto/imap/index.js';
import type { SessionApi } from './context.js';
import { fetchFlagsResponse } from './message-set.js';

export async function announceChanges(s: SessionApi): Promise<void> {
  const selected = s.selected;
  if (!selected) return;
  const changes = await s.mailboxes.changesSince(selected.record, selected.modseq);
  for (const seq of selected.view.remove(changes.vanished)) s.send(encodeExpunge(seq));
  const highest = selected.view.count ? selected.view.uidAt(selected.view.count)! : 0;
  const added = changes.changed.filter((m) => m.uid > highest && !changes.vanished.includes(m.uid)).map((m) => m.uid);
  if (added.length) {
    selected.view.append(added);
    s.send(encodeExists(selected.view.count));
  }
  for (const m of changes.changed) {
    if (m.uid > highest) continue;
    const seq = selected.view.seqOf(m.uid);
    if (seq > 0) s.send(fetchFlagsResponse(s, seq, m, false, false));
  }
  selected.modseq = Math.max(selected.modseq, changes.highestModseq);
}
