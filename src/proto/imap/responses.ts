/*
 * Untagged data responses: EXISTS, EXPUNGE, VANISHED, FETCH, FLAGS,
 * CAPABILITY, ENABLED, LIST/LSUB, STATUS, SEARCH/SORT, ESEARCH, THREAD,
 * NAMESPACE, QUOTA, QUOTAROOT, ID, METADATA.
 *
 * Exports: encodeExists, encodeExpunge, encodeVanished, encodeFetch,
 * encodeFlags, encodeCapability, encodeEnabled, encodeList, encodeStatus,
 * encodeSearch, encodeEsearch, EsearchData, encodeThread, ThreadNode,
 * encodeNamespace, NamespaceEntry, encodeQuota, encodeQuotaRoot, encodeId,
 * encodeMetadata, encodeMetadataChanged.
 * Security: every value goes through the core serialiser (literal when it
 * holds CR/LF), every bare word through assertAtom.
 * Standards: RFC 9051 section 7, RFC 7162 (VANISHED, MODSEQ), RFC 4731
 * (ESEARCH), RFC 5256 (SORT, THREAD), RFC 2342 (NAMESPACE), RFC 9208
 * (QUOTA), RFC 2971 (ID), RFC 5464 (METADATA), RFC 5258 (extended LIST).
 */
import { assertAtom, compressSequence, CRLF, encodeUntagged, encodeValue, type EncoderOptions, type ImapValue } from './encoder.js';

const atom = (s: string) => ({ atom: s });

export function encodeExists(n: number): Buffer {
  return Buffer.from(`* ${n} EXISTS${CRLF}`);
}

export function encodeExpunge(seq: number): Buffer {
  return Buffer.from(`* ${seq} EXPUNGE${CRLF}`);
}

export function encodeVanished(uids: number[], earlier: boolean): Buffer {
  return Buffer.from(`* VANISHED ${earlier ? '(EARLIER) ' : ''}${compressSequence(uids)}${CRLF}`);
}

/** `* seq FETCH (NAME value ...)`; names are response item names such as `BODY[1.TEXT]<0>` and are not escaped. */
export function encodeFetch(seq: number, items: Array<[string, ImapValue]>, opts: EncoderOptions): Buffer {
  const out: Buffer[] = [Buffer.from(`* ${seq} FETCH (`)];
  items.forEach(([name, value], i) => {
    if (/[\r\n]/.test(name)) throw new TypeError('bad fetch item name');
    out.push(Buffer.from(`${i ? ' ' : ''}${name} `));
    out.push(encodeValue(value, opts));
  });
  out.push(Buffer.from(`)${CRLF}`));
  return Buffer.concat(out);
}

export function encodeFlags(flags: string[]): Buffer {
  return encodeUntagged([atom('FLAGS'), flags.map(atom)], { utf8: false });
}

export function encodeCapability(caps: string[]): Buffer {
  return Buffer.from(`* CAPABILITY ${caps.map((c) => assertAtom(c)).join(' ')}${CRLF}`);
}

export function encodeEnabled(caps: string[]): Buffer {
  return Buffer.from(`* ENABLED${caps.map((c) => ' ' + assertAtom(c)).join('')}${CRLF}`);
}

/** `* LIST (attrs) "/" name [(extended)]`; kind LSUB for the rev1 command. */
export function encodeList(
  attrs: string[],
  delimiter: string | null,
  mailbox: string,
  opts: EncoderOptions,
  extended: ImapValue[] = [],
  kind: 'LIST' | 'LSUB' = 'LIST',
): Buffer {
  const values: ImapValue[] = [atom(kind), attrs.map(atom), delimiter, { mailbox }];
  if (extended.length) values.push(extended);
  return encodeUntagged(values, opts);
}

/** `* STATUS name (ITEM value ...)`; values are numbers, or a list for MAILBOXID (RFC 8474). */
export function encodeStatus(mailbox: string, items: Array<[string, ImapValue]>, opts: EncoderOptions): Buffer {
  return encodeUntagged([atom('STATUS'), { mailbox }, items.flatMap(([k, v]) => [atom(k), v])], opts);
}

/** `* SEARCH 1 2 3 [(MODSEQ n)]` (also `* SORT`). */
export function encodeSearch(nums: number[], modseq: bigint | null = null, kind: 'SEARCH' | 'SORT' = 'SEARCH'): Buffer {
  return Buffer.from(`* ${kind}${nums.map((n) => ' ' + n).join('')}${modseq !== null ? ` (MODSEQ ${modseq})` : ''}${CRLF}`);
}

export interface EsearchData {
  min?: number;
  max?: number;
  all?: number[];
  /** ALL in the given order (ESORT, RFC 5267), only adjacent ascending runs merged. */
  allInOrder?: boolean;
  count?: number;
  modseq?: bigint;
}

export function encodeEsearch(tag: string | null, uid: boolean, data: EsearchData): Buffer {
  let s = '* ESEARCH';
  if (tag !== null) s += ` (TAG "${assertAtom(tag, 'tag')}")`;
  if (uid) s += ' UID';
  if (data.min !== undefined) s += ` MIN ${data.min}`;
  if (data.max !== undefined) s += ` MAX ${data.max}`;
  if (data.all !== undefined && data.all.length) s += ` ALL ${compressSequence(data.all, !data.allInOrder)}`;
  if (data.count !== undefined) s += ` COUNT ${data.count}`;
  if (data.modseq !== undefined) s += ` MODSEQ ${data.modseq}`;
  return Buffer.from(s + CRLF);
}

/** A thread: its message numbers in order, then its branches (each a thread). */
export type ThreadNode = number | ThreadNode[];

/** `* THREAD (2)(3 6 (4 23)(44 7 96))`: members separated by SP, nested branches adjacent (RFC 5256 section 4). */
export function encodeThread(threads: ThreadNode[][]): Buffer {
  const node = (t: ThreadNode[]): string => {
    const members = t.filter((x): x is number => typeof x === 'number');
    const nested = t.filter((x): x is ThreadNode[] => typeof x !== 'number');
    const sep = members.length && nested.length ? ' ' : '';
    return `(${members.join(' ')}${sep}${nested.map(node).join('')})`;
  };
  return Buffer.from(`* THREAD${threads.length ? ' ' + threads.map(node).join('') : ''}${CRLF}`);
}

export interface NamespaceEntry {
  prefix: string;
  delimiter: string | null;
}

export function encodeNamespace(
  personal: NamespaceEntry[] | null,
  other: NamespaceEntry[] | null,
  shared: NamespaceEntry[] | null,
  opts: EncoderOptions,
): Buffer {
  const ns = (l: NamespaceEntry[] | null): ImapValue => (l ? l.map((e) => [{ mailbox: e.prefix }, e.delimiter]) : null);
  return encodeUntagged([atom('NAMESPACE'), ns(personal), ns(other), ns(shared)], opts);
}

export function encodeQuota(root: string, resources: Array<{ name: string; usage: number | bigint; limit: number | bigint }>): Buffer {
  return encodeUntagged([atom('QUOTA'), root, resources.flatMap((r) => [atom(r.name), r.usage, r.limit])], { utf8: true });
}

export function encodeQuotaRoot(mailbox: string, roots: string[], opts: EncoderOptions): Buffer {
  return encodeUntagged([atom('QUOTAROOT'), { mailbox }, ...roots], opts);
}

export function encodeId(params: Array<[string, string | null]> | null): Buffer {
  return encodeUntagged([atom('ID'), params ? params.flat() : null], { utf8: true });
}

/** Entry names that are plain atoms (the usual `/private/comment`), sent unquoted as RFC 5464's examples show. */
const METADATA_ATOM = /^[A-Za-z0-9/._+$-]+$/;
/** Values sent as quoted strings: short printable ASCII; anything else goes as a literal (literal8 with NUL). */
const METADATA_QUOTABLE = /^[\x20-\x7e]{0,1024}$/;

export function encodeMetadata(mailbox: string, entries: Array<[string, Buffer | null]>, opts: EncoderOptions): Buffer {
  const value = (v: Buffer | null): ImapValue => {
    if (v === null) return null;
    const text = v.toString('latin1');
    return METADATA_QUOTABLE.test(text) ? text : { literal: v, binary: v.includes(0) };
  };
  const list: ImapValue[] = entries.flatMap(([k, v]) => [METADATA_ATOM.test(k) ? atom(k) : k, value(v)]);
  return encodeUntagged([atom('METADATA'), mailbox === '' ? '' : { mailbox }, list], opts);
}

/** Unsolicited `* METADATA mailbox entry entry...`: which entries changed, without values (RFC 5464 4.4.2, RFC 5465 5.7). */
export function encodeMetadataChanged(mailbox: string, entries: string[], opts: EncoderOptions): Buffer {
  return encodeUntagged([atom('METADATA'), mailbox === '' ? '' : { mailbox }, ...entries.map((k): ImapValue => (METADATA_ATOM.test(k) ? atom(k) : k))], opts);
}
