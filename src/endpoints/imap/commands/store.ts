/*
 * STORE and UID STORE: add, remove or replace flags and keywords, with
 * .SILENT and the CONDSTORE UNCHANGEDSINCE modifier; the new flags of each
 * message go back as untagged FETCH FLAGS (UID for UID STORE, MODSEQ when
 * UNCHANGEDSINCE was given or CONDSTORE is enabled), messages changed
 * since as [MODIFIED].
 *
 * Exports: store.
 * Security: acts on the selected mailbox of the logged-in account only;
 * refused on a read-only (EXAMINE) mailbox; system flags other than the
 * five of RFC 9051 cannot be set by the client; keywords are bounded in
 * length and number per message (limits.ts), answered NO [LIMIT].
 * Standards: RFC 9051 section 6.4.6, RFC 3501 (\Recent is server-set),
 * RFC 7162 section 3.1.3 (UNCHANGEDSINCE, MODIFIED).
 */
import { encodeFetch } from '../../../proto/imap/index.js';
import type { Handler } from '../context.js';
import { condstore, fetchFlagsResponse, resolveMessages, toUidSet } from '../message-set.js';
import { MAX_KEYWORD_BYTES, MAX_KEYWORDS_PER_MESSAGE } from '../limits.js';
import { SYSTEM_FLAGS } from './select.js';

/** The canonical spelling of a system flag, or undefined when it is not one a client may set. */
function systemFlag(flag: string): string | undefined {
  return SYSTEM_FLAGS.find((f) => f.toLowerCase() === flag.toLowerCase());
}

export const store: Handler<'STORE'> = async (s, cmd) => {
  const selected = s.selected!;
  const { args } = cmd;
  const flags: string[] = [];
  for (const f of args.flags) {
    if (!f.startsWith('\\')) flags.push(f);
    else {
      const canonical = systemFlag(f);
      if (!canonical) return s.tagged(cmd.tag, 'BAD', 'This system flag cannot be stored');
      flags.push(canonical);
    }
  }
  if (flags.some((f) => Buffer.byteLength(f) > MAX_KEYWORD_BYTES)) return s.tagged(cmd.tag, 'NO', 'Keyword too long', { code: 'LIMIT' });
  const resolved = resolveMessages(s, selected, cmd.tag, args.set, cmd.uid);
  if (!resolved) return;
  if (selected.readOnly) return s.tagged(cmd.tag, 'NO', 'Mailbox is read-only');
  const keywords = new Set(flags.filter((f) => !f.startsWith('\\')).map((f) => f.toLowerCase()));
  if (keywords.size > MAX_KEYWORDS_PER_MESSAGE) return s.tagged(cmd.tag, 'NO', 'Too many keywords', { code: 'LIMIT' });
  if (args.operation === 'add' && keywords.size > 0) {
    for (const m of await s.mailboxes.records(selected.record, toUidSet(resolved.map((r) => r.uid)))) {
      const union = new Set([...keywords, ...m.flags.filter((f) => !f.startsWith('\\')).map((f) => f.toLowerCase())]);
      if (union.size > MAX_KEYWORDS_PER_MESSAGE) return s.tagged(cmd.tag, 'NO', 'Too many keywords on a message', { code: 'LIMIT' });
    }
  }
  const unchangedSince = args.unchangedSince === null ? undefined : Number(args.unchangedSince > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : args.unchangedSince);
  const result = await s.mailboxes.storeFlags(selected.record, toUidSet(resolved.map((m) => m.uid)), args.operation, flags, unchangedSince);
  // Nothing else changed the mailbox in between (each change takes the next MODSEQ): this change
  // is answered here, so NOOP need not report it again.
  if (result.updated.some((u) => u.changed) && result.highestModseq === selected.modseq + 1) selected.modseq = result.highestModseq;
  else {
    // Others changed the mailbox meanwhile: the next announcement reports their changes, not these again.
    for (const u of result.updated) if (u.changed) (selected.ownChanges ??= new Map()).set(u.uid, u.modseq);
  }
  // RFC 7162 3.1: UNCHANGEDSINCE enables CONDSTORE, after which every flag change reports its MODSEQ.
  if (unchangedSince !== undefined) s.enable('CONDSTORE');
  const withModseq = unchangedSince !== undefined || condstore(s);
  for (const u of result.updated) {
    const seq = selected.view.seqOf(u.uid);
    if (seq === 0) continue;
    if (!args.silent) s.send(fetchFlagsResponse(s, seq, u, cmd.uid, withModseq));
    // RFC 7162 3.1.3: even .SILENT reports the new MODSEQ of each changed message.
    else if (withModseq && u.changed) s.send(encodeFetch(seq, cmd.uid ? [['UID', u.uid], ['MODSEQ', [u.modseq]]] : [['MODSEQ', [u.modseq]]], s.encoder));
  }
  const verb = cmd.uid ? 'UID STORE' : 'STORE';
  if (result.failed.length > 0) {
    const set = cmd.uid ? result.failed : result.failed.map((u) => selected.view.seqOf(u)).filter((n) => n > 0);
    return s.tagged(cmd.tag, 'OK', `${verb} completed, some messages were modified since`, { code: 'MODIFIED', set });
  }
  s.tagged(cmd.tag, 'OK', `${verb} completed`);
};
