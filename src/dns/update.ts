/*
 * DNS dynamic updates (RFC 2136) signed with TSIG (RFC 8945): how ACME's
 * DNS-01 challenge puts `_acme-challenge.<name>` TXT records into the
 * operator's zone and takes them out again, and generally how Petrel adds
 * or deletes any record dns-packet can encode, on the one server the
 * operator names (`[acme.dns_update] server`, its primary).
 *
 * Three layers, pure first:
 * - the codec: an UPDATE message (zone section, no prerequisites, update
 *   section) framed here, because dns-packet has neither class NONE nor
 *   an empty RDATA for "delete an RRset" (it does take the opcode in the
 *   header flags, and encodes each record's RDATA, which we use);
 * - TSIG: the MAC over request MAC, message and TSIG variables (RFC 8945
 *   section 4.3), the TSIG record appended, and a signed answer verified;
 *   dns-packet knows the TSIG type code but not its RDATA, so that is
 *   encoded and read here;
 * - the exchange: over TCP (default), or UDP with TCP after a truncated
 *   answer; the zone found by asking the server for the SOA, walking up
 *   from the name; the reply mapped to a DnsUpdateError naming the RCODE
 *   or TSIG error and what it means for the operator.
 *
 * An answer counts only if it carries a TSIG record that verifies with our
 * key over our request's MAC, within the fudge. An unsigned answer (no
 * TSIG, or the empty MAC a server sends when it could not check ours,
 * BADSIG or BADKEY), or one whose TSIG does not verify, is never success.
 * Over UDP, where it may be forged, the wait goes on for a signed one, and
 * at the timeout its RCODE is reported as unauthenticated; over TCP the
 * one answer decides, reported the same way.
 *
 * Exports: DnsUpdater, DnsUpdaterOptions, dnsUpdaterFromConfig,
 * DnsUpdateError, DnsUpdateErrorCode, parseTsigKey, TsigKey,
 * TsigAlgorithm, TsigFields, UpdateOperation, UpdateRecord, encodeUpdate,
 * appendTsig, computeTsigMac, verifyTsig, TsigVerification, ParsedTsig,
 * readUpdateReply, UpdateReply, updateOutcome, RCODE_NAMES,
 * TSIG_FUDGE_SECONDS. DnsUpdater has the shape of tls/acme's
 * Dns01Publisher (addTxt, removeTxt).
 *
 * Security: the TSIG secret is a credential: it is held as bytes, never
 * logged, and only ever used as an HMAC key. Replies come from the
 * network: lengths are checked before use, records are bounded
 * (MAX_RESPONSE_RECORDS), a TCP reply is at most MAX_MESSAGE_BYTES, every
 * exchange is bounded by its timeout, and MACs are compared in constant
 * time. Names sent are checked (nameProblem); updates go only to the
 * configured server.
 * Standards: RFC 2136 (sections 2.2 header and RCODEs, 2.3 zone, 2.5.1
 * add, 2.5.2 delete an RRset, 2.5.3 delete a name, 2.5.4 delete one RR),
 * RFC 8945 (4.2 TSIG record, 4.3.1 request MAC, 4.3.2 DNS message, 4.3.3
 * TSIG variables, 5.1 signing requests, 5.3.2 unsigned error answers, 5.4
 * client processing: unsigned or invalid answers are not acceptable, 5.4.3
 * time checks; 6 algorithm names hmac-sha256 and hmac-sha512), RFC 4034
 * section 6.2 (canonical names in the MAC), RFC 1035 4.2 (TCP framing),
 * RFC 7766 (TCP). Deviation: a MAC truncated by the server (RFC 8945
 * 5.2.2.1) is refused; we never truncate ours.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket, { type Answer, type OptAnswer } from 'dns-packet';
import { systemClock, type Clock } from '../core/clock.js';
import { MAX_MESSAGE_BYTES, MAX_RESPONSE_RECORDS } from './limits.js';
import { WireDnsClient } from './wire-client.js';
import { nameProblem, type QueryType } from './wire-codec.js';
import { parseServer, type ServerAddress } from './wire-transport.js';

/** RFC 8945 section 10 recommends 300 seconds: clocks of the client and the server may differ this much. */
export const TSIG_FUDGE_SECONDS = 300;

/** Longest wait for one server's answer, per exchange, unless the caller says otherwise. */
const DEFAULT_TIMEOUT_MS = 5_000;

/** An UPDATE larger than this goes over TCP: we send no EDNS0, so a UDP answer to it is limited to 512 octets too (RFC 1035 4.2.1). */
const MAX_UDP_UPDATE_BYTES = 512;

/** Parents asked for the SOA when looking for a name's zone: a DNS name has at most 127 labels. */
const MAX_ZONE_SEARCH_STEPS = 127;

const HEADER_BYTES = 12;
const OPCODE_UPDATE = 5;
const TYPE_SOA = 6;
const TYPE_TSIG = 250;
const TYPE_ANY = 255;
const CLASS_IN = 1;
const CLASS_NONE = 254;
const CLASS_ANY = 255;
const FLAG_QR = 0x8000;
const FLAG_TC = 0x0200;
const MAX_TTL = 0x7fffffff;
const MAX_TXT_STRING_OCTETS = 255;

/** RCODEs of RFC 1035, RFC 2136 section 2.2 and the TSIG errors of RFC 8945 section 3 (IANA DNS RCODEs). */
export const RCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 6: 'YXDOMAIN', 7: 'YXRRSET',
  8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE', 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 19: 'BADMODE', 20: 'BADNAME',
  21: 'BADALG', 22: 'BADTRUNC', 23: 'BADCOOKIE',
};

// ---------------------------------------------------------------- keys

export type TsigAlgorithm = 'hmac-sha256' | 'hmac-sha512';

/** Algorithm names on the wire (RFC 8945 section 6) and their digests. */
const ALGORITHMS: Record<TsigAlgorithm, { hash: 'sha256' | 'sha512'; macBytes: number }> = {
  'hmac-sha256': { hash: 'sha256', macBytes: 32 },
  'hmac-sha512': { hash: 'sha512', macBytes: 64 },
};

export interface TsigKey {
  /** The key's name as the server's configuration has it ("petrel-acme"). */
  name: string;
  algorithm: TsigAlgorithm;
  secret: Buffer;
}

/** A key from its configuration text; throws a RangeError naming what is wrong (never the secret). */
export function parseTsigKey(name: string, algorithm: string, secretBase64: string): TsigKey {
  const problem = name === '' || name === '.' ? 'it is empty' : nameProblem(name);
  if (problem) throw new RangeError(`TSIG key name "${name}" is not a DNS name: ${problem}`);
  if (!(algorithm in ALGORITHMS)) throw new RangeError(`TSIG algorithm "${algorithm}" is not hmac-sha256 or hmac-sha512`);
  const text = secretBase64.replace(/\s+/g, '');
  if (text === '' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new RangeError(`TSIG key ${name}: the secret is not base64`);
  return { name: bare(name), algorithm: algorithm as TsigAlgorithm, secret: Buffer.from(text, 'base64') };
}

// ---------------------------------------------------------------- codec

/** A record as dns-packet encodes it (`data` in dns-packet's form for `type`: a string for A, TxtData for TXT, Buffer for types it does not know). */
export type UpdateRecord = Exclude<Answer, OptAnswer> extends infer R
  ? R extends { type: infer T; data: infer D }
    ? T extends QueryType
      ? { name: string; type: T; ttl?: number; data: D }
      : never
    : never
  : never;

/** The operations of RFC 2136 section 2.5. */
export type UpdateOperation =
  /** 2.5.1: add the record to its RRset (a duplicate is ignored by the server). */
  | { kind: 'add'; record: UpdateRecord }
  /** 2.5.4: delete this one record (class NONE; the TTL is not sent). */
  | { kind: 'delete'; record: UpdateRecord }
  /** 2.5.2: delete every record of this type at this name. */
  | { kind: 'delete-rrset'; name: string; type: QueryType }
  /** 2.5.3: delete every record at this name. */
  | { kind: 'delete-name'; name: string };

interface AnswerCodec {
  encode: ((a: Answer) => Buffer) & { bytes: number };
}
/** dns-packet's single-record encoder (`exports.answer`; absent from its type declarations, used by wire-codec.ts too). */
const answerCodec = (dnsPacket as unknown as { answer?: AnswerCodec }).answer;
if (typeof answerCodec?.encode !== 'function') throw new Error('dns-packet has no record encoder (exports.answer): an incompatible version is installed');

const bare = (name: string): string => (name.length > 1 && name.endsWith('.') ? name.slice(0, -1) : name);
const sameName = (a: string, b: string): boolean => bare(a).toLowerCase() === bare(b).toLowerCase();

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}

/** 48-bit seconds (TSIG Time Signed). */
function u48(value: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(value, 0, 6);
  return b;
}

/** A name in uncompressed wire format; throws on a name the DNS cannot hold. */
function encodeName(name: string): Buffer {
  const problem = nameProblem(name);
  if (problem) throw new RangeError(`"${name}" is not a DNS name: ${problem}`);
  const labels = name === '.' ? [] : bare(name).split('.');
  return Buffer.concat([...labels.flatMap((label) => [Buffer.from([label.length]), Buffer.from(label, 'ascii')]), Buffer.from([0])]);
}

/** RFC 4034 section 6.2: uncompressed, upper case letters made lower case. */
const canonicalName = (name: string): Buffer => encodeName(name.toLowerCase());

/** A type's code, as dns-packet knows it (its encoder writes 0 for an unknown type name). */
function typeCode(type: string): number {
  const packet = dnsPacket.encode({ type: 'query', id: 0, questions: [{ name: '.', type: type as QueryType, class: 'IN' }] });
  const code = packet.readUInt16BE(HEADER_BYTES + 1);
  if (code === 0 || code === TYPE_TSIG || code === 41) throw new RangeError(`record type ${type} cannot be updated`);
  return code;
}

/** The RDATA of a record (without its length), encoded by dns-packet. */
function rdataOf(record: UpdateRecord): Buffer {
  let data: unknown = record.data;
  if (record.type === 'TXT') {
    const parts = (Array.isArray(data) ? data : [data]) as (string | Buffer)[];
    // dns-packet writes a string's length in one octet without checking it (and changes the array it is given).
    for (const part of parts) {
      if (Buffer.byteLength(part) > MAX_TXT_STRING_OCTETS) throw new RangeError(`a TXT character-string of ${record.name} is longer than ${MAX_TXT_STRING_OCTETS} octets`);
    }
    data = parts.map((p) => Buffer.from(p));
  }
  const encoded = answerCodec!.encode({ name: '.', type: record.type, class: 'IN', ttl: 0, data } as Answer);
  const length = encoded.readUInt16BE(9);
  if (encoded.length !== 11 + length) throw new RangeError(`the ${record.type} record of ${record.name} does not encode`);
  return Buffer.from(encoded.subarray(11));
}

function resourceRecord(name: Buffer, type: number, klass: number, ttl: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(klass, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([name, fixed, rdata]);
}

function encodeOperation(op: UpdateOperation): Buffer {
  switch (op.kind) {
    case 'add': {
      const ttl = op.record.ttl ?? 0;
      if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL) throw new RangeError(`TTL ${ttl} of ${op.record.name} is not in 0..${MAX_TTL}`);
      return resourceRecord(encodeName(op.record.name), typeCode(op.record.type), CLASS_IN, ttl, rdataOf(op.record));
    }
    case 'delete':
      return resourceRecord(encodeName(op.record.name), typeCode(op.record.type), CLASS_NONE, 0, rdataOf(op.record));
    case 'delete-rrset':
      return resourceRecord(encodeName(op.name), typeCode(op.type), CLASS_ANY, 0, Buffer.alloc(0));
    case 'delete-name':
      return resourceRecord(encodeName(op.name), TYPE_ANY, CLASS_ANY, 0, Buffer.alloc(0));
  }
}

/**
 * An UPDATE message (RFC 2136 section 2): opcode UPDATE, the zone section
 * (zone, SOA, IN), no prerequisites, the operations in the update
 * section, an empty additional section (appendTsig adds the TSIG record).
 */
export function encodeUpdate(message: { id: number; zone: string; operations: readonly UpdateOperation[] }): Buffer {
  if (message.operations.length === 0) throw new RangeError('an update needs at least one operation');
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(message.id, 0);
  header.writeUInt16BE(OPCODE_UPDATE << 11, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(0, 6);
  header.writeUInt16BE(message.operations.length, 8);
  header.writeUInt16BE(0, 10);
  const zone = Buffer.concat([encodeName(message.zone), u16(TYPE_SOA), u16(CLASS_IN)]);
  return Buffer.concat([header, zone, ...message.operations.map(encodeOperation)]);
}

// ---------------------------------------------------------------- TSIG

/** The TSIG fields that enter the MAC besides the key's name and algorithm (RFC 8945 section 4.3.3). */
export interface TsigFields {
  /** Seconds since the epoch. */
  timeSigned: number;
  fudge: number;
  error: number;
  otherData: Buffer;
}

/** The TSIG variables of RFC 8945 section 4.3.3, in order: NAME, CLASS (ANY), TTL (0), Algorithm Name, Time Signed, Fudge, Error, Other Len, Other Data. */
function tsigVariables(key: TsigKey, fields: TsigFields): Buffer {
  return Buffer.concat([
    canonicalName(key.name), u16(CLASS_ANY), u32(0), canonicalName(key.algorithm),
    u48(fields.timeSigned), u16(fields.fudge), u16(fields.error), u16(fields.otherData.length), fields.otherData,
  ]);
}

/**
 * The MAC of RFC 8945 section 4.3: over the request's MAC (MAC Size and
 * MAC, section 4.3.1, only when signing or checking an answer), the
 * message as it was before its TSIG record (section 4.3.2: ARCOUNT not
 * counting it, the original ID in the header), and the TSIG variables.
 */
export function computeTsigMac(key: TsigKey, message: Buffer, fields: TsigFields, requestMac?: Buffer): Buffer {
  const hmac = createHmac(ALGORITHMS[key.algorithm].hash, key.secret);
  if (requestMac) hmac.update(u16(requestMac.length)).update(requestMac);
  return hmac.update(message).update(tsigVariables(key, fields)).digest();
}

/** Signs `message` (RFC 8945 section 5.1): appends the TSIG record and counts it in ARCOUNT. Returns the signed bytes and the MAC (which the answer's MAC covers). */
export function appendTsig(message: Buffer, key: TsigKey, fields: TsigFields, requestMac?: Buffer): { message: Buffer; mac: Buffer } {
  const mac = computeTsigMac(key, message, fields, requestMac);
  const rdata = Buffer.concat([
    canonicalName(key.algorithm), u48(fields.timeSigned), u16(fields.fudge), u16(mac.length), mac,
    u16(message.readUInt16BE(0)), u16(fields.error), u16(fields.otherData.length), fields.otherData,
  ]);
  const signed = Buffer.concat([message, resourceRecord(canonicalName(key.name), TYPE_TSIG, CLASS_ANY, 0, rdata)]);
  signed.writeUInt16BE(signed.readUInt16BE(10) + 1, 10);
  return { message: signed, mac };
}

/** A TSIG record read from a message. */
export interface ParsedTsig extends TsigFields {
  keyName: string;
  algorithm: string;
  mac: Buffer;
  originalId: number;
  /** Offset of the TSIG record in the message. */
  start: number;
}

export type TsigVerification =
  /** The MAC verifies with our key (and, unless the answer reports a TSIG error, the time is within the fudge). */
  | { kind: 'verified'; tsig: ParsedTsig }
  /** No TSIG record, or one with an empty MAC (RFC 8945 5.3.2: what a server sends when it could not check ours). */
  | { kind: 'unsigned'; reason: string; tsig?: ParsedTsig }
  /** A TSIG record that does not verify: another key or algorithm, a wrong or truncated MAC, a stale time, bad framing. */
  | { kind: 'invalid'; reason: string };

interface Frame {
  start: number;
  end: number;
  type: number;
  klass: number;
  ttl: number;
  rdataStart: number;
}

/** Offset just past the (possibly compressed) name at offset, or -1. */
function skipName(buf: Buffer, offset: number): number {
  for (let steps = 0; offset < buf.length && steps < 128; steps++) {
    const len = buf[offset]!;
    if (len === 0) return offset + 1;
    if ((len & 0xc0) === 0xc0) return offset + 2 <= buf.length ? offset + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    offset += 1 + len;
  }
  return -1;
}

/** The header counts and every record's frame, or why the message does not hold together. */
function frameMessage(buf: Buffer): { counts: number[]; frames: Frame[] } | string {
  if (buf.length < HEADER_BYTES) return 'shorter than a DNS header';
  const counts = [4, 6, 8, 10].map((at) => buf.readUInt16BE(at));
  if (counts[1]! + counts[2]! + counts[3]! > MAX_RESPONSE_RECORDS || counts[0]! > 1) return 'too many records';
  let offset = HEADER_BYTES;
  for (let i = 0; i < counts[0]!; i++) {
    const end = skipName(buf, offset);
    if (end < 0 || end + 4 > buf.length) return 'the zone section runs past the end';
    offset = end + 4;
  }
  const frames: Frame[] = [];
  const total = counts[1]! + counts[2]! + counts[3]!;
  for (let i = 0; i < total; i++) {
    const nameEnd = skipName(buf, offset);
    if (nameEnd < 0 || nameEnd + 10 > buf.length) return `record ${i + 1} runs past the end`;
    const end = nameEnd + 10 + buf.readUInt16BE(nameEnd + 8);
    if (end > buf.length) return `record ${i + 1}'s RDLENGTH runs past the end`;
    frames.push({ start: offset, end, type: buf.readUInt16BE(nameEnd), klass: buf.readUInt16BE(nameEnd + 2), ttl: buf.readUInt32BE(nameEnd + 4), rdataStart: nameEnd + 10 });
    offset = end;
  }
  if (offset !== buf.length) return 'octets after the last record';
  return { counts, frames };
}

/** An uncompressed name inside RDATA (RFC 8945 4.2: the algorithm name is never compressed). */
function readPlainName(buf: Buffer, offset: number, end: number): { name: string; next: number } | undefined {
  const labels: string[] = [];
  while (offset < end) {
    const len = buf[offset]!;
    if (len === 0) return { name: labels.length ? labels.join('.') : '.', next: offset + 1 };
    if (len > 63 || offset + 1 + len > end) return undefined;
    labels.push(buf.toString('latin1', offset + 1, offset + 1 + len));
    offset += 1 + len;
  }
  return undefined;
}

function parseTsig(buf: Buffer, frame: Frame): ParsedTsig | string {
  let owner: string;
  try {
    owner = (dnsPacket as unknown as { name: { decode(b: Buffer, o: number): string } }).name.decode(buf, frame.start);
  } catch {
    return 'the TSIG owner name cannot be read';
  }
  if (frame.klass !== CLASS_ANY || frame.ttl !== 0) return 'the TSIG record is not of class ANY with TTL 0';
  const alg = readPlainName(buf, frame.rdataStart, frame.end);
  if (!alg) return 'the TSIG algorithm name cannot be read';
  let at = alg.next;
  if (at + 10 > frame.end) return 'the TSIG record is too short';
  const timeSigned = buf.readUIntBE(at, 6);
  const fudge = buf.readUInt16BE(at + 6);
  const macSize = buf.readUInt16BE(at + 8);
  at += 10;
  if (at + macSize + 6 > frame.end) return 'the TSIG MAC runs past the record';
  const mac = Buffer.from(buf.subarray(at, at + macSize));
  at += macSize;
  const originalId = buf.readUInt16BE(at);
  const error = buf.readUInt16BE(at + 2);
  const otherLen = buf.readUInt16BE(at + 4);
  at += 6;
  if (at + otherLen !== frame.end) return 'the TSIG Other Data does not fill the record';
  const otherData = Buffer.from(buf.subarray(at, at + otherLen));
  return { keyName: bare(owner), algorithm: bare(alg.name).toLowerCase(), timeSigned, fudge, mac, originalId, error, otherData, start: frame.start };
}

/**
 * Checks the TSIG record of a message with `key` (RFC 8945 section 5.4
 * for answers, where `requestMac` is our request's MAC; 5.2 for requests,
 * without it). The TSIG record must be the last record, alone, and MAC
 * Size must be the algorithm's full length.
 */
export function verifyTsig(message: Buffer, key: TsigKey, options: { requestMac?: Buffer; nowSeconds: number }): TsigVerification {
  const framed = frameMessage(message);
  if (typeof framed === 'string') return { kind: 'invalid', reason: framed };
  const { frames, counts } = framed;
  const tsigs = frames.filter((f) => f.type === TYPE_TSIG);
  if (tsigs.length === 0) return { kind: 'unsigned', reason: 'the answer has no TSIG record' };
  const last = frames[frames.length - 1]!;
  if (tsigs.length > 1 || last.type !== TYPE_TSIG || counts[3] === 0) return { kind: 'invalid', reason: 'the TSIG record is not the last record of the additional section' };
  const tsig = parseTsig(message, last);
  if (typeof tsig === 'string') return { kind: 'invalid', reason: tsig };
  if (!sameName(tsig.keyName, key.name)) return { kind: 'invalid', reason: `signed with key ${tsig.keyName}, not ${key.name}` };
  if (tsig.algorithm !== key.algorithm) return { kind: 'invalid', reason: `signed with ${tsig.algorithm}, not ${key.algorithm}` };
  if (tsig.mac.length === 0) return { kind: 'unsigned', reason: `the TSIG record has no MAC (TSIG error ${RCODE_NAMES[tsig.error] ?? tsig.error})`, tsig };
  if (tsig.mac.length !== ALGORITHMS[key.algorithm].macBytes) return { kind: 'invalid', reason: `a MAC of ${tsig.mac.length} octets (truncated MACs are refused)` };
  const signedPart = Buffer.from(message.subarray(0, tsig.start));
  signedPart.writeUInt16BE(counts[3]! - 1, 10);
  signedPart.writeUInt16BE(tsig.originalId, 0);
  const expected = computeTsigMac(key, signedPart, tsig, options.requestMac);
  if (!timingSafeEqual(expected, tsig.mac)) return { kind: 'invalid', reason: 'the MAC does not verify with our key' };
  // A signed BADTIME answer carries our request's time and the server's in Other Data; only an answer that reports no TSIG error must be fresh.
  if (tsig.error === 0 && Math.abs(options.nowSeconds - tsig.timeSigned) > tsig.fudge) {
    return { kind: 'invalid', reason: `signed at ${tsig.timeSigned}, more than ${tsig.fudge} s from our clock (${options.nowSeconds})` };
  }
  return { kind: 'verified', tsig };
}

// ---------------------------------------------------------------- replies

export type UpdateReply =
  /** Not an answer to this request (another ID, not a response, another opcode): ignored over UDP. */
  | { kind: 'mismatch'; reason: string }
  | { kind: 'reply'; rcode: number; truncated: boolean; tsig: TsigVerification };

/** Reads `buf` as the answer to our UPDATE with this ID, whose MAC was `mac`. */
export function readUpdateReply(buf: Buffer, request: { id: number; mac: Buffer }, key: TsigKey, nowSeconds: number): UpdateReply {
  if (buf.length < HEADER_BYTES) return { kind: 'mismatch', reason: 'shorter than a DNS header' };
  if (buf.readUInt16BE(0) !== request.id) return { kind: 'mismatch', reason: 'another message ID' };
  const flags = buf.readUInt16BE(2);
  if ((flags & FLAG_QR) === 0 || ((flags >> 11) & 0xf) !== OPCODE_UPDATE) return { kind: 'mismatch', reason: 'not a response to an UPDATE' };
  const truncated = (flags & FLAG_TC) !== 0;
  const tsig = truncated ? ({ kind: 'unsigned', reason: 'truncated' } as const) : verifyTsig(buf, key, { requestMac: request.mac, nowSeconds });
  return { kind: 'reply', rcode: flags & 0xf, truncated, tsig };
}

export type DnsUpdateErrorCode =
  | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED' | 'YXDOMAIN' | 'YXRRSET' | 'NXRRSET' | 'NOTAUTH' | 'NOTZONE'
  | 'BADSIG' | 'BADKEY' | 'BADTIME' | 'BADTRUNC' | 'BADALG'
  /** An answer without a usable TSIG, or one whose TSIG does not verify: the outcome is unknown. */
  | 'UNSIGNED'
  /** No answer in time, or the connection failed. */
  | 'TIMEOUT' | 'NETWORK'
  /** The server's answer cannot be read. */
  | 'MALFORMED'
  /** No zone on the server holds the name. */
  | 'NOZONE'
  | 'OTHER';

const EXPLANATIONS: Partial<Record<DnsUpdateErrorCode, string>> = {
  FORMERR: 'the server could not read the update',
  SERVFAIL: 'the server failed to apply the update (try again later)',
  NOTIMP: 'the server does not implement dynamic updates',
  REFUSED: 'the server refused the update: its update-policy or allow-update does not grant this key this name and type',
  NOTAUTH: 'the server is not authoritative (primary) for the zone',
  NOTZONE: 'a name in the update is outside the zone',
  BADSIG: 'the server could not verify our TSIG signature: the key secret or algorithm differs from the server\'s',
  BADKEY: 'the server does not know this TSIG key (name or algorithm)',
  BADTIME: 'the server\'s clock and ours differ by more than the fudge: check NTP on both',
  BADTRUNC: 'the server refused the MAC length',
  BADALG: 'the server does not accept this TSIG algorithm',
};

const TEMPORARY: ReadonlySet<DnsUpdateErrorCode> = new Set(['SERVFAIL', 'TIMEOUT', 'NETWORK', 'UNSIGNED', 'BADTIME']);

/** A failed update: the RCODE or TSIG error, whether the answer was authenticated, and whether trying later may help. */
export class DnsUpdateError extends Error {
  readonly code: DnsUpdateErrorCode;
  /** The server's answer carried a valid TSIG (false: it may be forged, or there was none). */
  readonly authenticated: boolean;
  readonly temporary: boolean;

  constructor(code: DnsUpdateErrorCode, detail: string, authenticated: boolean) {
    super(detail);
    this.name = 'DnsUpdateError';
    this.code = code;
    this.authenticated = authenticated;
    this.temporary = TEMPORARY.has(code);
  }
}

const NAMED_CODES: ReadonlySet<string> = new Set([
  'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE', 'BADSIG', 'BADKEY', 'BADTIME', 'BADTRUNC', 'BADALG',
]);

const codeOf = (value: number): DnsUpdateErrorCode => {
  const name = RCODE_NAMES[value];
  return name !== undefined && NAMED_CODES.has(name) ? (name as DnsUpdateErrorCode) : 'OTHER';
};

/** What a reply means: success only for NOERROR with no TSIG error under a verified TSIG. */
export function updateOutcome(reply: Extract<UpdateReply, { kind: 'reply' }>, context: { zone: string; server: string; keyName: string }): { ok: true } | { ok: false; error: DnsUpdateError } {
  const { tsig, rcode } = reply;
  const at = `update of zone ${context.zone} at ${context.server} with key ${context.keyName}`;
  const tsigError = tsig.kind === 'invalid' ? 0 : (tsig.tsig?.error ?? 0);
  const value = tsigError !== 0 ? tsigError : rcode;
  if (tsig.kind === 'verified' && value === 0) return { ok: true };
  if (tsig.kind !== 'verified' && value === 0) {
    return { ok: false, error: new DnsUpdateError('UNSIGNED', `${at}: NOERROR, but the answer is not signed with our key (${tsig.reason}): whether the update was applied is unknown`, false) };
  }
  const code = codeOf(value);
  const name = RCODE_NAMES[value] ?? `RCODE ${value}`;
  const both = tsigError !== 0 && rcode !== 0 ? ` (RCODE ${RCODE_NAMES[rcode] ?? rcode})` : '';
  let detail = `${at}: ${name}${both}: ${EXPLANATIONS[code] ?? 'the server refused the update'}`;
  if (tsig.kind === 'verified') {
    if (code === 'BADTIME' && tsig.tsig.otherData.length === 6) detail += ` (server time ${new Date(tsig.tsig.otherData.readUIntBE(0, 6) * 1000).toISOString()})`;
  } else {
    detail += ` [unauthenticated answer: ${tsig.reason}]`;
  }
  return { ok: false, error: new DnsUpdateError(code, detail, tsig.kind === 'verified') };
}

// ---------------------------------------------------------------- transport

type Exchanged = { kind: 'reply'; reply: Extract<UpdateReply, { kind: 'reply' }> } | { kind: 'failed'; code: 'TIMEOUT' | 'NETWORK' | 'MALFORMED'; detail: string };

const errorText = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));

/** One length-prefixed message out, one in (RFC 1035 4.2.2), within timeoutMs. */
function overTcp(server: ServerAddress, message: Buffer, timeoutMs: number, read: (buf: Buffer) => UpdateReply): Promise<Exchanged> {
  return new Promise((resolve) => {
    const socket = connect({ host: server.host, port: server.port });
    let buffered = Buffer.alloc(0);
    let done = false;
    const finish = (result: Exchanged): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const fail = (code: 'TIMEOUT' | 'NETWORK' | 'MALFORMED', why: string): void => finish({ kind: 'failed', code, detail: `${why} (TCP ${server.label})` });
    const timer = setTimeout(() => fail('TIMEOUT', `no answer within ${timeoutMs} ms`), timeoutMs);
    socket.on('connect', () => socket.write(Buffer.concat([u16(message.length), message])));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (length === 0 || length > MAX_MESSAGE_BYTES) return fail('MALFORMED', `an answer of ${length} octets`);
      if (buffered.length < length + 2) return;
      const reply = read(buffered.subarray(2, length + 2));
      if (reply.kind === 'mismatch') return fail('MALFORMED', `an answer that does not answer the update: ${reply.reason}`);
      finish({ kind: 'reply', reply });
    });
    socket.on('error', (err) => fail('NETWORK', errorText(err)));
    socket.on('close', () => fail('NETWORK', 'connection closed before the answer'));
  });
}

/**
 * The update over UDP: the first answer that verifies (or is truncated)
 * ends the wait; unsigned or invalid ones are remembered and the wait goes
 * on (RFC 8945 5.4), and the last of them is the result at the timeout.
 */
function overUdp(server: ServerAddress, message: Buffer, timeoutMs: number, read: (buf: Buffer) => UpdateReply): Promise<Exchanged> {
  return new Promise((resolve) => {
    const socket = createSocket(server.family === 6 ? 'udp6' : 'udp4');
    let suspect: Extract<UpdateReply, { kind: 'reply' }> | undefined;
    let done = false;
    const finish = (result: Exchanged): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // closed after an error
      }
      resolve(result);
    };
    const timer = setTimeout(() => {
      finish(suspect ? { kind: 'reply', reply: suspect } : { kind: 'failed', code: 'TIMEOUT', detail: `no answer within ${timeoutMs} ms (UDP ${server.label})` });
    }, timeoutMs);
    socket.on('error', (err) => finish({ kind: 'failed', code: 'NETWORK', detail: `${errorText(err)} (UDP ${server.label})` }));
    socket.on('message', (datagram, remote) => {
      if (remote.port !== server.port || remote.address !== server.host) return;
      const reply = read(datagram);
      if (reply.kind === 'mismatch') return;
      if (reply.truncated || reply.tsig.kind === 'verified') return finish({ kind: 'reply', reply });
      suspect = reply;
    });
    socket.connect(server.port, server.host, () => {
      socket.send(message, (err) => {
        if (err) finish({ kind: 'failed', code: 'NETWORK', detail: `${errorText(err)} (UDP ${server.label})` });
      });
    });
  });
}

// ---------------------------------------------------------------- client

export interface DnsUpdaterOptions {
  /** The server that takes updates: "address", "address:port", "[v6]:port" (53 by default). */
  server: string;
  key: TsigKey;
  /** The zone every name belongs to; absent, each name's zone is found by asking the server for SOA records. */
  zone?: string;
  /** Per exchange (each SOA question, each update). Default 5 s. */
  timeoutMs?: number;
  /** 'tcp' (default), or 'udp' with TCP after a truncated answer (and for updates over 512 octets). */
  transport?: 'tcp' | 'udp';
  /** The clock TSIG's Time Signed comes from. */
  clock?: Clock;
  /** Message IDs (default: crypto's randomInt). */
  randomId?: () => number;
}

/** Adds and deletes records on one server with one TSIG key. */
export class DnsUpdater {
  readonly server: ServerAddress;
  private readonly key: TsigKey;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly resolver: WireDnsClient;

  constructor(private readonly options: DnsUpdaterOptions) {
    this.server = parseServer(options.server);
    this.key = options.key;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.clock = options.clock ?? systemClock;
    this.resolver = new WireDnsClient({ servers: [this.server.label], timeoutMs: this.timeoutMs, tries: 2 });
    if (options.zone !== undefined) encodeName(options.zone);
  }

  /** Sends one UPDATE for `zone`; resolves when the server answered NOERROR under a verified TSIG, throws DnsUpdateError otherwise. */
  async update(zone: string, operations: readonly UpdateOperation[]): Promise<void> {
    const id = (this.options.randomId ?? (() => randomInt(0x10000)))();
    const nowSeconds = () => Math.floor(this.clock.now() / 1000);
    const unsigned = encodeUpdate({ id, zone, operations });
    const { message, mac } = appendTsig(unsigned, this.key, { timeSigned: nowSeconds(), fudge: TSIG_FUDGE_SECONDS, error: 0, otherData: Buffer.alloc(0) });
    if (message.length > MAX_MESSAGE_BYTES) throw new RangeError(`an update of ${message.length} octets does not fit a DNS message`);
    const read = (buf: Buffer) => readUpdateReply(buf, { id, mac }, this.key, nowSeconds());
    let result: Exchanged;
    if (this.options.transport === 'udp' && message.length <= MAX_UDP_UPDATE_BYTES) {
      result = await overUdp(this.server, message, this.timeoutMs, read);
      if (result.kind === 'reply' && result.reply.truncated) result = await overTcp(this.server, message, this.timeoutMs, read);
    } else {
      result = await overTcp(this.server, message, this.timeoutMs, read);
    }
    const context = { zone: bare(zone), server: this.server.label, keyName: this.key.name };
    if (result.kind === 'failed') throw new DnsUpdateError(result.code, `update of zone ${context.zone} at ${context.server}: ${result.detail}`, false);
    if (result.reply.truncated) throw new DnsUpdateError('MALFORMED', `update of zone ${context.zone} at ${context.server}: a truncated answer over TCP`, false);
    const outcome = updateOutcome(result.reply, context);
    if (!outcome.ok) throw outcome.error;
  }

  /**
   * The zone holding `name`: the configured zone, or the nearest name at
   * or above it for which the server answers an SOA record. A server that
   * refuses the question holds no zone for it (BIND without recursion).
   */
  async zoneOf(name: string): Promise<string> {
    if (this.options.zone !== undefined) return bare(this.options.zone);
    let candidate = bare(name);
    for (let step = 0; step < MAX_ZONE_SEARCH_STEPS; step++) {
      const answer = await this.resolver.query(candidate, 'SOA');
      if (answer.ok) return candidate;
      if (answer.kind === 'temporary') throw new DnsUpdateError('NOZONE', `no zone for ${name} at ${this.server.label}: ${answer.detail}`, false);
      const dot = candidate.indexOf('.');
      if (dot < 0) break;
      candidate = candidate.slice(dot + 1);
    }
    throw new DnsUpdateError('NOZONE', `no zone for ${name} at ${this.server.label}: no SOA record at or above it`, false);
  }

  /** Adds a TXT record (to whatever TXT records the name has). */
  async addTxt(name: string, value: string, ttl: number): Promise<void> {
    await this.update(await this.zoneOf(name), [{ kind: 'add', record: { name, type: 'TXT', ttl, data: value } }]);
  }

  /** Deletes this one TXT record, leaving others at the name. */
  async removeTxt(name: string, value: string): Promise<void> {
    await this.update(await this.zoneOf(name), [{ kind: 'delete', record: { name, type: 'TXT', data: value } }]);
  }
}

/** The updater `[acme.dns_update]` describes; throws a RangeError naming the key that is missing or wrong. */
export function dnsUpdaterFromConfig(
  section: { server: string; key_name: string; key_secret: string; algorithm: TsigAlgorithm },
  options: Omit<DnsUpdaterOptions, 'server' | 'key'> = {},
): DnsUpdater {
  if (section.server === '') throw new RangeError('acme.dns_update.server is empty: DNS-01 needs the server that accepts updates');
  if (section.key_name === '' || section.key_secret === '') throw new RangeError('acme.dns_update.key_name and key_secret are needed: updates are always signed with TSIG');
  return new DnsUpdater({ ...options, server: section.server, key: parseTsigKey(section.key_name, section.algorithm, section.key_secret) });
}
