/*
 * A reader of zip archives, just enough for the attachment policy: the
 * central directory (every member's name, whether it is encrypted, its
 * sizes), and a member's content, its head or the whole of it, stored or
 * deflated. Written here rather than taken from npm because it needs only
 * the directory and bounded inflating, and the small zip libraries either
 * stream (no random access to the directory) or inflate without bounds.
 *
 * Exports: ZipEntry, ZipDirectory, MemberWant, readZipDirectory, readMember.
 * Security: reads untrusted bytes; every offset and length is checked
 * against the buffer, so a lying header gives an error, never a read out
 * of bounds; at most maxEntries members are listed; inflating is bounded
 * by maxOutputLength (a zip bomb ends in an error). Names are decoded as
 * UTF-8 when the archive says so (flag bit 11), else as Latin-1 (CP437
 * for the characters that matter here, the ASCII of an extension).
 * Standards: PKWARE APPNOTE.TXT 6.3.10: sections 4.3.7 (local file
 * header), 4.3.12 (central directory), 4.3.14-4.3.16 (ZIP64 and the end
 * of central directory), 4.4.4 (flags: bit 0 encrypted, bit 11 UTF-8),
 * 4.5.3 (the ZIP64 extra field). Data before the archive (self-extracting
 * stubs) is allowed for, as Info-ZIP's unzip does. Multi-disk archives
 * are not read.
 */
import { constants, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  /** Traditional PKWARE or strong (AES) encryption: the content cannot be read. */
  encrypted: boolean;
  /** 0 stored, 8 deflated; others (bzip2, LZMA...) are not read. */
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the member's local header in the buffer (leading data allowed for). */
  localOffset: number;
  directory: boolean;
}

export type ZipDirectory =
  | { ok: true; entries: ZipEntry[]; /** More members than maxEntries: the rest were not listed. */ truncated: boolean }
  | { ok: false; detail: string };

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;

class Malformed extends Error {}

/** A reader that refuses to go out of the buffer. */
function reader(buf: Buffer) {
  const check = (at: number, n: number) => {
    if (!Number.isSafeInteger(at) || at < 0 || at + n > buf.length) throw new Malformed(`offset ${at} outside the archive`);
  };
  return {
    u16: (at: number) => (check(at, 2), buf.readUInt16LE(at)),
    u32: (at: number) => (check(at, 4), buf.readUInt32LE(at)),
    u64: (at: number) => {
      check(at, 8);
      const v = buf.readBigUInt64LE(at);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Malformed('64-bit value too large');
      return Number(v);
    },
    bytes: (at: number, n: number) => (check(at, n), buf.subarray(at, at + n)),
  };
}

/** The end of central directory record: scanned for backwards over the longest comment (65535 octets). */
function findEnd(buf: Buffer): number {
  const last = buf.length - EOCD_SIZE;
  for (let at = last; at >= 0 && at >= last - 0xffff; at--) {
    if (buf[at] === 0x50 && buf[at + 1] === 0x4b && buf.readUInt32LE(at) === EOCD) return at;
  }
  return -1;
}

/** Every member of the archive in `buf`, or why it cannot be read. */
export function readZipDirectory(buf: Buffer, maxEntries: number): ZipDirectory {
  try {
    return listEntries(buf, maxEntries);
  } catch (err) {
    if (err instanceof Malformed) return { ok: false, detail: err.message };
    throw err;
  }
}

function listEntries(buf: Buffer, maxEntries: number): ZipDirectory {
  const r = reader(buf);
  const end = findEnd(buf);
  if (end < 0) throw new Malformed('no end of central directory');
  if (r.u16(end + 4) !== 0 || r.u16(end + 6) !== 0) throw new Malformed('multi-disk archive');
  let count = r.u16(end + 10);
  let cdSize = r.u32(end + 12);
  let cdOffset = r.u32(end + 16);
  let recordStart = end;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locator = end - 20;
    if (locator < 0 || r.u32(locator) !== ZIP64_LOCATOR) throw new Malformed('ZIP64 values without a ZIP64 locator');
    const record = r.u64(locator + 8);
    if (r.u32(record) !== ZIP64_EOCD) throw new Malformed('no ZIP64 end of central directory');
    count = r.u64(record + 32);
    cdSize = r.u64(record + 40);
    cdOffset = r.u64(record + 48);
    recordStart = record;
  }
  // Leading data (a self-extractor's stub) moves every offset by the same amount: the directory ends where the end record starts.
  const shift = recordStart - cdSize - cdOffset;
  if (shift < 0) throw new Malformed('central directory overlaps its end record');
  const entries: ZipEntry[] = [];
  let at = cdOffset + shift;
  const listed = Math.min(count, maxEntries);
  for (let i = 0; i < listed; i++) {
    if (r.u32(at) !== CENTRAL) throw new Malformed(`no central directory header at ${at}`);
    const flags = r.u16(at + 8);
    const method = r.u16(at + 10);
    let compressedSize = r.u32(at + 20);
    let size = r.u32(at + 24);
    const nameLength = r.u16(at + 28);
    const extraLength = r.u16(at + 30);
    const commentLength = r.u16(at + 32);
    let localOffset = r.u32(at + 42);
    const nameBytes = r.bytes(at + CENTRAL_SIZE, nameLength);
    const name = flags & 0x800 ? nameBytes.toString('utf8') : nameBytes.toString('latin1');
    const extra = r.bytes(at + CENTRAL_SIZE + nameLength, extraLength);
    ({ size, compressedSize, localOffset } = zip64Fields(extra, { size, compressedSize, localOffset }));
    entries.push({ name, encrypted: (flags & 1) === 1, method, compressedSize, size, localOffset: localOffset + shift, directory: name.endsWith('/') });
    at += CENTRAL_SIZE + nameLength + extraLength + commentLength;
  }
  return { ok: true, entries, truncated: count > listed };
}

/** The ZIP64 extra field (0x0001) holds, in this order, the sizes and offset whose 32-bit fields are all ones. */
function zip64Fields(extra: Buffer, fields: { size: number; compressedSize: number; localOffset: number }) {
  const r = reader(extra);
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = r.u16(at);
    const length = r.u16(at + 2);
    if (id === 0x0001) {
      let p = at + 4;
      const next = () => {
        if (p + 8 > at + 4 + length) throw new Malformed('short ZIP64 extra field');
        const v = r.u64(p);
        p += 8;
        return v;
      };
      const out = { ...fields };
      if (fields.size === 0xffffffff) out.size = next();
      if (fields.compressedSize === 0xffffffff) out.compressedSize = next();
      if (fields.localOffset === 0xffffffff) out.localOffset = next();
      return out;
    }
    at += 4 + length;
  }
  return fields;
}

/** Its first headBytes, inflating only its first headInput compressed octets (at most maxOutput), or all of it (at most maxOutput). */
export type MemberWant = { head: true; headBytes: number; headInput: number; maxOutput: number } | { head: false; maxOutput: number };

/** A member's content as `want` says; an error for encrypted members, other methods, lying headers and bombs. */
export function readMember(zip: Buffer, entry: ZipEntry, want: MemberWant): { ok: true; data: Buffer } | { ok: false; detail: string } {
  if (entry.encrypted) return { ok: false, detail: 'encrypted' };
  if (entry.method !== 0 && entry.method !== 8) return { ok: false, detail: `compression method ${entry.method}` };
  if (!want.head && entry.size > want.maxOutput) return { ok: false, detail: `${entry.size} octets when inflated` };
  try {
    const r = reader(zip);
    if (r.u32(entry.localOffset) !== LOCAL) throw new Malformed('no local header');
    const start = entry.localOffset + LOCAL_SIZE + r.u16(entry.localOffset + 26) + r.u16(entry.localOffset + 28);
    // A head takes what there is: a size that lies only matters to a whole read.
    const available = (n: number) => (want.head ? Math.min(n, Math.max(0, zip.length - start)) : n);
    if (entry.method === 0) return { ok: true, data: r.bytes(start, available(Math.min(entry.compressedSize, want.head ? want.headBytes : want.maxOutput))) };
    if (!want.head) return { ok: true, data: inflateRawSync(r.bytes(start, entry.compressedSize), { maxOutputLength: want.maxOutput }) };
    // A head is a cut deflate stream: a sync flush gives what the octets so far decode to.
    const cut = r.bytes(start, available(Math.min(entry.compressedSize, want.headInput)));
    const head = inflateRawSync(cut, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: want.maxOutput });
    return { ok: true, data: head.subarray(0, want.headBytes) };
  } catch (err) {
    if (err instanceof RangeError) return { ok: false, detail: `inflates to more than ${want.maxOutput} octets` };
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}
