/*
 * COPY, MOVE, UID COPY and UID MOVE into another mailbox of the same
 * account, with the UIDPLUS [COPYUID] mapping; MOVE then reports the
 * source messages as expunged (untagged EXPUNGE, highest first, or
 * VANISHED once QRESYNC is enabled).
 *
 * Exports: copy, move.
 * Security: both mailboxes belong to the logged-in account (the service
 * is bound to it); a missing target answers NO [TRYCREATE]; the store
 * applies the quota all or nothing ([OVERQUOTA]). MOVE out of a read-only
 * mailbox is refused; COPY from it is allowed (it changes nothing there).
 * Standards: RFC 9051 sections 6.4.7 and 6.4.8, RFC 6851 (MOVE: COPYUID
 * in an untagged OK before the EXPUNGEs), RFC 4315 (COPYUID), RFC 9208
 * (OVERQUOTA), RFC 7162 3.2.10 (VANISHED), RFC 8474 (copies keep EMAILID
 * and THREADID).
 * Choices: a copy into the selected mailbox itself is announced at once
 * with EXISTS, so the session's sequence numbers include the new messages.
 */
import { encodeExists, encodeUntaggedStatus, type ResponseCode } from '../../../proto/imap/index.js';
import type { CopyArgs } from '../../../proto/imap/parse/copy.js';
import type { Handler, SessionApi } from '../context.js';
import { reportExpunged } from '../mailbox-sync.js';
import { resolveMessages, toUidSet } from '../message-set.js';

async function transfer(s: SessionApi, tag: string, uid: boolean, args: CopyArgs, kind: 'COPY' | 'MOVE'): Promise<void> {
  const selected = s.selected!;
  const verb = `${uid ? 'UID ' : ''}${kind}`;
  const resolved = resolveMessages(s, selected, tag, args.set, uid);
  if (!resolved) return;
  if (kind === 'MOVE' && selected.readOnly) return s.tagged(tag, 'NO', 'Mailbox is read-only');
  const target = await s.mailboxes.get(args.mailbox);
  if (!target) return s.tagged(tag, 'NO', 'No such mailbox', { code: 'TRYCREATE' });
  if (resolved.length === 0) return s.tagged(tag, 'OK', `${verb} completed, no messages`);
  const uids = toUidSet(resolved.map((m) => m.uid));
  const moved = kind === 'MOVE' ? await s.mailboxes.move(selected.record, uids, target) : undefined;
  const r = moved ?? (await s.mailboxes.copy(selected.record, uids, target));
  if (!r.ok) {
    if (r.reason === 'quota') return s.tagged(tag, 'NO', 'Quota exceeded', { code: 'OVERQUOTA' });
    return s.tagged(tag, 'NO', 'No such mailbox', { code: 'TRYCREATE' });
  }
  const code: ResponseCode | undefined = r.mapping.length
    ? { code: 'COPYUID', uidValidity: r.uidValidity, source: r.mapping.map((m) => m.from), dest: r.mapping.map((m) => m.to) }
    : undefined;
  if (moved?.ok) {
    if (code) s.send(encodeUntaggedStatus('OK', 'Moved', code));
    reportExpunged(s, selected, moved.expunged.uids);
  }
  if (target.id === selected.record.id && r.mapping.length) {
    selected.view.append(r.mapping.map((m) => m.to));
    s.send(encodeExists(selected.view.count));
  }
  if (moved) return s.tagged(tag, 'OK', `${verb} completed`);
  s.tagged(tag, 'OK', `${verb} completed`, code);
}

export const copy: Handler<'COPY'> = (s, cmd) => transfer(s, cmd.tag, cmd.uid, cmd.args, 'COPY');
export const move: Handler<'MOVE'> = (s, cmd) => transfer(s, cmd.tag, cmd.uid, cmd.args, 'MOVE');
