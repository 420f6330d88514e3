/*
 * The DNS wire codec of the wire client: a query in bytes, and a
 * response's bytes checked against that query and reduced to what the
 * client decides on. Pure: bytes in, values out; no sockets or clocks.
 *
 * A query asks for recursion (RD), asks the resolver to report DNSSEC
 * validation (AD, RFC 6840 section 5.7) and carries an EDNS0 OPT record
 * with the DO bit and a 1232-octet UDP payload size (RFC 6891, RFC 3225).
 *
 * A response is ours only when its ID, QR bit, opcode and question (name
 * case-insensitively, type and class exactly) are those of the query; any
 * other packet is a `mismatch`, which the transport ignores. This file
 * frames the message itself (header, question, every record's RDLENGTH)
 * and hands single records to dns-packet's record decoder, checking that
 * the decoder consumed exactly RDLENGTH octets: dns-packet's decoders for
 * A, AAAA, MX, CNAME and others read a fixed or self-delimited length and
 * ignore RDLENGTH, so without this a hostile record could shift the
 * records after it. Only the records the client uses are decoded (those
 * of the asked type and CNAMEs in the answer section, SOAs in the
 * authority section, the OPT record); signatures and NSEC records are
 * framed and skipped.
 *
 * Exports: encodeQuery, readResponse, nameProblem, QueryType, RecordData,
 * WireRecord, WireResponse, ReadResult.
 * Security: reads untrusted bytes from the network. Every length is
 * checked against the buffer before use; the record count is bounded
 * (MAX_RESPONSE_RECORDS); name compression pointers only point backwards
 * (dns-packet refuses others), so decoding terminates.
 * Standards: RFC 1035 sections 4.1 and 3.1 (message format, names), RFC
 * 2181 section 8 (a TTL with the top bit set is 0), RFC 6891 (EDNS0,
 * extended RCODE), RFC 3225 (DO), RFC 6840 section 5.7 (AD in queries).
 */
import dnsPacket, { type Answer, type OptAnswer, type RecordType } from 'dns-packet';
import { EDNS_UDP_PAYLOAD, MAX_RESPONSE_RECORDS } from './limits.js';

/** Types the client may ask for: every record type but the meta-types. */
export type QueryType = Exclude<RecordType, 'OPT' | 'AXFR' | 'IXFR' | 'TKEY' | 'TSIG'>;

/** What dns-packet decodes a record of type T into (MxData for 'MX', string for 'A', ...). */
export type RecordData<T extends QueryType> = Answer extends infer A
  ? A extends { type: infer U; data: infer D }
    ? T extends U
      ? D
      : never
    : never
  : never;

/** One decoded record: owner name (no trailing dot), type, TTL in seconds, data as dns-packet decodes it. */
export interface WireRecord {
  name: string;
  type: string;
  ttl: number;
  data: unknown;
}

export interface WireResponse {
  id: number;
  /** The full RCODE: the header's four bits and the OPT record's extended bits. */
  rcode: number;
  rcodeName: string;
  truncated: boolean;
  /** The AD bit. */
  authenticated: boolean;
  /** Answer-section records of class IN that are of the asked type or CNAMEs. */
  answers: WireRecord[];
  /** The authority section's SOA, for negative caching. */
  soa?: { ttl: number; minimum: number };
  /** The authority section holds NS records and no SOA: a referral, not an answer. */
  referral: boolean;
}

export type ReadResult =
  | { kind: 'response'; response: WireResponse }
  /** Not an answer to this query (another ID or question): ignore it. */
  | { kind: 'mismatch'; reason: string }
  /** An answer to this query that cannot be read. */
  | { kind: 'malformed'; reason: string };

const HEADER_BYTES = 12;
const MAX_NAME_OCTETS = 253;
const MAX_LABEL_OCTETS = 63;
const TYPE_CNAME = 5;
const TYPE_SOA = 6;
const TYPE_NS = 2;
const TYPE_OPT = 41;
const CLASS_IN = 1;
const FLAG_QR = 0x8000;
const OPCODE_MASK = 0x7800;
const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 16: 'BADVERS',
};

interface RecordCodec {
  decode: ((buf: Buffer, offset: number) => Answer) & { bytes: number };
}
/** dns-packet's single-record decoder (`exports.answer` in its index.js; absent from its type declarations). */
const recordCodec = (dnsPacket as unknown as { answer?: RecordCodec }).answer;
if (typeof recordCodec?.decode !== 'function') throw new Error('dns-packet has no record decoder (exports.answer): an incompatible version is installed');

/** Why `name` cannot be asked (empty or long labels, a long name, octets outside printable ASCII), or undefined. */
export function nameProblem(name: string): string | undefined {
  if (name === '.') return undefined;
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (!/^[\x21-\x7e]+$/.test(bare)) return 'not a DNS name in printable ASCII (A-labels)';
  if (bare.length > MAX_NAME_OCTETS) return `longer than ${MAX_NAME_OCTETS} octets`;
  if (bare.split('.').some((label) => label.length === 0 || label.length > MAX_LABEL_OCTETS)) return `a label is empty or longer than ${MAX_LABEL_OCTETS} octets`;
  return undefined;
}

/** A query for (name, type, IN) with RD and AD set and an EDNS0 OPT record with DO. name must pass nameProblem. */
export function encodeQuery(id: number, name: string, type: QueryType): Buffer {
  const opt: OptAnswer = {
    type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_PAYLOAD, extendedRcode: 0, ednsVersion: 0,
    flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [],
  };
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
    questions: [{ name, type, class: 'IN' }],
    additionals: [opt],
  });
}

/** Offset just past the (possibly compressed) name at offset, or -1 when it runs off the buffer or uses a reserved label type. */
function skipName(buf: Buffer, offset: number): number {
  const start = offset;
  while (offset < buf.length && offset - start <= MAX_NAME_OCTETS + 2) {
    const len = buf[offset]!;
    if (len === 0) return offset + 1;
    if ((len & 0xc0) === 0xc0) return offset + 2 <= buf.length ? offset + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    offset += 1 + len;
  }
  return -1;
}

const lower = (byte: number) => (byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte);

/** The response's question equals the query's: the name octets compared case-insensitively, then type and class exactly. */
function sameQuestion(response: Buffer, query: Buffer, questionEnd: number): boolean {
  if (response.length < questionEnd) return false;
  const nameEnd = questionEnd - 4;
  for (let i = HEADER_BYTES; i < nameEnd; i++) if (lower(response[i]!) !== lower(query[i]!)) return false;
  return response.compare(query, nameEnd, questionEnd, nameEnd, questionEnd) === 0;
}

/** RFC 2181 section 8: a TTL with the most significant bit set is treated as zero. */
const ttlOf = (raw: number) => (raw > 0x7fffffff ? 0 : raw);

interface Frame {
  section: 'answer' | 'authority' | 'additional';
  start: number;
  end: number;
  type: number;
  klass: number;
  ttl: number;
}

/** Every record's position, type, class and TTL, or why the records do not fit the message. */
function frameRecords(buf: Buffer, offset: number, counts: [number, number, number]): Frame[] | string {
  const frames: Frame[] = [];
  const sections = ['answer', 'authority', 'additional'] as const;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s]!; i++) {
      const nameEnd = skipName(buf, offset);
      if (nameEnd < 0 || nameEnd + 10 > buf.length) return `record ${frames.length + 1} runs past the end of the message`;
      const end = nameEnd + 10 + buf.readUInt16BE(nameEnd + 8);
      if (end > buf.length) return `record ${frames.length + 1}'s RDLENGTH runs past the end of the message`;
      frames.push({
        section: sections[s]!, start: offset, end,
        type: buf.readUInt16BE(nameEnd), klass: buf.readUInt16BE(nameEnd + 2), ttl: ttlOf(buf.readUInt32BE(nameEnd + 4)),
      });
      offset = end;
    }
  }
  return frames;
}

/** One record decoded by dns-packet, refused unless the decoder consumed exactly the record's octets. */
function decodeRecord(buf: Buffer, frame: Frame): WireRecord | string {
  try {
    const answer = recordCodec!.decode(buf, frame.start);
    if (recordCodec!.decode.bytes !== frame.end - frame.start) return `a ${answer.type} record's data does not fill its RDLENGTH`;
    return { name: answer.name, type: answer.type, ttl: frame.ttl, data: (answer as { data?: unknown }).data };
  } catch (err) {
    return `a record cannot be decoded (${err instanceof Error ? err.message : String(err)})`;
  }
}

/** The OPT record's extended RCODE bits (RFC 6891 section 6.1.3), or why the OPT records are wrong. */
function extendedRcode(frames: Frame[]): number | string {
  const opts = frames.filter((f) => f.type === TYPE_OPT);
  if (opts.length > 1) return 'more than one OPT record';
  const opt = opts[0];
  if (opt && opt.section !== 'additional') return 'an OPT record outside the additional section';
  return opt ? opt.ttl >>> 24 : 0;
}

/** Reads `buf` as the answer to `query` (the bytes encodeQuery made, whose question and ID it must echo). */
export function readResponse(buf: Buffer, query: Buffer): ReadResult {
  if (buf.length < HEADER_BYTES) return { kind: 'mismatch', reason: 'shorter than a DNS header' };
  if (buf.readUInt16BE(0) !== query.readUInt16BE(0)) return { kind: 'mismatch', reason: 'another message ID' };
  const flags = buf.readUInt16BE(2);
  if ((flags & FLAG_QR) === 0 || (flags & OPCODE_MASK) !== 0) return { kind: 'mismatch', reason: 'not a response to a standard query' };
  const questionEnd = skipName(query, HEADER_BYTES) + 4;
  if (buf.readUInt16BE(4) !== 1 || !sameQuestion(buf, query, questionEnd)) return { kind: 'mismatch', reason: 'another question' };
  const counts: [number, number, number] = [buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
  if (counts[0] + counts[1] + counts[2] > MAX_RESPONSE_RECORDS) return { kind: 'malformed', reason: `more than ${MAX_RESPONSE_RECORDS} records` };
  const frames = frameRecords(buf, questionEnd, counts);
  if (typeof frames === 'string') return { kind: 'malformed', reason: frames };
  const extended = extendedRcode(frames);
  if (typeof extended === 'string') return { kind: 'malformed', reason: extended };

  const qtype = query.readUInt16BE(questionEnd - 4);
  const answers: WireRecord[] = [];
  let soa: WireResponse['soa'];
  let ns = false;
  for (const frame of frames) {
    if (frame.klass !== CLASS_IN && frame.type !== TYPE_OPT) continue;
    const wanted = frame.section === 'answer' && (frame.type === qtype || frame.type === TYPE_CNAME);
    const isSoa = frame.section === 'authority' && frame.type === TYPE_SOA;
    if (frame.section === 'authority' && frame.type === TYPE_NS) ns = true;
    if (!wanted && !isSoa) continue;
    const record = decodeRecord(buf, frame);
    if (typeof record === 'string') return { kind: 'malformed', reason: record };
    if (wanted) answers.push(record);
    else if (!soa) soa = { ttl: record.ttl, minimum: ttlOf((record.data as { minimum?: number }).minimum ?? 0) };
  }
  const rcode = (extended << 4) | (flags & 0x0f);
  return {
    kind: 'response',
    response: {
      id: buf.readUInt16BE(0),
      rcode,
      rcodeName: RCODE_NAMES[rcode] ?? `RCODE ${rcode}`,
      truncated: (flags & dnsPacket.TRUNCATED_RESPONSE) !== 0,
      authenticated: (flags & dnsPacket.AUTHENTIC_DATA) !== 0,
      answers,
      ...(soa ? { soa } : {}),
      referral: ns && !soa,
    },
  };
}
