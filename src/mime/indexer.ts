/*
 * The MIME indexer: one pass over a stored message that records, for every
 * part, the byte offsets of its header block and body, its line count and
 * its content fields, and for the message and every encapsulated message
 * its ENVELOPE. IMAP answers FETCH from this index and byte ranges of the
 * stored message, without parsing the message again.
 *
 * Exports: indexMessage.
 * Security: reads untrusted bytes. Time is linear in the message size:
 * every line is looked at once in the scan (and each header block once more
 * when its fields are read); a line is matched against all open boundaries
 * with one Map lookup. Open parts live on an explicit stack bounded by
 * maxDepth, so there is no recursion. Past a cap (depth, parts, header
 * size, header field size) the index marks itself truncated and treats the
 * rest as opaque. It never throws: any input gives a valid index.
 * Standards: RFC 2045 (headers, defaults), RFC 2046 section 5.1.1
 * (boundaries: `--boundary` plus optional whitespace; the line break before
 * it belongs to it; `--boundary--` closes; preamble and epilogue are not
 * parts), RFC 2046 section 5.2.1 and RFC 6532 section 3.7 (message/rfc822
 * and message/global encapsulate a message), RFC 3501 section 7.4.2 (line
 * counts). Lines end in CRLF or bare LF; a bare CR does not end a line.
 * Deviations and choices:
 * - A boundary line of an enclosing multipart ends every part inside it: a
 *   multipart with no closing line ends at its parent's next boundary or at
 *   the end of the message.
 * - A part whose header block has no blank line before the next boundary
 *   (or the end) has all of it as header and an empty body, and is a leaf.
 * - A multipart without a usable boundary parameter is a leaf; one whose
 *   boundary never occurs has `children: []`.
 * - A message/rfc822 or message/global part that is base64 or
 *   quoted-printable encoded is a leaf (its bytes are not a message).
 */
import { emptyEnvelope, buildEnvelope, buildSummary } from './envelope.js';
import { readHeaderFields, type HeaderField } from './header-fields.js';
import { MAX_BOUNDARY_BYTES, resolveMimeLimits, type MimeLimits } from './limits.js';
import { applyContentFields, newPart, paramValue } from './part-header.js';
import { transferDecodedSize } from './transfer-size.js';
import type { Envelope, MessageIndex, MimePart } from './types.js';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;
const DASH = 0x2d;

type Mode = 'header' | 'leaf' | 'multipart' | 'message';

/** A part still open during the scan. */
interface Open {
  part: MimePart;
  mode: Mode;
  depth: number;
  /** Line breaks before bodyStart, for the body's line count. */
  lfStart: number;
  /** This part is a child of multipart/digest: its default type is message/rfc822. */
  inDigest: boolean;
  /** A message root: where its envelope goes. */
  envelopeOf: { envelope: Envelope } | null;
  /** Multipart: the boundary as a Latin-1 key, the outer entry it shadows, whether it is in the map. */
  key: string;
  shadow: number | undefined;
  registered: boolean;
  /** Multipart: the part cap was hit, further children are not indexed. */
  full: boolean;
}

function openPart(part: MimePart, depth: number, inDigest: boolean, envelopeOf: { envelope: Envelope } | null): Open {
  return { part, mode: 'header', depth, lfStart: 0, inDigest, envelopeOf, key: '', shadow: undefined, registered: false, full: false };
}

/** Indexes a stored message. Never throws; garbage in gives a valid index (a text/plain leaf at worst). */
export function indexMessage(message: Buffer, limits?: Partial<MimeLimits>): MessageIndex {
  const bytes = Buffer.isBuffer(message) ? message : Buffer.from(message ?? []);
  try {
    return new Indexer(bytes, resolveMimeLimits(limits)).run();
  } catch {
    return fallbackIndex(bytes.length);
  }
}

/** The last resort if the indexer itself fails: the whole message as one opaque body. */
function fallbackIndex(size: number): MessageIndex {
  const root = newPart(0);
  root.bodyEnd = size;
  root.binarySize = null;
  return {
    v: 1, size, root, partCount: 1, truncated: true, envelope: emptyEnvelope(),
    summary: { messageId: null, subject: null, from: null, date: null, fromCount: 0 },
  };
}

class Indexer {
  private readonly stack: Open[] = [];
  /** Boundary key to the stack index of the innermost open multipart using it. */
  private readonly boundaries = new Map<string, number>();
  private partCount = 1;
  private truncated = false;
  private topFields: HeaderField[] = [];
  private readonly top = { envelope: emptyEnvelope() };
  // the current line: its start, line breaks before it, length of the previous line's break
  private lineStart = 0;
  private lfLine = 0;
  private prevEol = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly limits: MimeLimits,
  ) {}

  run(): MessageIndex {
    const { buf } = this;
    const size = buf.length;
    const root = newPart(0);
    this.stack.push(openPart(root, 0, false, this.top));
    while (this.lineStart < size) {
      const pos = this.lineStart;
      const nl = buf.indexOf(LF, pos);
      const next = nl < 0 ? size : nl + 1;
      const contentEnd = nl < 0 ? size : nl > pos && buf[nl - 1] === CR ? nl - 1 : nl;
      if (this.boundaries.size > 0 && buf[pos] === DASH && buf[pos + 1] === DASH && this.boundaryLine(pos + 2, contentEnd, next)) {
        this.advance(nl, next, contentEnd);
        continue;
      }
      const open = this.stack[this.stack.length - 1] as Open;
      if (open.mode === 'header') {
        if (contentEnd === pos && nl >= 0) {
          this.endHeader(open, next, this.lfLine + 1);
        } else if (next - open.part.headerStart > this.limits.maxHeaderBytes) {
          // too much header: what is left is body; read this line again in the new state
          this.truncated = true;
          this.endHeader(open, pos, this.lfLine);
          continue;
        }
      }
      this.advance(nl, next, contentEnd);
    }
    this.closeAbove(-1, size, this.lfLine);
    const envelope = this.top.envelope;
    return {
      v: 1,
      size,
      root,
      partCount: this.partCount,
      truncated: this.truncated,
      envelope,
      summary: buildSummary(this.topFields, envelope),
    };
  }

  private advance(nl: number, next: number, contentEnd: number): void {
    this.prevEol = next - contentEnd;
    if (nl >= 0) this.lfLine++;
    this.lineStart = next;
  }

  /** If the line is a delimiter or close delimiter of an open multipart, acts on it and returns true. */
  private boundaryLine(from: number, contentEnd: number, next: number): boolean {
    const { buf } = this;
    let to = contentEnd;
    while (to > from && (buf[to - 1] === SP || buf[to - 1] === HT)) to--;
    if (to === from || to - from > MAX_BOUNDARY_BYTES + 2) return false;
    const key = buf.toString('latin1', from, to);
    const asDelimiter = this.boundaries.get(key);
    const asClose = key.endsWith('--') ? this.boundaries.get(key.slice(0, -2)) : undefined;
    let index: number;
    let close: boolean;
    if (asClose !== undefined && (asDelimiter === undefined || asClose > asDelimiter)) {
      index = asClose;
      close = true;
    } else if (asDelimiter !== undefined) {
      index = asDelimiter;
      close = false;
    } else {
      return false;
    }
    // the line break before the boundary line belongs to it
    const endPos = this.lineStart - this.prevEol;
    const lfEnd = this.lfLine - (this.prevEol > 0 ? 1 : 0);
    this.closeAbove(index, endPos, lfEnd);
    const multipart = this.stack[index] as Open;
    if (close) {
      this.unregister(multipart);
    } else if (multipart.full || this.partCount >= this.limits.maxParts) {
      multipart.full = true;
      this.truncated = true;
    } else {
      const child = newPart(next);
      this.partCount++;
      multipart.part.children?.push(child);
      this.stack.push(openPart(child, multipart.depth + 1, multipart.part.subtype === 'digest', null));
    }
    return true;
  }

  /** The header block of `open` ends; its body starts at `bodyStart`. Decides whether it is a container. */
  private endHeader(open: Open, bodyStart: number, lfStart: number): void {
    const part = open.part;
    part.bodyStart = bodyStart;
    part.bodyEnd = bodyStart;
    open.lfStart = lfStart;
    this.interpret(open);
    open.mode = 'leaf';
    if (part.type === 'multipart') {
      const boundary = usableBoundary(paramValue(part.params, 'boundary'));
      if (boundary === undefined) return;
      if (open.depth >= this.limits.maxDepth) {
        this.truncated = true;
        return;
      }
      part.children = [];
      open.mode = 'multipart';
      open.key = boundary;
      open.shadow = this.boundaries.get(boundary);
      open.registered = true;
      this.boundaries.set(boundary, this.stack.length - 1);
    } else if (part.type === 'message' && (part.subtype === 'rfc822' || part.subtype === 'global')) {
      if (part.encoding === 'base64' || part.encoding === 'quoted-printable') return;
      if (open.depth >= this.limits.maxDepth || this.partCount >= this.limits.maxParts) {
        this.truncated = true;
        return;
      }
      const root = newPart(bodyStart);
      this.partCount++;
      const holder = { envelope: emptyEnvelope(), root };
      part.message = holder;
      open.mode = 'message';
      this.stack.push(openPart(root, open.depth + 1, false, holder));
    }
  }

  /** Reads the header block of a part into its content fields (and envelope, for a message root). */
  private interpret(open: Open): void {
    const part = open.part;
    const all = readHeaderFields(this.buf.subarray(part.headerStart, part.bodyStart));
    const max = this.limits.maxLineBytes;
    const fields = all.filter((field) => field.end - field.start <= max);
    if (fields.length !== all.length) this.truncated = true;
    applyContentFields(part, fields, open.inDigest);
    if (open.envelopeOf !== null) open.envelopeOf.envelope = buildEnvelope(fields);
    if (open.envelopeOf === this.top) this.topFields = fields;
  }

  /**
   * Ends every part above stack index `keep` at `endPos` (with `lfEnd` line
   * breaks before it). A part that began after its parent's end is moved to
   * that end, empty, so children always lie inside their parents.
   */
  private closeAbove(keep: number, endPos: number, lfEnd: number): void {
    const { stack } = this;
    let parentEnd = Number.POSITIVE_INFINITY;
    for (let i = keep + 1; i < stack.length; i++) {
      const open = stack[i] as Open;
      const part = open.part;
      if (open.mode === 'header') {
        // the header block never ended: all of it is header, the body is empty
        const end = Math.max(endPos, part.headerStart);
        part.bodyStart = end;
        this.interpret(open);
        part.bodyEnd = end;
        part.bodyLines = 0;
        open.mode = 'leaf';
      } else {
        const end = Math.max(endPos, part.bodyStart);
        part.bodyEnd = end;
        part.bodyLines = end > part.bodyStart ? lfEnd - open.lfStart + (this.buf[end - 1] === LF ? 0 : 1) : 0;
      }
      if (part.bodyEnd > parentEnd) {
        part.headerStart = Math.min(part.headerStart, parentEnd);
        part.bodyStart = Math.min(part.bodyStart, parentEnd);
        part.bodyEnd = parentEnd;
        part.bodyLines = 0;
      }
      // leaves never overlap, so counting their bodies stays linear; containers are not scanned
      part.binarySize =
        open.mode === 'leaf'
          ? transferDecodedSize(this.buf, part.bodyStart, part.bodyEnd, part.encoding)
          : transferDecodedSize(this.buf, part.bodyStart, part.bodyEnd, isIdentity(part.encoding) ? part.encoding : 'unknown');
      parentEnd = part.bodyEnd;
    }
    for (let i = stack.length - 1; i > keep; i--) this.unregister(stack[i] as Open);
    stack.length = keep + 1;
  }

  private unregister(open: Open): void {
    if (!open.registered) return;
    open.registered = false;
    if (open.shadow === undefined) this.boundaries.delete(open.key);
    else this.boundaries.set(open.key, open.shadow);
  }
}

function isIdentity(encoding: string | null): boolean {
  return encoding === null || encoding === '7bit' || encoding === '8bit' || encoding === 'binary';
}

/** The boundary as the Latin-1 key lines are matched with, or undefined when it cannot be one. */
function usableBoundary(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let end = value.length;
  while (end > 0 && (value[end - 1] === ' ' || value[end - 1] === '\t')) end--;
  if (end === 0) return undefined;
  const key = Buffer.from(value.slice(0, end), 'utf8').toString('latin1');
  return key.length > MAX_BOUNDARY_BYTES ? undefined : key;
}
