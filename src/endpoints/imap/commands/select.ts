/*
 * SELECT and EXAMINE: open a mailbox read-write or read-only and report
 * its state (FLAGS, EXISTS, rev1 RECENT and UNSEEN, UIDVALIDITY, UIDNEXT,
 * PERMANENTFLAGS, HIGHESTMODSEQ, MAILBOXID), with the CONDSTORE parameter
 * and the QRESYNC resynchronisation (VANISHED (EARLIER) and FETCH of what
 * changed since the client's MODSEQ, before the tagged OK).
 *
 * Exports: select, examine, SYSTEM_FLAGS.
 * Security: the user's own mailboxes only; a failed SELECT leaves the
 * session unselected (RFC 9051 6.3.2); the QRESYNC UID sets are client
 * input and only filter what the store reports.
 * Standards: RFC 9051 sections 6.3.2 and 6.3.3, RFC 3501 (RECENT, UNSEEN,
 * \Recent), RFC 7162 sections 3.1.8, 3.2.5 and 3.2.11 (CONDSTORE,
 * QRESYNC, [CLOSED]), RFC 8474 section 4 (MAILBOXID), RFC 9051 7.1.
 * Choices: a rev1 SELECT claims the unclaimed messages as \Recent; EXAMINE
 * shows them as \Recent without claiming, and a rev2 session neither
 * shows nor claims them. The QRESYNC seq-match data is not needed: every
 * expunged UID is kept with its MODSEQ, so VANISHED (EARLIER) is exact.
 */
import { MailboxView } from '../../../mailbox/index.js';
import { encodeExists, encodeFetch, encodeFlags, encodeList, encodeUntagged, encodeUntaggedStatus, encodeVanished } from '../../../proto/imap/index.js';
import type { QresyncParams, SelectArgs } from '../../../proto/imap/parse/select.js';
import type { CommandOf, Handler, SelectedMailbox, SessionApi } from '../context.js';
import { recentCount } from '../mailbox-sync.js';
import { sessionFlags, uidRangesOf } from '../message-set.js';

export const SYSTEM_FLAGS: readonly string[] = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

/** RFC 7162 3.2.5.1: what changed since the client's MODSEQ, before the tagged OK. */
async function resync(s: SessionApi, selected: SelectedMailbox, q: QresyncParams): Promise<void> {
  if (q.uidValidity !== selected.record.uidValidity) return;
  const since = q.modSeq > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(q.modSeq);
  const changes = await s.mailboxes.changesSince(selected.record, since);
  const known = q.knownUids ? uidRangesOf(q.knownUids, selected.record.uidNext - 1) : null;
  const vanished = known ? changes.vanished.filter((u) => known.some(([a, b]) => u >= a && u <= b)) : changes.vanished;
  if (vanished.length) s.send(encodeVanished(vanished, true));
  for (const m of changes.changed) {
    const seq = selected.view.seqOf(m.uid);
    if (seq > 0) s.send(encodeFetch(seq, [['UID', m.uid], ['FLAGS', sessionFlags(s, m)], ['MODSEQ', [m.modseq]]], s.encoder));
    if (!(await s.flush())) return;
  }
}

async function open(s: SessionApi, tag: string, args: SelectArgs, readOnly: boolean, verb: string): Promise<void> {
  // RFC 7162 3.2.5: QRESYNC without ENABLE QRESYNC is a client error, answered before anything changes.
  if (args.qresync && !s.enabled.has('QRESYNC')) return s.tagged(tag, 'BAD', 'QRESYNC must be enabled first');
  if (args.condstore) s.enable('CONDSTORE');
  if (s.selected) {
    s.select(undefined);
    s.send(encodeUntaggedStatus('OK', 'Previous mailbox closed', { code: 'CLOSED' }));
  }
  const record = await s.mailboxes.get(args.mailbox);
  if (!record) {
    s.tagged(tag, 'NO', 'No such mailbox', { code: 'NONEXISTENT' });
    return;
  }
  const messages = await s.mailboxes.messageFlags(record);
  const keywords = new Set<string>();
  let firstUnseen = 0;
  messages.forEach((m, i) => {
    for (const f of m.flags) if (!f.startsWith('\\')) keywords.add(f);
    if (firstUnseen === 0 && !m.flags.includes('\\Seen')) firstUnseen = i + 1;
  });
  const flags = [...SYSTEM_FLAGS, ...[...keywords].sort()];
  const selected: SelectedMailbox = { record, readOnly, view: new MailboxView(messages.map((m) => m.uid)), modseq: record.highestModseq };
  if (!s.rev2) {
    // Claiming is a write transaction: skipped when nothing arrived since the last claim.
    const unclaimed = record.recentUid < record.uidNext;
    const claimed = readOnly || !unclaimed ? { from: record.recentUid, to: record.uidNext } : await s.mailboxes.claimRecent(record);
    selected.recent = claimed.to > claimed.from ? [[claimed.from, claimed.to]] : [];
  }
  s.send(encodeFlags(flags));
  s.send(encodeExists(messages.length));
  if (!s.rev2) {
    s.send(encodeUntagged([{ atom: String(recentCount(selected)) }, { atom: 'RECENT' }], s.encoder));
    if (firstUnseen) s.send(encodeUntaggedStatus('OK', 'First unseen', { code: 'UNSEEN', value: firstUnseen }));
  }
  s.send(encodeUntaggedStatus('OK', 'UIDs valid', { code: 'UIDVALIDITY', value: record.uidValidity }));
  s.send(encodeUntaggedStatus('OK', 'Predicted next UID', { code: 'UIDNEXT', value: record.uidNext }));
  s.send(encodeUntaggedStatus('OK', readOnly ? 'No permanent flags' : 'Flags permitted', { code: 'PERMANENTFLAGS', flags: readOnly ? [] : [...flags, '\\*'] }));
  s.send(encodeUntaggedStatus('OK', 'Highest', { code: 'HIGHESTMODSEQ', value: record.highestModseq }));
  s.send(encodeUntaggedStatus('OK', 'Ok', { code: 'MAILBOXID', id: record.objectId }));
  // RFC 9051 6.3.2: a rev2 client gets the mailbox's LIST reply (its canonical name and attributes).
  if (s.rev2) s.send(encodeList(record.specialUse ? [record.specialUse] : [], '/', record.name, s.encoder));
  s.select(selected);
  if (args.qresync) await resync(s, selected, args.qresync);
  s.tagged(tag, 'OK', `${verb} completed`, { code: readOnly ? 'READ-ONLY' : 'READ-WRITE' });
}

export const select: Handler<'SELECT'> = (s, cmd: CommandOf<'SELECT'>) => open(s, cmd.tag, cmd.args, false, 'SELECT');
export const examine: Handler<'EXAMINE'> = (s, cmd: CommandOf<'EXAMINE'>) => open(s, cmd.tag, cmd.args, true, 'EXAMINE');
