/*
 * The DNS wire client against small UDP/TCP servers on 127.0.0.1 that
 * answer with literal packets built by dns-packet (a real BIND is in
 * test/e2e/dns-wire.test.ts), and its pure codec on literal bytes.
 * Threats covered: forged answers (another ID, another question, another
 * sender), truncation downgrades, hostile sizes and counts, records that
 * lie about their length, CNAME loops and long chains, referrals from a
 * server that does not recurse, garbage, silence, and sockets left open.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import dnsPacket, { type Answer, type DecodedPacket, type Question } from 'dns-packet';
import { EDNS_UDP_PAYLOAD, MAX_CNAME_CHAIN, MAX_RESPONSE_RECORDS } from './limits.js';
import { WireDnsClient } from './wire-client.js';
import { encodeQuery, nameProblem, readResponse } from './wire-codec.js';
import { parseServer } from './wire-transport.js';

type Proto = 'udp' | 'tcp';
interface Asked {
  proto: Proto;
  query: DecodedPacket;
}
/** What the server sends back for one query: packets in order (none: silence; over TCP, closing). */
type Handler = (query: DecodedPacket, proto: Proto, clientPort: number) => Buffer[];

interface TestServer {
  address: string;
  port: number;
  asked: Asked[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function listenUdp(port: number): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => resolve());
  });
  return socket;
}

async function listenTcp(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

/** A DNS server on 127.0.0.1 answering over UDP and TCP on the same port. */
async function dnsServer(handler: Handler): Promise<TestServer> {
  let udp: Socket | undefined;
  let tcp: Server | undefined;
  for (let attempt = 0; !tcp; attempt++) {
    udp = await listenUdp(0);
    try {
      tcp = await listenTcp((udp.address() as { port: number }).port);
    } catch (err) {
      udp.close();
      if (attempt > 20) throw err;
    }
  }
  const port = (udp!.address() as { port: number }).port;
  const asked: Asked[] = [];
  udp!.on('message', (raw, from) => {
    const query = dnsPacket.decode(raw);
    asked.push({ proto: 'udp', query });
    for (const packet of handler(query, 'udp', from.port)) udp!.send(packet, from.port, from.address);
  });
  tcp.on('connection', (conn) => {
    let buffered = Buffer.alloc(0);
    conn.on('error', () => {});
    conn.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2 || buffered.length < buffered.readUInt16BE(0) + 2) return;
      const raw = buffered.subarray(2, buffered.readUInt16BE(0) + 2);
      const query = dnsPacket.decode(raw);
      asked.push({ proto: 'tcp', query });
      const packets = handler(query, 'tcp', conn.remotePort ?? 0);
      if (packets.length === 0) return conn.destroy();
      for (const packet of packets) conn.write(Buffer.concat([Buffer.from([packet.length >> 8, packet.length & 0xff]), packet]));
    });
  });
  const server: TestServer = {
    address: `127.0.0.1:${port}`,
    port,
    asked,
    close: async () => {
      udp!.close();
      await new Promise<void>((resolve) => tcp!.close(() => resolve()));
    },
  };
  servers.push(server);
  return server;
}

interface ReplyOptions {
  rcode?: number;
  flags?: number;
  id?: number;
  questions?: Question[];
  answers?: Answer[];
  authorities?: Answer[];
  additionals?: Answer[];
}

/** A response to query: same ID and question unless told otherwise; RD and RA set. */
function reply(query: DecodedPacket, options: ReplyOptions = {}): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: options.id ?? query.id,
    flags: (options.flags ?? dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE) | (options.rcode ?? 0),
    questions: options.questions ?? query.questions,
    answers: options.answers ?? [],
    authorities: options.authorities ?? [],
    additionals: options.additionals ?? [],
  });
}

const qname = (q: DecodedPacket) => q.questions![0]!.name;
const a = (name: string, data: string, ttl = 300): Answer => ({ name, type: 'A', ttl, data });
const cname = (name: string, data: string, ttl = 300): Answer => ({ name, type: 'CNAME', ttl, data });
const soa = (zone: string, ttl: number, minimum: number): Answer => ({
  name: zone, type: 'SOA', ttl, data: { mname: `ns.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum },
});
const SECURE = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHENTIC_DATA;

const client = (addresses: string[], options: { timeoutMs?: number; tries?: number } = {}) =>
  new WireDnsClient({ servers: addresses, timeoutMs: options.timeoutMs ?? 300, tries: options.tries ?? 1 });

/** Each server's own answer for each query, from a table keyed by "TYPE name". */
const table = (entries: Record<string, ReplyOptions>): Handler => (q) => {
  const entry = entries[`${q.questions![0]!.type} ${qname(q)}`];
  return entry ? [reply(q, entry)] : [reply(q, { rcode: 5 })];
};

describe('wire client: queries', () => {
  it('asks with RD and AD, one IN question, and an EDNS0 OPT record with DO and a 1232-octet payload', async () => {
    const server = await dnsServer((q) => [reply(q, { answers: [a(qname(q), '192.0.2.1')] })]);
    await client([server.address]).a('mx.example.net');
    const { query } = server.asked[0]!;
    assert.equal(query.flag_rd, true);
    assert.equal(query.flag_ad, true);
    assert.equal(query.flag_cd, false);
    assert.deepEqual(query.questions, [{ name: 'mx.example.net', type: 'A', class: 'IN' }]);
    const opt = query.additionals!.find((r) => r.type === 'OPT') as { udpPayloadSize: number; flag_do: boolean } | undefined;
    assert.equal(opt?.udpPayloadSize, EDNS_UDP_PAYLOAD);
    assert.equal(opt?.flag_do, true);
  });

  it('uses a random message ID for every query', async () => {
    const server = await dnsServer((q) => [reply(q, { answers: [a(qname(q), '192.0.2.1')] })]);
    const dns = client([server.address]);
    for (let i = 0; i < 6; i++) await dns.a('mx.example.net');
    assert.ok(new Set(server.asked.map((x) => x.query.id)).size > 1);
  });

  it('does not send a name that cannot exist (a 64-octet label, an empty label, non-ASCII): NXDOMAIN without asking', async () => {
    const server = await dnsServer((q) => [reply(q, { rcode: 2 })]);
    const dns = client([server.address]);
    for (const name of [`${'a'.repeat(64)}.example.net`, 'a..example.net', 'bücher.example', `${'abcdefghi.'.repeat(26)}net`, 'a b.example']) {
      const answer = await dns.a(name);
      assert.equal(answer.ok === false && answer.kind, 'nxdomain', name);
    }
    assert.equal(server.asked.length, 0);
  });
});

describe('wire client: answers normalised', () => {
  it('MX, A, AAAA, TXT (strings of a record joined), TLSA, with the AD bit and the smallest TTL', async () => {
    const tlsaData = Buffer.alloc(32, 7);
    const server = await dnsServer(table({
      'MX example.net': { flags: SECURE, answers: [{ name: 'example.net', type: 'MX', ttl: 900, data: { preference: 10, exchange: 'mx.example.net' } }, { name: 'example.net', type: 'MX', ttl: 600, data: { preference: 0, exchange: '.' } }] },
      'A mx.example.net': { answers: [a('mx.example.net', '192.0.2.1'), a('mx.example.net', '192.0.2.2', 30)] },
      'AAAA mx.example.net': { answers: [{ name: 'mx.example.net', type: 'AAAA', ttl: 300, data: '2001:db8::1' }] },
      // "é" (c3 a9) split across two strings of one record.
      'TXT example.net': { answers: [{ name: 'example.net', type: 'TXT', ttl: 300, data: [Buffer.from('v=spf1 -all caf'), Buffer.from([0xc3]), Buffer.from([0xa9])] }, { name: 'example.net', type: 'TXT', ttl: 300, data: ['second'] }] },
      'TLSA _25._tcp.mx.example.net': { flags: SECURE, answers: [{ name: '_25._tcp.mx.example.net', type: 'TLSA', ttl: 300, data: { usage: 3, selector: 1, matchingType: 1, certificate: tlsaData } }] },
    }));
    const dns = client([server.address]);
    assert.deepEqual(await dns.mx('example.net'), { ok: true, records: [{ exchange: 'mx.example.net', priority: 10 }, { exchange: '', priority: 0 }], authenticated: true, ttl: 600 });
    assert.deepEqual(await dns.a('mx.example.net'), { ok: true, records: ['192.0.2.1', '192.0.2.2'], authenticated: false, ttl: 30 });
    assert.deepEqual(await dns.aaaa('mx.example.net'), { ok: true, records: ['2001:db8::1'], authenticated: false, ttl: 300 });
    assert.deepEqual(await dns.txt('example.net'), { ok: true, records: ['v=spf1 -all café', 'second'], authenticated: false, ttl: 300 });
    assert.deepEqual(await dns.tlsa('_25._tcp.mx.example.net'), { ok: true, records: [{ usage: 3, selector: 1, matchingType: 1, data: tlsaData }], authenticated: true, ttl: 300 });
  });

  it('generic query: any type through the same path (SOA here; DS, DNSKEY, CAA, PTR alike)', async () => {
    const server = await dnsServer(table({ 'SOA example.net': { answers: [soa('example.net', 3600, 300)] } }));
    const answer = await client([server.address]).query('example.net', 'SOA');
    assert.equal(answer.ok && answer.records[0]!.minimum, 300);
  });

  const denials: { name: string; options: ReplyOptions; want: Record<string, unknown> }[] = [
    { name: 'NXDOMAIN with an SOA: nxdomain, negative TTL min(SOA TTL, MINIMUM)', options: { rcode: 3, flags: SECURE, authorities: [soa('example.net', 900, 120)] }, want: { ok: false, kind: 'nxdomain', authenticated: true, ttl: 120 } },
    { name: 'NOERROR without records and an SOA: nodata', options: { authorities: [soa('example.net', 60, 3600)] }, want: { ok: false, kind: 'nodata', authenticated: false, ttl: 60 } },
    { name: 'NOERROR without records or SOA: nodata, TTL unknown', options: {}, want: { ok: false, kind: 'nodata', authenticated: false } },
    { name: 'NOERROR with only NS in the authority section: a referral (no recursion), temporary', options: { authorities: [{ name: 'example.net', type: 'NS', ttl: 300, data: 'ns.example.net' }] }, want: { ok: false, kind: 'temporary', authenticated: false } },
    { name: 'SERVFAIL: temporary', options: { rcode: 2 }, want: { ok: false, kind: 'temporary', authenticated: false } },
    { name: 'REFUSED: temporary', options: { rcode: 5 }, want: { ok: false, kind: 'temporary', authenticated: false } },
    { name: 'FORMERR: temporary', options: { rcode: 1 }, want: { ok: false, kind: 'temporary', authenticated: false } },
    { name: 'NOTIMP: temporary', options: { rcode: 4 }, want: { ok: false, kind: 'temporary', authenticated: false } },
    {
      name: 'an extended RCODE in the OPT record (BADVERS): temporary',
      options: { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 1, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] },
      want: { ok: false, kind: 'temporary', authenticated: false },
    },
  ];
  for (const { name, options, want } of denials) {
    it(name, async () => {
      const server = await dnsServer((q) => [reply(q, options)]);
      const answer = await client([server.address]).a('missing.example.net');
      const { detail, ...rest } = answer as { detail: string };
      assert.deepEqual(rest, want);
      assert.ok(detail.length > 0);
    });
  }

  it('the detail of a temporary failure names the RCODE and the server', async () => {
    const server = await dnsServer((q) => [reply(q, { rcode: 2 })]);
    const answer = await client([server.address]).mx('example.net');
    assert.equal(!answer.ok && answer.detail, `MX lookup for example.net failed: SERVFAIL from ${server.address}`);
  });

  it('records of the asked type owned by another name are not the answer', async () => {
    const server = await dnsServer((q) => [reply(q, { answers: [a('attacker.example', '203.0.113.9')] })]);
    const answer = await client([server.address]).a('mx.example.net');
    assert.equal(!answer.ok && answer.kind, 'nodata');
  });
});

describe('wire client: CNAME chains inside the answer', () => {
  /** CNAMEs start -> c1 -> c2 ... -> last, `length` of them, TTLs 100, 101, ... */
  const chain = (start: string, length: number, last: string) =>
    Array.from({ length }, (_, i) => cname(i === 0 ? start : `c${i}.example.net`, i === length - 1 ? last : `c${i + 1}.example.net`, 100 + i));

  it('follows the chain to the records at its end, the TTL the smallest along it', async () => {
    const server = await dnsServer((q) => [reply(q, { answers: [a('end.example.net', '192.0.2.7', 900), ...chain('start.example.net', 3, 'end.example.net').reverse()] })]);
    assert.deepEqual(await client([server.address]).a('start.example.net'), { ok: true, records: ['192.0.2.7'], authenticated: false, ttl: 100 });
  });

  it(`a chain of ${MAX_CNAME_CHAIN} CNAMEs is followed; a longer one is temporary`, async () => {
    const server = await dnsServer((q) => {
      const length = qname(q) === 'long.example.net' ? MAX_CNAME_CHAIN + 1 : MAX_CNAME_CHAIN;
      return [reply(q, { answers: [...chain(qname(q), length, 'end.example.net'), a('end.example.net', '192.0.2.7')] })];
    });
    const dns = client([server.address]);
    assert.equal((await dns.a('start.example.net')).ok, true);
    const long = await dns.a('long.example.net');
    assert.match(!long.ok ? long.detail : '', new RegExp(`CNAME chain longer than ${MAX_CNAME_CHAIN}`));
  });

  it('a CNAME loop is temporary', async () => {
    const server = await dnsServer((q) => [reply(q, { answers: [cname('start.example.net', 'b.example.net'), cname('b.example.net', 'start.example.net')] })]);
    const answer = await client([server.address]).a('start.example.net');
    assert.match(!answer.ok && answer.kind === 'temporary' ? answer.detail : '', /CNAME loop/);
  });

  it('NODATA and NXDOMAIN after a CNAME name the target', async () => {
    const server = await dnsServer((q) => [reply(q, { rcode: qname(q) === 'gone.example.net' ? 3 : 0, answers: [cname(qname(q), 'target.example.net')] })]);
    const dns = client([server.address]);
    assert.deepEqual(await dns.a('start.example.net'), { ok: false, kind: 'nodata', detail: 'no A record for target.example.net (CNAME target of start.example.net)', authenticated: false });
    assert.deepEqual(await dns.a('gone.example.net'), { ok: false, kind: 'nxdomain', detail: 'target.example.net does not exist (CNAME target of gone.example.net)', authenticated: false });
  });
});

describe('wire client: forged and stray answers are ignored', () => {
  it('a response with another message ID is ignored, and the real one taken', async () => {
    const server = await dnsServer((q) => [reply(q, { id: q.id! ^ 1, answers: [a(qname(q), '203.0.113.9')] }), reply(q, { answers: [a(qname(q), '192.0.2.1')] })]);
    const answer = await client([server.address]).a('mx.example.net');
    assert.deepEqual(answer.ok && answer.records, ['192.0.2.1']);
  });

  it('only forged responses: temporary at the timeout, saying what was ignored', async () => {
    const server = await dnsServer((q) => [reply(q, { id: q.id! ^ 0x8000, answers: [a(qname(q), '203.0.113.9')] })]);
    const answer = await client([server.address], { timeoutMs: 200 }).a('mx.example.net');
    assert.equal(!answer.ok && answer.kind, 'temporary');
    assert.match(!answer.ok ? answer.detail : '', /no answer within 200 ms .*ignored 1 datagram\(s\).*another message ID/);
  });

  const questions: [string, (q: DecodedPacket) => Question[]][] = [
    ['another name', (q) => [{ ...q.questions![0]!, name: 'attacker.example' }]],
    ['another type', (q) => [{ ...q.questions![0]!, type: 'AAAA' }]],
    ['another class', (q) => [{ ...q.questions![0]!, class: 'CH' }]],
    ['no question', () => []],
    ['two questions', (q) => [q.questions![0]!, q.questions![0]!]],
  ];
  for (const [what, questionsOf] of questions) {
    it(`a response with ${what} is ignored`, async () => {
      const server = await dnsServer((q) => [reply(q, { questions: questionsOf(q), answers: [a(qname(q), '203.0.113.9')] }), reply(q, { answers: [a(qname(q), '192.0.2.1')] })]);
      const answer = await client([server.address]).a('mx.example.net');
      assert.deepEqual(answer.ok && answer.records, ['192.0.2.1']);
    });
  }

  it('the question name is compared case-insensitively (resolvers may echo it in another case)', async () => {
    const server = await dnsServer((q) => [reply(q, { questions: [{ ...q.questions![0]!, name: 'MX.Example.NET' }], answers: [a('mx.example.net', '192.0.2.1')] })]);
    assert.equal((await client([server.address]).a('mx.example.net')).ok, true);
  });

  it('a correct-looking answer sent from another port never reaches the client (the socket is connected to the server)', async () => {
    const forger = createSocket('udp4');
    await new Promise<void>((resolve) => forger.bind(0, '127.0.0.1', () => resolve()));
    const server = await dnsServer((q, _proto, clientPort) => {
      forger.send(reply(q, { answers: [a(qname(q), '203.0.113.9')] }), clientPort, '127.0.0.1');
      return [];
    });
    const answer = await client([server.address], { timeoutMs: 200 }).a('mx.example.net');
    forger.close();
    assert.equal(!answer.ok && answer.kind, 'temporary');
  });

  it('a server answering garbage: ignored until the timeout, then the next server is asked', async () => {
    const garbage = await dnsServer(() => [Buffer.from('not dns'), Buffer.from('0123456789abcdef0123456789abcdef')]);
    const good = await dnsServer((q) => [reply(q, { answers: [a(qname(q), '192.0.2.1')] })]);
    const dns = client([garbage.address, good.address], { timeoutMs: 200, tries: 2 });
    const answer = await dns.a('mx.example.net');
    assert.deepEqual(answer.ok && answer.records, ['192.0.2.1']);
    assert.equal(garbage.asked.length, 1);
    assert.equal(good.asked.length, 1);
  });
});

/** An answer with one A record whose RDLENGTH is patched to `rdlength`, with `extra` octets appended. */
function lyingA(q: DecodedPacket, rdlength: number, extra: number): Buffer {
  const packet = reply(q, { answers: [a(qname(q), '192.0.2.1')] });
  const patched = Buffer.concat([packet, Buffer.alloc(extra)]);
  patched.writeUInt16BE(rdlength, packet.length - 6);
  return patched;
}

describe('wire client: truncation, TCP and hostile sizes', () => {
  it('a truncated UDP answer is asked again over TCP with a fresh ID, and the TCP answer used', async () => {
    const server = await dnsServer((q, proto) =>
      proto === 'udp' ? [reply(q, { flags: dnsPacket.TRUNCATED_RESPONSE | dnsPacket.RECURSION_AVAILABLE, answers: [a(qname(q), '203.0.113.9')] })] : [reply(q, { answers: [a(qname(q), '192.0.2.1'), a(qname(q), '192.0.2.2')] })],
    );
    const answer = await client([server.address]).a('mx.example.net');
    assert.deepEqual(answer.ok && answer.records, ['192.0.2.1', '192.0.2.2']);
    assert.deepEqual(server.asked.map((x) => x.proto), ['udp', 'tcp']);
    assert.notEqual(server.asked[0]!.query.id, server.asked[1]!.query.id);
  });

  const tcpFailures: [string, Handler, RegExp][] = [
    ['the TCP server closes without answering', () => [], /connection closed before the answer/],
    ['the TCP answer has another ID', (q) => [reply(q, { id: q.id! ^ 1, answers: [a(qname(q), '192.0.2.1')] })], /does not answer the query: another message ID/],
    ['the TCP answer is truncated again', (q) => [reply(q, { flags: dnsPacket.TRUNCATED_RESPONSE })], /truncated answer over TCP/],
    [
      `the TCP answer holds more than ${MAX_RESPONSE_RECORDS} records`,
      (q) => [reply(q, { answers: Array.from({ length: MAX_RESPONSE_RECORDS + 1 }, (_, i) => a(qname(q), `10.0.${i >> 8}.${i & 255}`)) })],
      new RegExp(`more than ${MAX_RESPONSE_RECORDS} records`),
    ],
  ];
  for (const [what, tcpHandler, detail] of tcpFailures) {
    it(`${what}: temporary`, async () => {
      const server = await dnsServer((q, proto, port) => (proto === 'udp' ? [reply(q, { flags: dnsPacket.TRUNCATED_RESPONSE })] : tcpHandler(q, proto, port)));
      const answer = await client([server.address]).a('mx.example.net');
      assert.equal(!answer.ok && answer.kind, 'temporary');
      assert.match(!answer.ok ? answer.detail : '', detail);
    });
  }

  it(`exactly ${MAX_RESPONSE_RECORDS} records are read`, async () => {
    const server = await dnsServer((q, proto) =>
      proto === 'udp' ? [reply(q, { flags: dnsPacket.TRUNCATED_RESPONSE })] : [reply(q, { answers: Array.from({ length: MAX_RESPONSE_RECORDS }, (_, i) => a(qname(q), `10.0.${i >> 8}.${i & 255}`)) })],
    );
    const answer = await client([server.address]).a('mx.example.net');
    assert.equal(answer.ok && answer.records.length, MAX_RESPONSE_RECORDS);
  });

  const lies: [string, (q: DecodedPacket) => Buffer, RegExp][] = [
    ['an A record whose RDLENGTH says 8 octets', (q) => lyingA(q, 8, 4), /does not fill its RDLENGTH/],
    ['a record whose RDLENGTH runs past the message', (q) => lyingA(q, 200, 0), /RDLENGTH runs past the end/],
    ['a header announcing records that are not there', (q) => { const p = reply(q); p.writeUInt16BE(3, 6); return p; }, /runs past the end of the message/],
    ['a header alone, shorter than the question', (q) => reply(q).subarray(0, 12), /another question/],
  ];
  for (const [what, lie, reason] of lies) {
    it(`${what}: ignored, the timeout says why`, async () => {
      const server = await dnsServer((q) => [lie(q)]);
      const answer = await client([server.address], { timeoutMs: 200 }).a('mx.example.net');
      assert.equal(!answer.ok && answer.kind, 'temporary');
      assert.match(!answer.ok ? answer.detail : '', reason);
    });
  }
});

describe('wire client: servers, tries and sockets', () => {
  it('a silent server: temporary after the timeout of each try', async () => {
    const silent = await dnsServer(() => []);
    const started = Date.now();
    const answer = await client([silent.address], { timeoutMs: 150, tries: 2 }).a('mx.example.net');
    assert.equal(!answer.ok && answer.kind, 'temporary');
    assert.match(!answer.ok ? answer.detail : '', /no answer within 150 ms/);
    assert.equal(silent.asked.length, 2);
    assert.ok(Date.now() - started >= 290);
  });

  it('nothing listening: temporary at once (ECONNREFUSED on the connected socket), not after the timeout', async () => {
    const gone = await dnsServer(() => []);
    await gone.close();
    servers.splice(servers.indexOf(gone), 1);
    const started = Date.now();
    const answer = await client([gone.address], { timeoutMs: 2000 }).a('mx.example.net');
    assert.equal(!answer.ok && answer.kind, 'temporary');
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  });

  it('tries rotate through the servers; SERVFAIL from the first moves on to the second', async () => {
    const failing = await dnsServer((q) => [reply(q, { rcode: 2 })]);
    const good = await dnsServer((q) => [reply(q, { answers: [a(qname(q), '192.0.2.1')] })]);
    assert.equal((await client([failing.address, good.address], { tries: 2 }).a('mx.example.net')).ok, true);
    assert.equal((await client([failing.address, good.address], { tries: 1 }).a('mx.example.net')).ok, false);
    assert.deepEqual([failing.asked.length, good.asked.length], [2, 1]);
  });

  it('an answer (NXDOMAIN) ends the lookup: the next server is not asked', async () => {
    const first = await dnsServer((q) => [reply(q, { rcode: 3 })]);
    const second = await dnsServer((q) => [reply(q, { answers: [a(qname(q), '192.0.2.1')] })]);
    const answer = await client([first.address, second.address], { tries: 3 }).a('mx.example.net');
    assert.equal(!answer.ok && answer.kind, 'nxdomain');
    assert.equal(second.asked.length, 0);
  });

  it('no socket stays open after answers, truncation, timeouts and refusals', async () => {
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap' || r === 'TCPWrap' || r === 'TCPSocketWrap').length;
    const good = await dnsServer((q, proto) => (proto === 'udp' ? [reply(q, { flags: dnsPacket.TRUNCATED_RESPONSE })] : [reply(q, { answers: [a(qname(q), '192.0.2.1')] })]));
    const silent = await dnsServer(() => []);
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
    await settle();
    const before = sockets();
    await client([good.address]).a('mx.example.net');
    await client([silent.address], { timeoutMs: 100 }).a('mx.example.net');
    await client(['127.0.0.1:9'], { timeoutMs: 100 }).a('mx.example.net');
    // The test server's side of a TCP connection closes when it sees the client's FIN.
    await settle();
    assert.equal(sockets(), before);
  });

  it('empty servers: the system resolvers (dns.getServers, i.e. resolv.conf)', () => {
    const dns = new WireDnsClient({ servers: [], timeoutMs: 100, tries: 1, systemServers: () => ['192.0.2.53', '[2001:db8::53]:5353'] });
    assert.deepEqual(dns.servers.map((s) => s.label), ['192.0.2.53:53', '[2001:db8::53]:5353']);
    assert.ok(new WireDnsClient({ servers: [], timeoutMs: 100, tries: 1 }).servers.length >= 0);
  });

  it('server addresses: host:port, [v6]:port, bare addresses; host names and bad ports refused', () => {
    assert.deepEqual(parseServer('127.0.0.1:5353'), { host: '127.0.0.1', port: 5353, family: 4, label: '127.0.0.1:5353' });
    assert.deepEqual(parseServer('9.9.9.9'), { host: '9.9.9.9', port: 53, family: 4, label: '9.9.9.9:53' });
    assert.deepEqual(parseServer('[::1]:53'), { host: '::1', port: 53, family: 6, label: '[::1]:53' });
    assert.deepEqual(parseServer('2001:DB8:0:0::1'), { host: '2001:db8::1', port: 53, family: 6, label: '[2001:db8::1]:53' });
    for (const bad of ['resolver.example', '127.0.0.1:0', '127.0.0.1:70000', '[::1]:x', '', '1.2.3']) assert.throws(() => parseServer(bad), /not an IP address/, bad);
  });

  it('refuses a timeout or tries that would never ask', () => {
    assert.throws(() => new WireDnsClient({ servers: ['127.0.0.1'], timeoutMs: 0, tries: 1 }), RangeError);
    assert.throws(() => new WireDnsClient({ servers: ['127.0.0.1'], timeoutMs: 100, tries: 0 }), RangeError);
  });
});

describe('wire codec on literal packets', () => {
  const query = encodeQuery(0x1234, 'mx.example.net', 'A');
  const asQuery = dnsPacket.decode(query);

  it('a response to the query is read; its AD and TC bits and full RCODE are reported', () => {
    const read = readResponse(reply(asQuery, { flags: SECURE | dnsPacket.TRUNCATED_RESPONSE, answers: [a('mx.example.net', '192.0.2.1')] }), query);
    assert.equal(read.kind, 'response');
    if (read.kind !== 'response') return;
    assert.deepEqual([read.response.authenticated, read.response.truncated, read.response.rcode, read.response.rcodeName], [true, true, 0, 'NOERROR']);
    assert.deepEqual(read.response.answers, [{ name: 'mx.example.net', type: 'A', ttl: 300, data: '192.0.2.1' }]);
  });

  it('a TTL with the top bit set reads as 0 (RFC 2181 section 8)', () => {
    const packet = reply(asQuery, { answers: [a('mx.example.net', '192.0.2.1')] });
    packet.writeUInt32BE(0x80000001, packet.length - 10);
    const read = readResponse(packet, query);
    assert.equal(read.kind === 'response' && read.response.answers[0]!.ttl, 0);
  });

  it('the query itself (QR clear) is not a response', () => {
    assert.deepEqual(readResponse(query, query), { kind: 'mismatch', reason: 'not a response to a standard query' });
  });

  it('a short packet is not ours; two OPT records are malformed; RRSIGs and NSECs are skipped, not decoded', () => {
    assert.equal(readResponse(Buffer.from([0x12, 0x34, 0x80]), query).kind, 'mismatch');
    const opt = { type: 'OPT' as const, name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
    assert.deepEqual(readResponse(reply(asQuery, { additionals: [opt, opt] }), query), { kind: 'malformed', reason: 'more than one OPT record' });
    const signed = reply(asQuery, {
      answers: [a('mx.example.net', '192.0.2.1'), { name: 'mx.example.net', type: 'RRSIG', ttl: 300, data: { typeCovered: 'A', algorithm: 13, labels: 3, originalTTL: 300, expiration: 2, inception: 1, keyTag: 1, signersName: 'example.net', signature: Buffer.alloc(64) } }],
      authorities: [{ name: 'example.net', type: 'NSEC', ttl: 300, data: { nextDomain: 'z.example.net', rrtypes: ['A', 'RRSIG', 'NSEC'] } }],
    });
    const read = readResponse(signed, query);
    assert.equal(read.kind === 'response' && read.response.answers.length, 1);
  });

  it('names that cannot be asked', () => {
    assert.equal(nameProblem('mx.example.net'), undefined);
    assert.equal(nameProblem('mx.example.net.'), undefined);
    assert.equal(nameProblem('_25._tcp.mx.example.net'), undefined);
    assert.equal(nameProblem('.'), undefined);
    assert.match(nameProblem('') ?? '', /printable ASCII/);
    assert.match(nameProblem(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`) ?? '', /longer than 253/);
  });
});
