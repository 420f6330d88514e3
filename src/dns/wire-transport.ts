/*
 * One DNS exchange with one server: a query over UDP, or over TCP (used
 * when the UDP answer was truncated), and the response that answers it.
 *
 * UDP: a fresh socket on a random port, connected to the server, so the
 * kernel drops datagrams from any other address and port (checked here
 * again). A datagram that is not the answer to this query (another ID or
 * question), or cannot be read, is ignored and the wait goes on until the
 * timeout; the timeout's detail says how many were ignored and why.
 * TCP: a connection to the server, the query with its two-octet length,
 * and exactly one length-prefixed response read; anything but the answer
 * to the query fails the exchange (the stream is the server's own).
 * Every path closes the socket: the answer, an error, the timeout.
 *
 * Exports: parseServer, udpExchange, tcpExchange, ServerAddress, Exchange.
 * Security: reads untrusted bytes; a response is at most MAX_MESSAGE_BYTES
 * (the TCP length prefix bounds it and nothing beyond it is buffered),
 * each exchange is bounded by its timeout.
 * Standards: RFC 1035 section 4.2 (UDP and TCP transport), RFC 7766
 * (TCP after TC), RFC 5452 sections 4 and 9.1 (accept only answers with
 * our ID and question, from the server asked).
 */
import { createSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';
import { MAX_MESSAGE_BYTES } from './limits.js';
import { readResponse, type WireResponse } from './wire-codec.js';

export interface ServerAddress {
  host: string;
  port: number;
  family: 4 | 6;
  /** "host:port" or "[v6]:port", for details. */
  label: string;
}

export type Exchange = { kind: 'response'; response: WireResponse } | { kind: 'failed'; detail: string };

const DNS_PORT = 53;

/** The canonical text of an IPv6 address (the URL parser compresses and lowercases it). */
const canonicalV6 = (address: string) => new URL(`http://[${address}]`).hostname.slice(1, -1);

/** "1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353" -> the address; throws on anything else (host names included). */
export function parseServer(spec: string): ServerAddress {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec);
  const v4 = /^([\d.]+)(?::(\d+))?$/.exec(spec);
  const [host, portText] = bracketed ? [bracketed[1]!, bracketed[2]] : v4 ? [v4[1]!, v4[2]] : [spec, undefined];
  const family = isIP(host);
  const port = portText === undefined ? DNS_PORT : Number(portText);
  if ((family !== 4 && family !== 6) || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`DNS server "${spec}" is not an IP address with an optional port`);
  }
  const address = family === 6 ? canonicalV6(host) : host;
  return { host: address, port, family, label: family === 6 ? `[${address}]:${port}` : `${address}:${port}` };
}

const errorText = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));

function fromServer(server: ServerAddress, address: string, port: number): boolean {
  return port === server.port && (server.family === 6 ? canonicalV6(address) : address) === server.host;
}

/** Sends query over UDP and waits up to timeoutMs for the datagram that answers it. */
export function udpExchange(server: ServerAddress, query: Buffer, timeoutMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = createSocket(server.family === 6 ? 'udp6' : 'udp4');
    let ignored = 0;
    let lastReason = '';
    let done = false;
    const finish = (result: Exchange) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // Already closed after an error.
      }
      resolve(result);
    };
    const timer = setTimeout(() => {
      const noise = ignored > 0 ? `; ignored ${ignored} datagram(s) that did not answer the query (${lastReason})` : '';
      finish({ kind: 'failed', detail: `no answer within ${timeoutMs} ms from ${server.label}${noise}` });
    }, timeoutMs);
    socket.on('error', (err) => finish({ kind: 'failed', detail: `${errorText(err)} from ${server.label}` }));
    socket.on('message', (message, remote) => {
      const read = fromServer(server, remote.address, remote.port) ? readResponse(message, query) : { kind: 'mismatch' as const, reason: 'another sender' };
      if (read.kind === 'response') return finish({ kind: 'response', response: read.response });
      ignored++;
      lastReason = read.reason;
    });
    try {
      socket.connect(server.port, server.host, () => {
        socket.send(query, (err) => {
          if (err) finish({ kind: 'failed', detail: `${errorText(err)} sending to ${server.label}` });
        });
      });
    } catch (err) {
      finish({ kind: 'failed', detail: `${errorText(err)} connecting to ${server.label}` });
    }
  });
}

/** Sends query over TCP and reads the one response, within timeoutMs. */
export function tcpExchange(server: ServerAddress, query: Buffer, timeoutMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect({ host: server.host, port: server.port });
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    const finish = (result: Exchange) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const fail = (why: string) => finish({ kind: 'failed', detail: `${why} (TCP ${server.label})` });
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.on('connect', () => {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(query.length);
      socket.write(Buffer.concat([prefix, query]));
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < 2) return;
      const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      chunks.splice(0, chunks.length, head);
      const length = head.readUInt16BE(0);
      if (length === 0 || length > MAX_MESSAGE_BYTES) return fail(`a response of ${length} octets`);
      if (received < length + 2) return;
      const read = readResponse(head.subarray(2, length + 2), query);
      if (read.kind === 'response') return finish({ kind: 'response', response: read.response });
      fail(`a response that does not answer the query: ${read.reason}`);
    });
    socket.on('error', (err) => fail(errorText(err)));
    socket.on('close', () => fail('connection closed before the answer'));
  });
}
