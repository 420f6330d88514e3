/*
 * GETMETADATA [(MAXSIZE n DEPTH d)] mailbox entries: the values of the
 * named entries of the server ("") or of a mailbox, with their children
 * one level down (DEPTH 1) or all of them (DEPTH infinity). An entry asked
 * for by name that does not exist comes back as NIL; values larger than
 * MAXSIZE are left out and the largest such size is given in
 * [METADATA LONGENTRIES n].
 *
 * Exports: getmetadata.
 * Security: the logged-in account's own entries only; the output is bounded
 * by the per-account entry count and value size (limits.ts).
 * Standards: RFC 5464 sections 4.2 and 4.4.1, RFC 6154 section 4
 * (/private/specialuse).
 */
import { encodeMetadata } from '../../../proto/imap/index.js';
import type { Handler } from '../context.js';

export const getmetadata: Handler<'GETMETADATA'> = async (s, cmd) => {
  const { args, tag } = cmd;
  const mailbox = args.mailbox === '' ? null : await s.mailboxes.get(args.mailbox);
  if (mailbox === undefined) return s.tagged(tag, 'NO', 'No such mailbox', { code: 'NONEXISTENT' });
  const all = await s.mailboxes.annotations(mailbox);
  const found = new Map<string, Buffer | null>();
  let longest = 0;
  const add = (entry: string, value: Buffer) => {
    if (args.maxSize !== null && value.length > args.maxSize) longest = Math.max(longest, value.length);
    else found.set(entry, value);
  };
  for (const wanted of args.entries) {
    const exact = all.find((e) => e.entry === wanted);
    if (exact) add(exact.entry, exact.value);
    else if (!found.has(wanted)) found.set(wanted, null);
    if (args.depth === '0') continue;
    const prefix = `${wanted}/`;
    for (const e of all) {
      if (!e.entry.startsWith(prefix)) continue;
      if (args.depth === '1' && e.entry.indexOf('/', prefix.length) !== -1) continue;
      add(e.entry, e.value);
    }
  }
  // An entry asked for only as the root of a DEPTH search is not reported as NIL when it has children.
  if (args.depth !== '0') {
    for (const wanted of args.entries) if (found.get(wanted) === null && [...found.keys()].some((k) => k.startsWith(`${wanted}/`))) found.delete(wanted);
  }
  if (found.size > 0) s.send(encodeMetadata(mailbox?.name ?? '', [...found], s.encoder));
  if (longest > 0) return s.tagged(tag, 'OK', 'GETMETADATA completed', { code: 'METADATA', detail: 'LONGENTRIES', value: longest });
  s.tagged(tag, 'OK', 'GETMETADATA completed');
};
