/*
 * FETCH and UID FETCH: message data served from the MIME index stored at
 * delivery (ENVELOPE, BODYSTRUCTURE, BODY, BINARY.SIZE) and byte ranges of
 * the stored message (BODY[section]<partial>, BINARY[], RFC822.*); the
 * message is never parsed again here. When every byte item is the
 * message's header (BODY[HEADER], BODY[HEADER.FIELDS ...], RFC822.HEADER),
 * only the bytes before the body are read, those of the next messages
 * together (FETCH_HEADER_READ_AHEAD, FETCH_HEADER_READ_AHEAD_BYTES). A
 * body fetch that is not PEEK sets \Seen on a read-write mailbox and
 * reports the new FLAGS.
 *
 * Exports: fetch.
 * Security: the set, sections and ranges are client input: the set
 * resolves against this session's view of the user's own mailbox, sections
 * that name nothing give empty data, ranges are clipped (src/mime). One
 * message's bytes (or a bounded read-ahead of headers) are held at a
 * time, and the next is read only once the unsent output is under
 * MAX_PENDING_OUTPUT_BYTES (SessionApi.flush).
 * Standards: RFC 9051 section 6.4.5 and 7.5.2, RFC 3501 (RFC822.*,
 * UID FETCH adds UID, \Recent in FLAGS), RFC 3516 (BINARY, UNKNOWN-CTE),
 * RFC 7162 (MODSEQ, CHANGEDSINCE, VANISHED: `* VANISHED (EARLIER)` for the
 * UIDs of the set expunged since, before the FETCH responses), RFC 8474
 * (EMAILID, THREADID), RFC 8970 (PREVIEW), RFC 8514 (SAVEDATE).
 * Choices: a BINARY[] whose part does not exist is empty, like BODY[].
 */
import { binaryBytes } from '../../../mime/binary.js';
import { findPart, type MessageIndex } from '../../../mime/index.js';
import { sectionBytes } from '../../../mime/imap-sections.js';
import { bodyStructure, envelope } from '../../../mime/imap-structure.js';
import { preview } from '../../../mime/preview.js';
import { encodeFetch, encodeVanished, formatFetchItemName, formatInternalDate, toPartialRange, toSectionSpec, type FetchItem, type ImapValue } from '../../../proto/imap/index.js';
import type { MessageRecord } from '../../../store/types.js';
import type { Handler, SessionApi } from '../context.js';
import { FETCH_HEADER_READ_AHEAD, FETCH_HEADER_READ_AHEAD_BYTES } from '../limits.js';
import { condstore, resolveMessages, sessionFlags, toUidSet, uidRangesOf } from '../message-set.js';

/** Items answered from the record alone. */
const RECORD_ONLY = new Set(['FLAGS', 'UID', 'INTERNALDATE', 'RFC822.SIZE', 'MODSEQ', 'SAVEDATE', 'EMAILID', 'THREADID']);
/** Items that need the message bytes. */
const NEED_BYTES = new Set(['BODY[]', 'BINARY[]', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT', 'PREVIEW']);

/** Whether an item that needs bytes reads only the message's own header, the bytes before the root's body. */
const headerOnly = (i: FetchItem): boolean =>
  !NEED_BYTES.has(i.kind) || i.kind === 'RFC822.HEADER' ||
  (i.kind === 'BODY[]' && i.section.part.length === 0 && (i.section.text?.kind === 'HEADER' || i.section.text?.kind === 'HEADER.FIELDS'));

const setsSeen = (i: FetchItem): boolean =>
  ((i.kind === 'BODY[]' || i.kind === 'BINARY[]') && !i.peek) || i.kind === 'RFC822' || i.kind === 'RFC822.TEXT';

class UnknownCte extends Error {}

function itemValue(s: SessionApi, item: FetchItem, m: MessageRecord, index: MessageIndex | undefined, bytes: Buffer | undefined): [string, ImapValue] {
  const name = formatFetchItemName(item);
  // Plain expressions, not small closures: tsx runs esbuild with keepNames, so each closure created per item and message costs a __name call (bench/imap-mailbox-100k).
  const idx = index!;
  const raw = bytes!;
  switch (item.kind) {
    case 'FLAGS':
      return [name, sessionFlags(s, m)];
    case 'UID':
      return [name, m.uid];
    case 'INTERNALDATE':
      return [name, formatInternalDate(new Date(m.internalDate))];
    case 'SAVEDATE':
      return [name, formatInternalDate(new Date(m.saveDate))];
    case 'RFC822.SIZE':
      return [name, m.size];
    case 'MODSEQ':
      return [name, [m.modseq]];
    case 'EMAILID':
      return [name, [{ atom: m.emailId }]];
    case 'THREADID':
      return [name, m.threadId === null ? null : [{ atom: m.threadId }]];
    case 'ENVELOPE':
      return [name, envelope(idx.envelope)];
    case 'BODYSTRUCTURE':
      return [name, bodyStructure(idx, true, { utf8: s.encoder.utf8, imap4rev2: s.rev2 })];
    case 'BODY':
      return [name, bodyStructure(idx, false, { utf8: s.encoder.utf8, imap4rev2: s.rev2 })];
    case 'RFC822':
      return [name, { literal: raw }];
    case 'RFC822.HEADER':
      return [name, { literal: sectionBytes(raw, idx, { part: [], kind: 'HEADER' }) }];
    case 'RFC822.TEXT':
      return [name, { literal: sectionBytes(raw, idx, { part: [], kind: 'TEXT' }) }];
    case 'BODY[]':
      return [name, { literal: sectionBytes(raw, idx, toSectionSpec(item.section), item.partial ? toPartialRange(item.partial) : undefined) }];
    case 'BINARY[]': {
      const decoded = binaryBytes(raw, idx, item.part);
      if (decoded === null) throw new UnknownCte();
      let data = decoded ?? Buffer.alloc(0);
      if (item.partial) data = data.subarray(Math.min(item.partial.offset, data.length), Math.min(item.partial.offset + item.partial.length, data.length));
      return [name, { literal: data, binary: data.includes(0) }];
    }
    case 'BINARY.SIZE': {
      if (item.part.length === 0) return [name, idx.size];
      const part = findPart(idx.root, item.part);
      if (part && part.binarySize === null) throw new UnknownCte();
      return [name, part?.binarySize ?? 0];
    }
    case 'PREVIEW':
      return [name, preview(raw, idx)];
    default:
      throw new Error(`unsupported fetch item ${(item as FetchItem).kind}`);
  }
}

export const fetch: Handler<'FETCH'> = async (s, cmd) => {
  const selected = s.selected!;
  const { args } = cmd;
  // RFC 7162 3.2.6: VANISHED only with UID FETCH, once QRESYNC is enabled.
  if (args.vanished && (!cmd.uid || !s.enabled.has('QRESYNC'))) return s.tagged(cmd.tag, 'BAD', 'VANISHED needs UID FETCH and QRESYNC enabled');
  const resolved = resolveMessages(s, selected, cmd.tag, args.set, cmd.uid);
  if (!resolved) return;
  // RFC 7162 3.1: FETCH MODSEQ and CHANGEDSINCE enable CONDSTORE.
  if (args.changedSince !== null || args.items.some((i) => i.kind === 'MODSEQ')) s.enable('CONDSTORE');
  const items = args.items.slice();
  if (cmd.uid && !items.some((i) => i.kind === 'UID')) items.unshift({ kind: 'UID' });
  if (args.changedSince !== null && !items.some((i) => i.kind === 'MODSEQ')) items.push({ kind: 'MODSEQ' });
  let records = await s.mailboxes.records(selected.record, toUidSet(resolved.map((m) => m.uid)));
  if (args.changedSince !== null) {
    const since = args.changedSince;
    records = records.filter((m) => BigInt(m.modseq) > since);
    if (args.vanished) {
      const ranges = uidRangesOf(args.set, Math.max(selected.record.uidNext, selected.view.uidAt(selected.view.count) ?? 0) - 1);
      const gone = (await s.mailboxes.changesSince(selected.record, since > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(since))).vanished;
      const vanished = gone.filter((u) => ranges.some(([a, b]) => u >= a && u <= b));
      if (vanished.length) s.send(encodeVanished(vanished, true));
    }
  }
  // RFC 9051 6.4.5: BODY[] (not PEEK), BINARY[] and RFC822(.TEXT) set \Seen; the FLAGS go with the answer.
  const seenNow = new Set<number>();
  if (!selected.readOnly && items.some(setsSeen)) {
    const unseen = records.filter((m) => !m.flags.includes('\\Seen')).map((m) => m.uid);
    if (unseen.length) {
      const r = await s.mailboxes.storeFlags(selected.record, toUidSet(unseen), 'add', ['\\Seen']);
      const byUid = new Map(r.updated.map((u) => [u.uid, u]));
      records = records.map((m) => {
        const u = byUid.get(m.uid);
        if (!u) return m;
        seenNow.add(m.uid);
        return { ...m, flags: u.flags, modseq: u.modseq };
      });
    }
  }
  const needIndex = items.some((i) => !RECORD_ONLY.has(i.kind));
  const needBytes = items.some((i) => NEED_BYTES.has(i.kind));
  // A client listing messages asks for header fields: read the header, not the whole file.
  const headerBytesOnly = needBytes && items.every(headerOnly);
  // Header-only: the indexes and header reads of the next messages are started together.
  const ahead = new Map<number, { index: MessageIndex | undefined; bytes?: Promise<Buffer> }>();
  const readAhead = async (from: number): Promise<void> => {
    let total = 0;
    for (let j = from; j < records.length && j < from + FETCH_HEADER_READ_AHEAD && total < FETCH_HEADER_READ_AHEAD_BYTES; j++) {
      const index = await s.mailboxes.messageIndex(records[j]!);
      ahead.set(j, { index });
      if (!index) break;
      total += index.root.bodyStart;
    }
    // In one synchronous run, so the blob reader takes them as one batch.
    for (const [j, entry] of ahead) {
      if (!entry.index || entry.bytes) continue;
      entry.bytes = s.mailboxes.messageBytes(records[j]!, entry.index.root.bodyStart);
      // Awaited in order below; an early failure must not count as unhandled meanwhile.
      entry.bytes.catch(() => {});
    }
  };
  let unknownCte = false;
  for (const [i, m] of records.entries()) {
    const seq = selected.view.seqOf(m.uid);
    if (seq === 0) continue;
    if (headerBytesOnly && !ahead.has(i)) await readAhead(i);
    const early = ahead.get(i);
    ahead.delete(i);
    const index = early ? early.index : needIndex ? await s.mailboxes.messageIndex(m) : undefined;
    if (needIndex && !index) {
      s.log.error('fetch-no-index', { uid: m.uid, blob: m.blobHash });
      return s.tagged(cmd.tag, 'NO', 'Message data unavailable', { code: 'SERVERBUG' });
    }
    const bytes = early?.bytes ? await early.bytes : needBytes ? await s.mailboxes.messageBytes(m) : undefined;
    const out: Array<[string, ImapValue]> = [];
    try {
      for (const item of items) out.push(itemValue(s, item, m, index, bytes));
    } catch (err) {
      if (!(err instanceof UnknownCte)) throw err;
      unknownCte = true;
      continue;
    }
    if (seenNow.has(m.uid)) {
      if (!items.some((i) => i.kind === 'FLAGS')) out.push(['FLAGS', sessionFlags(s, m)]);
      // RFC 7162 3.1.4: a flag change reported with CONDSTORE enabled carries its MODSEQ.
      if (condstore(s) && !items.some((i) => i.kind === 'MODSEQ')) out.push(['MODSEQ', [m.modseq]]);
    }
    s.send(encodeFetch(seq, out, s.encoder));
    if (!(await s.flush())) return;
  }
  if (unknownCte) return s.tagged(cmd.tag, 'NO', 'Unknown content transfer encoding', { code: 'UNKNOWN-CTE' });
  s.tagged(cmd.tag, 'OK', `${cmd.uid ? 'UID FETCH' : 'FETCH'} completed`);
};
