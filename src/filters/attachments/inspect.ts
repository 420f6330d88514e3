/*
 * What the attachment policy finds in one message: every leaf part that is
 * not the message's own text is looked at by its names (the
 * Content-Disposition filename and the Content-Type name, both, RFC 2231
 * and RFC 2047 decoded) and by its content (magic.ts); zip archives are
 * opened (zip.ts) and their members looked at the same way, zips inside
 * them too, three deep; attached messages are read as their parts are,
 * base64-encoded ones decoded first.
 *
 * A finding is a blocked type (an extension on the list, or an executable
 * or script by content), an encrypted archive, or something that could
 * not be checked (an unreadable or too large archive, a limit reached);
 * the filter decides what each means.
 *
 * Exports: Finding, InspectPolicy, inspectMessage, extensionOf.
 * Security: reads the untrusted message through the MIME indexer (bounded,
 * never throws) and bounded decoding; every limit of limits.ts applies to
 * the whole message, nested archives and messages included. A name is
 * cleared of control, zero-width and bidirectional formatting characters
 * and of the trailing dots and spaces Windows ignores before its extension
 * is taken, so "invoice.pdf\u202Eexe.scr" and "run.exe. " are caught.
 * Not looked into: archives other than zip (rar, 7z, tar, gz, cab), TNEF
 * (winmail.dat), OLE documents; the virus scanner sees those.
 * Standards: RFC 2045-2047, RFC 2183 (filename), RFC 2231 (parameter
 * continuations and charsets).
 */
import libmime from 'libmime';
import { decodePart } from '../../mime/binary.js';
import { indexMessage } from '../../mime/indexer.js';
import { paramValue } from '../../mime/part-header.js';
import type { MimePart } from '../../mime/types.js';
import {
  HEAD_BYTES, HEAD_INFLATE_MAX, HEAD_INPUT_BYTES, MAX_ARCHIVE_BYTES, MAX_ARCHIVE_DEPTH, MAX_ARCHIVE_ENTRIES, MAX_FINDINGS,
  MAX_INFLATED_ENTRIES, MAX_INFLATED_TOTAL, MAX_MESSAGE_DEPTH, MAX_PARTS,
} from './limits.js';
import { executableKind, isZip } from './magic.js';
import { readMember, readZipDirectory } from './zip.js';

export interface Finding {
  /** The file's name; a member of an archive as "archive.zip/dir/member.exe". */
  name: string;
  reason: string;
  /** type: a blocked extension or an executable by content; encrypted: an archive that cannot be looked into; unchecked: a limit or an unreadable archive. */
  kind: 'type' | 'encrypted' | 'unchecked';
}

export interface InspectPolicy {
  /** Lower-case extensions without the dot. */
  blocked: ReadonlySet<string>;
  scanArchives: boolean;
}

/** Characters that change how a name looks or is cut without being part of it. */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
const MAX_NAME_CHARS = 200;

/** The extension Windows would see: after the last dot of the last path segment, lower case; null without one. */
export function extensionOf(name: string): string | null {
  const base = name.replace(INVISIBLE, '').split(/[\\/]/).pop()!.replace(/[\s.]+$/, '');
  const dot = base.lastIndexOf('.');
  return dot < 0 || dot === base.length - 1 ? null : base.slice(dot + 1).toLowerCase();
}

const decodeWords = (v: string): string => {
  try {
    return libmime.decodeWords(v);
  } catch {
    return v;
  }
};

/** Work done so far for this message, across nested archives and messages. */
class Run {
  parts = 0;
  entries = 0;
  inflatedEntries = 0;
  inflated = 0;
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();

  constructor(readonly policy: InspectPolicy) {}

  add(name: string, reason: string, kind: Finding['kind']): void {
    const shown = name.replace(INVISIBLE, '?').slice(0, MAX_NAME_CHARS);
    const key = `${kind}\0${shown}\0${reason}`;
    if (this.seen.has(key) || this.findings.length >= MAX_FINDINGS) return;
    this.seen.add(key);
    this.findings.push({ name: shown, reason, kind });
  }

  /** A name on the blocked list. */
  checkName(shown: string, name: string): void {
    const ext = extensionOf(name);
    if (ext !== null && this.policy.blocked.has(ext)) this.add(shown, `extension .${ext}`, 'type');
  }

  checkContent(shown: string, head: Buffer): void {
    const kind = executableKind(head);
    if (kind !== null) this.add(shown, `content: ${kind}`, 'type');
  }
}

/** Everything found in the message (at most MAX_FINDINGS, each once). */
export function inspectMessage(bytes: Buffer, policy: InspectPolicy): Finding[] {
  const run = new Run(policy);
  walkMessage(bytes, 0, run);
  return run.findings;
}

/** The leaf parts of a message, in order, the parts of attached messages the indexer read included. */
function* leaves(root: MimePart): Generator<MimePart> {
  if (root.children !== undefined) for (const child of root.children) yield* leaves(child);
  else if (root.message !== undefined) yield* leaves(root.message.root);
  else yield root;
}

function walkMessage(bytes: Buffer, depth: number, run: Run): void {
  for (const part of leaves(indexMessage(bytes).root)) {
    if (++run.parts > MAX_PARTS) return run.add('(message)', `more than ${MAX_PARTS} parts, the rest not checked`, 'unchecked');
    inspectPart(bytes, part, depth, run);
  }
}

/** The part's file names, decoded, each once. */
function namesOf(part: MimePart): string[] {
  const names = [paramValue(part.disposition?.params ?? [], 'filename'), paramValue(part.params, 'name')]
    .filter((n): n is string => n !== undefined && n !== '')
    .map(decodeWords);
  return [...new Set(names)];
}

function inspectPart(bytes: Buffer, part: MimePart, depth: number, run: Run): void {
  const names = namesOf(part);
  const shown = names[0] ?? `(unnamed ${part.type}/${part.subtype})`;
  for (const name of names) run.checkName(name, name);
  // The message's own text: not a file anyone opens.
  if (names.length === 0 && part.type === 'text' && (part.subtype === 'plain' || part.subtype === 'html') && part.disposition?.type !== 'attachment') return;
  if (part.type === 'message' && (part.subtype === 'rfc822' || part.subtype === 'global')) {
    // Indexed messages were walked already; this one came encoded (base64, quoted-printable).
    const decoded = depth < MAX_MESSAGE_DEPTH ? decodeWhole(bytes, part, shown, run) : null;
    if (decoded !== null) walkMessage(decoded, depth + 1, run);
    else if (depth >= MAX_MESSAGE_DEPTH) run.add(shown, 'attached messages nested too deep', 'unchecked');
    return;
  }
  const head = decodePart(bytes, { ...part, bodyEnd: Math.min(part.bodyEnd, part.bodyStart + Math.ceil(HEAD_BYTES * 1.5)) });
  if (head === null) return; // an encoding nobody's mail client decodes either
  run.checkContent(shown, head.subarray(0, HEAD_BYTES));
  if (!run.policy.scanArchives || !(isZip(head) || names.some((n) => extensionOf(n) === 'zip'))) return;
  const zip = decodeWhole(bytes, part, shown, run);
  if (zip !== null) inspectZip(zip, shown, 1, run);
}

/** A part's body decoded, or null (reported) when it is larger than MAX_ARCHIVE_BYTES. */
function decodeWhole(bytes: Buffer, part: MimePart, shown: string, run: Run): Buffer | null {
  // base64 decodes to 3/4 of its length, the other encodings to at most their length.
  const bound = part.encoding === 'base64' ? Math.floor(((part.bodyEnd - part.bodyStart) * 3) / 4) : part.bodyEnd - part.bodyStart;
  const decoded = bound > MAX_ARCHIVE_BYTES * 1.1 ? null : decodePart(bytes, part);
  if (decoded === null || decoded.length > MAX_ARCHIVE_BYTES) {
    run.add(shown, `over ${MAX_ARCHIVE_BYTES} octets, not looked into`, 'unchecked');
    return null;
  }
  return decoded;
}

function inspectZip(zip: Buffer, path: string, depth: number, run: Run): void {
  const dir = readZipDirectory(zip, MAX_ARCHIVE_ENTRIES - run.entries);
  if (!dir.ok) return run.add(path, `unreadable zip archive (${dir.detail})`, 'unchecked');
  run.entries += dir.entries.length;
  if (dir.truncated) run.add(path, `archive members past ${MAX_ARCHIVE_ENTRIES} not checked`, 'unchecked');
  for (const entry of dir.entries) {
    if (entry.directory) continue;
    const name = `${path}/${entry.name}`;
    run.checkName(name, entry.name);
    if (entry.encrypted) {
      run.add(path, 'encrypted archive', 'encrypted');
      continue;
    }
    if (run.inflatedEntries >= MAX_INFLATED_ENTRIES || run.inflated >= MAX_INFLATED_TOTAL) {
      run.add(path, 'archive members past the inflating limit not checked', 'unchecked');
      continue;
    }
    run.inflatedEntries++;
    const head = readMember(zip, entry, { head: true, headBytes: HEAD_BYTES, headInput: HEAD_INPUT_BYTES, maxOutput: HEAD_INFLATE_MAX });
    if (!head.ok) continue; // other compression methods and broken members: their names were checked, the scanner sees the rest
    run.inflated += head.data.length;
    run.checkContent(name, head.data);
    if (!isZip(head.data) && extensionOf(entry.name) !== 'zip') continue;
    if (depth >= MAX_ARCHIVE_DEPTH) {
      run.add(name, `zip archives nested more than ${MAX_ARCHIVE_DEPTH} deep, not looked into`, 'unchecked');
      continue;
    }
    const inner = readMember(zip, entry, { head: false, maxOutput: Math.min(MAX_ARCHIVE_BYTES, MAX_INFLATED_TOTAL - run.inflated) });
    if (!inner.ok) {
      run.add(name, `zip archive not looked into (${inner.detail})`, 'unchecked');
      continue;
    }
    run.inflated += inner.data.length;
    inspectZip(inner.data, name, depth + 1, run);
  }
}
