/*
 * RFC 2136 updates and TSIG on literal packets: the UPDATE message of each
 * operation byte for byte, the MAC and TSIG record of RFC 8945 section 4.3
 * recomputed here from the RFC's field list, answers verified or refused
 * (tampered, unsigned, signed by another key, stale, truncated MAC, TSIG
 * not last, another request's MAC), RCODEs and TSIG errors mapped, and a
 * UDP server that forges an unsigned NOERROR before (or instead of) the
 * signed answer. A real BIND is in test/e2e/dns-update.test.ts.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { after, describe, it } from 'node:test';
import {
  appendTsig,
  computeTsigMac,
  DnsUpdateError,
  DnsUpdater,
  encodeUpdate,
  parseTsigKey,
  readUpdateReply,
  updateOutcome,
  verifyTsig,
  type TsigKey,
  type UpdateOperation,
} from './update.js';

/** A name in wire format, built here independently of the code under test. */
function wireName(name: string): string {
  return name.split('.').map((l) => Buffer.from([l.length]).toString('hex') + Buffer.from(l, 'ascii').toString('hex')).join('') + '00';
}
const hex = (...parts: string[]) => Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
const ascii = (s: string) => Buffer.from(s, 'ascii').toString('hex');

const SECRET = Buffer.alloc(32, 7);
const KEY: TsigKey = parseTsigKey('petrel-acme', 'hmac-sha256', SECRET.toString('base64'));
const TIME = 1_700_000_000; // 0x6553f100
const FIELDS = { timeSigned: TIME, fudge: 300, error: 0, otherData: Buffer.alloc(0) };

const HEADER = '1234 2800 0001 0000 0001 0000'; // ID, opcode UPDATE, ZOCOUNT 1, PRCOUNT 0, UPCOUNT 1, ARCOUNT 0
const ZONE = wireName('upd.test') + '0006 0001'; // SOA, IN
const OWNER = wireName('_acme-challenge.www.upd.test');

describe('encodeUpdate: RFC 2136 section 2.5 operations, byte for byte', () => {
  const table: { what: string; op: UpdateOperation; rr: string }[] = [
    {
      what: '2.5.1 add a TXT record: class IN, the TTL, the RDATA',
      op: { kind: 'add', record: { name: '_acme-challenge.www.upd.test', type: 'TXT', ttl: 60, data: 'hello' } },
      rr: OWNER + '0010 0001 0000003c 0006 05' + ascii('hello'),
    },
    {
      what: '2.5.4 delete one RR: class NONE (254), TTL 0, the same RDATA',
      op: { kind: 'delete', record: { name: '_acme-challenge.www.upd.test', type: 'TXT', data: 'hello' } },
      rr: OWNER + '0010 00fe 00000000 0006 05' + ascii('hello'),
    },
    {
      what: '2.5.2 delete an RRset: class ANY, TTL 0, RDLENGTH 0',
      op: { kind: 'delete-rrset', name: '_acme-challenge.www.upd.test', type: 'TXT' },
      rr: OWNER + '0010 00ff 00000000 0000',
    },
    {
      what: '2.5.3 delete every RRset of a name: type ANY, class ANY',
      op: { kind: 'delete-name', name: 'www.upd.test' },
      rr: wireName('www.upd.test') + '00ff 00ff 00000000 0000',
    },
    {
      what: 'any type dns-packet encodes: an A record',
      op: { kind: 'add', record: { name: 'www.upd.test', type: 'A', ttl: 300, data: '192.0.2.7' } },
      rr: wireName('www.upd.test') + '0001 0001 0000012c 0004 c0000207',
    },
    {
      what: 'a TLSA record (DANE 3 1 1)',
      op: { kind: 'add', record: { name: '_25._tcp.mail.upd.test', type: 'TLSA', ttl: 3600, data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 0xab) } } },
      rr: wireName('_25._tcp.mail.upd.test') + '0034 0001 00000e10 0023 030101' + 'ab'.repeat(32),
    },
    {
      what: 'a TXT record of several character-strings',
      op: { kind: 'add', record: { name: 'www.upd.test', type: 'TXT', ttl: 60, data: ['ab', 'c'] } },
      rr: wireName('www.upd.test') + '0010 0001 0000003c 0005 02' + ascii('ab') + '01' + ascii('c'),
    },
  ];
  for (const row of table) {
    it(row.what, () => {
      assert.equal(encodeUpdate({ id: 0x1234, zone: 'upd.test', operations: [row.op] }).toString('hex'), hex(HEADER, ZONE, row.rr).toString('hex'));
    });
  }

  it('several operations in one message, counted in UPCOUNT', () => {
    const msg = encodeUpdate({ id: 1, zone: 'upd.test.', operations: [table[0]!.op, table[1]!.op] });
    assert.equal(msg.readUInt16BE(8), 2);
    assert.equal(msg.readUInt16BE(4), 1);
  });

  it('refuses what the DNS cannot hold instead of sending it', () => {
    const bad: UpdateOperation[] = [
      { kind: 'add', record: { name: 'x.upd.test', type: 'TXT', ttl: 60, data: 'x'.repeat(256) } },
      { kind: 'add', record: { name: 'x..upd.test', type: 'TXT', ttl: 60, data: 'x' } },
      { kind: 'add', record: { name: `${'a'.repeat(64)}.upd.test`, type: 'TXT', ttl: 60, data: 'x' } },
      { kind: 'add', record: { name: 'x.upd.test', type: 'TXT', ttl: -1, data: 'x' } },
      { kind: 'add', record: { name: 'bücher.upd.test', type: 'TXT', ttl: 60, data: 'x' } },
    ];
    for (const op of bad) assert.throws(() => encodeUpdate({ id: 1, zone: 'upd.test', operations: [op] }), RangeError);
    assert.throws(() => encodeUpdate({ id: 1, zone: 'upd.test', operations: [] }), RangeError);
  });
});

describe('TSIG (RFC 8945 section 4.3)', () => {
  const request = hex(HEADER, ZONE, OWNER + '0010 0001 0000003c 0006 05' + ascii('hello'));
  // Section 4.3.3, in order: NAME, CLASS ANY, TTL 0, Algorithm Name, Time Signed (48 bits), Fudge, Error, Other Len (and no Other Data).
  const variables = hex(wireName('petrel-acme'), '00ff 00000000', wireName('hmac-sha256'), '00006553f100 012c 0000 0000');

  it('the request MAC covers the message without its TSIG record, then the TSIG variables', () => {
    const expected = createHmac('sha256', SECRET).update(request).update(variables).digest();
    assert.deepEqual(computeTsigMac(KEY, request, FIELDS), expected);
  });

  it('the TSIG record: key name, TYPE 250, CLASS ANY, TTL 0, algorithm, time, fudge, MAC, original ID, error, other; ARCOUNT becomes 1', () => {
    const { message, mac } = appendTsig(request, KEY, FIELDS);
    const rdata = hex(wireName('hmac-sha256'), '00006553f100 012c 0020', mac.toString('hex'), '1234 0000 0000');
    const record = hex(wireName('petrel-acme'), '00fa 00ff 00000000', rdata.length.toString(16).padStart(4, '0'), rdata.toString('hex'));
    const expected = Buffer.concat([request, record]);
    expected.writeUInt16BE(1, 10);
    assert.equal(message.toString('hex'), expected.toString('hex'));
  });

  it('key names and algorithm names enter the MAC in canonical (lower-case) form', () => {
    const upper = { ...KEY, name: 'Petrel-ACME' };
    assert.deepEqual(computeTsigMac(upper, request, FIELDS), computeTsigMac(KEY, request, FIELDS));
  });

  it('hmac-sha512 gives a 64-octet MAC over the same input with its own algorithm name', () => {
    const key512 = parseTsigKey('petrel-acme', 'hmac-sha512', SECRET.toString('base64'));
    const vars = hex(wireName('petrel-acme'), '00ff 00000000', wireName('hmac-sha512'), '00006553f100 012c 0000 0000');
    assert.deepEqual(computeTsigMac(key512, request, FIELDS), createHmac('sha512', SECRET).update(request).update(vars).digest());
  });

  it('an answer MAC starts with the request MAC and its length (section 4.3.1)', () => {
    const requestMac = Buffer.alloc(32, 0x5a);
    const expected = createHmac('sha256', SECRET).update(hex('0020')).update(requestMac).update(request).update(variables).digest();
    assert.deepEqual(computeTsigMac(KEY, request, FIELDS, requestMac), expected);
  });

  it('parseTsigKey refuses empty names, unknown algorithms and secrets that are not base64', () => {
    assert.throws(() => parseTsigKey('', 'hmac-sha256', 'AAAA'), /not a DNS name/);
    assert.throws(() => parseTsigKey('k', 'hmac-md5', 'AAAA'), /hmac-sha256 or hmac-sha512/);
    assert.throws(() => parseTsigKey('k', 'hmac-sha256', 'not base64!'), /not base64/);
    assert.throws(() => parseTsigKey('k', 'hmac-sha256', ''), /not base64/);
    assert.equal(parseTsigKey('k.', 'hmac-sha512', 'AAAA').name, 'k');
  });
});

/** An UPDATE answer (QR, opcode UPDATE, rcode) echoing the zone section, signed over requestMac when a key is given; `mac` sends an empty or a halved MAC. */
function answer(options: { id?: number; rcode?: number; key?: TsigKey; requestMac: Buffer; time?: number; error?: number; mac?: 'empty' | 'truncated' }): Buffer {
  const head = hex('1234', (0xa800 | (options.rcode ?? 0)).toString(16), '0001 0000 0000 0000', ZONE);
  head.writeUInt16BE(options.id ?? 0x1234, 0);
  if (!options.key) return head;
  const fields = { timeSigned: options.time ?? TIME, fudge: 300, error: options.error ?? 0, otherData: Buffer.alloc(0) };
  const signed = appendTsig(head, options.key, fields, options.requestMac);
  if (!options.mac) return signed.message;
  const mac = options.mac === 'empty' ? '' : signed.mac.subarray(0, 16).toString('hex');
  const u16 = (n: number) => n.toString(16).padStart(4, '0');
  const rdata = hex(wireName('hmac-sha256'), '00006553f100 012c', u16(mac.length / 2), mac, '1234', u16(options.error ?? 0), '0000');
  const out = Buffer.concat([head, hex(wireName(options.key.name), '00fa 00ff 00000000', u16(rdata.length), rdata.toString('hex'))]);
  out.writeUInt16BE(1, 10);
  return out;
}

describe('verifying answers (RFC 8945 section 5.4)', () => {
  const requestMac = Buffer.alloc(32, 0x42);
  const ctx = { zone: 'upd.test', server: '127.0.0.1:53', keyName: 'petrel-acme' };
  const outcome = (buf: Buffer, now = TIME) => {
    const reply = readUpdateReply(buf, { id: 0x1234, mac: requestMac }, KEY, now);
    assert.equal(reply.kind, 'reply');
    return { reply, result: updateOutcome(reply as Extract<typeof reply, { kind: 'reply' }>, ctx) };
  };

  it('a NOERROR answer signed over our request MAC is success', () => {
    const { reply, result } = outcome(answer({ key: KEY, requestMac }));
    assert.equal(reply.kind === 'reply' && reply.tsig.kind, 'verified');
    assert.deepEqual(result, { ok: true });
  });

  const refused: { threat: string; buf: () => Buffer; now?: number; tsig: string; code: string }[] = [
    { threat: 'an unsigned NOERROR (forged, or a server without the key)', buf: () => answer({ requestMac }), tsig: 'unsigned', code: 'UNSIGNED' },
    { threat: 'an answer signed over another request MAC (replayed)', buf: () => answer({ key: KEY, requestMac: Buffer.alloc(32, 1) }), tsig: 'invalid', code: 'UNSIGNED' },
    { threat: 'an answer signed with another secret', buf: () => answer({ key: { ...KEY, secret: Buffer.alloc(32, 8) }, requestMac }), tsig: 'invalid', code: 'UNSIGNED' },
    { threat: 'an answer signed by another key name', buf: () => answer({ key: { ...KEY, name: 'intruder' }, requestMac }), tsig: 'invalid', code: 'UNSIGNED' },
    { threat: 'an answer signed with another algorithm', buf: () => answer({ key: { ...KEY, algorithm: 'hmac-sha512' }, requestMac }), tsig: 'invalid', code: 'UNSIGNED' },
    { threat: 'a signed answer older than the fudge (replayed later)', buf: () => answer({ key: KEY, requestMac }), now: TIME + 301, tsig: 'invalid', code: 'UNSIGNED' },
    {
      threat: 'a signed answer whose RCODE was flipped from REFUSED to NOERROR in transit',
      buf: () => {
        const b = answer({ key: KEY, requestMac, rcode: 5 });
        b.writeUInt16BE(b.readUInt16BE(2) & 0xfff0, 2);
        return b;
      },
      tsig: 'invalid',
      code: 'UNSIGNED',
    },
    { threat: 'a truncated MAC (the server must not shorten ours)', buf: () => answer({ key: KEY, requestMac, mac: 'truncated' }), tsig: 'invalid', code: 'UNSIGNED' },
    {
      threat: 'a record smuggled after the TSIG record',
      buf: () => {
        const b = Buffer.concat([answer({ key: KEY, requestMac }), hex(wireName('x.upd.test'), '0001 0001 0000003c 0004 7f000001')]);
        b.writeUInt16BE(2, 10);
        return b;
      },
      tsig: 'invalid',
      code: 'UNSIGNED',
    },
    { threat: 'BADSIG: NOTAUTH with an empty MAC (the server could not check ours)', buf: () => answer({ key: KEY, requestMac, rcode: 9, error: 16, mac: 'empty' }), tsig: 'unsigned', code: 'BADSIG' },
    { threat: 'BADKEY: NOTAUTH with an empty MAC', buf: () => answer({ key: KEY, requestMac, rcode: 9, error: 17, mac: 'empty' }), tsig: 'unsigned', code: 'BADKEY' },
  ];
  for (const row of refused) {
    it(`refuses ${row.threat}`, () => {
      const { reply, result } = outcome(row.buf(), row.now);
      assert.equal(reply.kind === 'reply' && reply.tsig.kind, row.tsig);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.error.code, row.code);
        assert.equal(result.error.authenticated, false);
      }
    });
  }

  const rcodes: { rcode: number; error?: number; code: string; text: RegExp; temporary: boolean }[] = [
    { rcode: 5, code: 'REFUSED', text: /update-policy or allow-update/, temporary: false },
    { rcode: 9, code: 'NOTAUTH', text: /not authoritative/, temporary: false },
    { rcode: 10, code: 'NOTZONE', text: /outside the zone/, temporary: false },
    { rcode: 2, code: 'SERVFAIL', text: /try again later/, temporary: true },
    { rcode: 1, code: 'FORMERR', text: /could not read/, temporary: false },
    { rcode: 4, code: 'NOTIMP', text: /does not implement/, temporary: false },
    { rcode: 9, error: 18, code: 'BADTIME', text: /clock/, temporary: true },
    { rcode: 9, error: 22, code: 'BADTRUNC', text: /MAC length/, temporary: false },
    { rcode: 8, code: 'NXRRSET', text: /NXRRSET/, temporary: false },
  ];
  for (const row of rcodes) {
    it(`a signed ${row.code} answer is an authenticated ${row.code} error`, () => {
      const { result } = outcome(answer({ key: KEY, requestMac, rcode: row.rcode, error: row.error ?? 0 }));
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.ok(result.error instanceof DnsUpdateError);
        assert.equal(result.error.code, row.code);
        assert.equal(result.error.authenticated, true);
        assert.equal(result.error.temporary, row.temporary);
        assert.match(result.error.message, row.text);
        assert.match(result.error.message, /zone upd\.test at 127\.0\.0\.1:53 with key petrel-acme/);
      }
    });
  }

  it('ignores what does not answer this update: another ID, a query, another opcode', () => {
    assert.equal(readUpdateReply(answer({ id: 0x9999, key: KEY, requestMac }), { id: 0x1234, mac: requestMac }, KEY, TIME).kind, 'mismatch');
    const query = answer({ key: KEY, requestMac });
    query.writeUInt16BE(query.readUInt16BE(2) & 0x7fff, 2);
    assert.equal(readUpdateReply(query, { id: 0x1234, mac: requestMac }, KEY, TIME).kind, 'mismatch');
    const standard = answer({ key: KEY, requestMac });
    standard.writeUInt16BE(0x8000, 2);
    assert.equal(readUpdateReply(standard, { id: 0x1234, mac: requestMac }, KEY, TIME).kind, 'mismatch');
    assert.equal(readUpdateReply(Buffer.alloc(5), { id: 0x1234, mac: requestMac }, KEY, TIME).kind, 'mismatch');
  });

  it('verifies a request the same way, without a request MAC (as a server would)', () => {
    const signed = appendTsig(encodeUpdate({ id: 7, zone: 'upd.test', operations: [{ kind: 'delete-name', name: 'a.upd.test' }] }), KEY, FIELDS).message;
    assert.equal(verifyTsig(signed, KEY, { nowSeconds: TIME + 10 }).kind, 'verified');
    signed.writeUInt8(signed.readUInt8(signed.length - 10) ^ 1, signed.length - 10);
    assert.equal(verifyTsig(signed, KEY, { nowSeconds: TIME }).kind, 'invalid');
  });
});

describe('over UDP: a forged unsigned answer does not end the wait', () => {
  const sockets: Socket[] = [];
  after(() => sockets.forEach((s) => s.close()));

  /** A UDP server that first sends an unsigned NOERROR, then (if `sign`) the properly signed answer. */
  async function forgingServer(sign: boolean): Promise<number> {
    const socket = createSocket('udp4');
    sockets.push(socket);
    socket.on('message', (msg, remote) => {
      const check = verifyTsig(msg, KEY, { nowSeconds: Math.floor(Date.now() / 1000) });
      assert.equal(check.kind, 'verified');
      const requestMac = check.kind === 'verified' ? check.tsig.mac : Buffer.alloc(0);
      const head = Buffer.from(msg.subarray(0, 12 + wireName('upd.test').length / 2 + 4));
      head.writeUInt16BE(0xa800, 2);
      head.writeUInt16BE(0, 8);
      head.writeUInt16BE(0, 10);
      socket.send(head, remote.port, remote.address);
      if (sign) {
        const signed = appendTsig(head, KEY, { timeSigned: Math.floor(Date.now() / 1000), fudge: 300, error: 0, otherData: Buffer.alloc(0) }, requestMac).message;
        setTimeout(() => socket.send(signed, remote.port, remote.address), 50);
      }
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return socket.address().port;
  }

  it('takes the signed answer that comes after the forgery', async () => {
    const port = await forgingServer(true);
    const updater = new DnsUpdater({ server: `127.0.0.1:${port}`, key: KEY, zone: 'upd.test', transport: 'udp', timeoutMs: 2000 });
    await updater.addTxt('_acme-challenge.upd.test', 'token', 60);
  });

  it('reports UNSIGNED, unauthenticated, when only the forgery came', async () => {
    const port = await forgingServer(false);
    const updater = new DnsUpdater({ server: `127.0.0.1:${port}`, key: KEY, zone: 'upd.test', transport: 'udp', timeoutMs: 300 });
    await assert.rejects(updater.addTxt('_acme-challenge.upd.test', 'token', 60), (err: DnsUpdateError) => err.code === 'UNSIGNED' && !err.authenticated && /not signed/.test(err.message));
  });

  it('a silent server is a TIMEOUT', async () => {
    const socket = createSocket('udp4');
    sockets.push(socket);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const updater = new DnsUpdater({ server: `127.0.0.1:${socket.address().port}`, key: KEY, zone: 'upd.test', transport: 'udp', timeoutMs: 200 });
    await assert.rejects(updater.addTxt('_acme-challenge.upd.test', 'token', 60), (err: DnsUpdateError) => err.code === 'TIMEOUT' && err.temporary);
  });
});
