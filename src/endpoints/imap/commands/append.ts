/*
 * APPEND, with MULTIAPPEND: one or more messages into a mailbox of the
 * logged-in account, each with its flags and internal date. The messages
 * go through the same group committer as SMTP delivery (MIME index
 * computed here, then blob fsynced, renamed, directory fsynced, rows
 * committed), and OK is sent only after that: [APPENDUID] names the new
 * UIDs. Several messages are committed all or none in one transaction.
 *
 * Exports: append.
 * Security: untrusted message bytes, already bounded by the framer
 * (APPENDLIMIT, [TOOBIG] answered by the session); quota enforced in the
 * commit transaction ([OVERQUOTA]); a missing mailbox answers [TRYCREATE]
 * and is never created; flags are checked like STORE's (flags.ts).
 * Standards: RFC 9051 section 6.3.12, RFC 3502 (MULTIAPPEND), RFC 4315
 * (APPENDUID), RFC 7889 (APPENDLIMIT), RFC 9208 (OVERQUOTA), RFC 3516
 * (literal8), RFC 6855 section 4 (UTF8 (literal) needs UTF8=ACCEPT),
 * RFC 5530 (a full disk is [OVERQUOTA], any other storage failure
 * [SERVERBUG]; neither is ever OK).
 * Choices: a message in a plain literal with bare LF or bare CR gets CRLF
 * line ends (RFC 5322 form, as submission repairs them), so RFC822.SIZE,
 * POP3 LIST and the bytes served all agree; otherwise it is stored exactly
 * as sent. A literal8 (binary) message is stored untouched, NUL included
 * (a NUL in a plain literal is a syntax error the parser answers BAD). An
 * empty message is refused (NO), as Dovecot does. A message appended to
 * the selected mailbox is announced (EXISTS) before the tagged OK.
 */
import { newQueueId } from '../../../core/ids.js';
import type { CommitItem } from '../../../delivery/committer.js';
import { indexMessage } from '../../../mime/index.js';
import { checkLineEndings, normalizeLineEndings } from '../../../pipeline/cleanup.js';
import type { LocalOutcome } from '../../../store/types.js';
import type { Handler, SessionApi } from '../context.js';
import { checkNewFlags } from '../flags.js';
import { announceChanges } from '../mailbox-sync.js';
import { threadRefsOf } from '../../../core/message-ids.js';

/** ENOSPC/EDQUOT, from the committer in this thread (err.code) or from the commit worker (its message). */
function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  return err instanceof Error && /\b(ENOSPC|EDQUOT)\b/.test(err.message);
}

function refuse(s: SessionApi, tag: string, outcome: Exclude<LocalOutcome, { ok: true }>): void {
  switch (outcome.reason) {
    case 'quota':
      return s.tagged(tag, 'NO', 'Quota exceeded', { code: 'OVERQUOTA' });
    case 'no-mailbox':
      return s.tagged(tag, 'NO', 'No such mailbox', { code: 'TRYCREATE' });
    default:
      return s.tagged(tag, 'NO', 'Account unavailable', { code: 'UNAVAILABLE' });
  }
}

export const append: Handler<'APPEND'> = async (s, cmd) => {
  const { tag, args } = cmd;
  const committer = s.committer;
  if (!committer) return s.tagged(tag, 'NO', 'APPEND is not available', { code: 'UNAVAILABLE' });
  const mailbox = await s.mailboxes.get(args.mailbox);
  if (!mailbox) return s.tagged(tag, 'NO', 'No such mailbox', { code: 'TRYCREATE' });
  const now = Date.now();
  const items: CommitItem[] = [];
  for (const m of args.messages) {
    if (m.utf8 && !s.enabled.has('UTF8=ACCEPT')) return s.tagged(tag, 'BAD', 'UTF8 APPEND needs ENABLE UTF8=ACCEPT');
    const flags = checkNewFlags(m.flags);
    if (!flags.ok) return flags.kind === 'bad' ? s.tagged(tag, 'BAD', flags.text) : s.tagged(tag, 'NO', flags.text, { code: 'LIMIT' });
    if (m.data.length === 0) return s.tagged(tag, 'NO', 'Empty message', { code: 'CANNOT' });
    const bytes = m.binary || checkLineEndings(m.data, 'strict').ok ? m.data : normalizeLineEndings(m.data);
    const index = indexMessage(bytes);
    items.push({
      bytes,
      index: JSON.stringify(index),
      request: {
        internalDate: m.internalDate ? m.internalDate.getTime() : now,
        messageId: index.summary.messageId,
        // OBJECTID THREADID: a sent reply APPENDed to Sent joins its conversation.
        threadRefs: threadRefsOf(bytes.subarray(0, index.root.bodyStart).toString('latin1')),
        queueId: newQueueId(now),
        local: [{ accountId: mailbox.accountId, mailbox: mailbox.name, enforceQuota: true, mustExist: true, flags: flags.flags }],
      },
    });
  }
  let outcomes: LocalOutcome[];
  try {
    outcomes = items.length === 1 ? (await committer.commit(items[0]!)).local : (await committer.commitAll(items)).results.map((r) => r.local[0]!);
  } catch (err) {
    // Nothing was acknowledged: the blob or the transaction failed (security.md: never OK, never a retry treated as success).
    const reason = err instanceof Error ? err.message : String(err);
    s.log.error('append-failed', { mailbox: mailbox.name, messages: items.length, reason });
    if (isDiskFull(err)) return s.tagged(tag, 'NO', 'Not enough disk space', { code: 'OVERQUOTA' });
    return s.tagged(tag, 'NO', 'Message not stored, try again', { code: 'SERVERBUG' });
  }
  const failed = outcomes.find((o) => !o.ok);
  if (failed && !failed.ok) return refuse(s, tag, failed);
  const done = outcomes.filter((o) => o.ok);
  if (done.length !== items.length) throw new Error('commit returned fewer outcomes than messages');
  s.log.info('append', { mailbox: mailbox.name, messages: done.length, uid: done.map((o) => o.uid).join(',') });
  if (s.selected?.record.id === mailbox.id) await announceChanges(s);
  s.tagged(tag, 'OK', 'APPEND completed', { code: 'APPENDUID', uidValidity: done[0]!.uidValidity, uids: done.map((o) => o.uid) });
};
