/*
 * A client of SpamAssassin's spamd over TCP or its unix socket: one
 * connection per request, the request written, the reply read until
 * spamd closes, the whole exchange bounded in time and in bytes.
 *
 * Exports: SpamdClient, SpamdConnect, parseSpamdAddress.
 * Security: spamd is the operator's; its reply is read at most
 * MAX_EXTERNAL_REPLY_BYTES (more is an error), a silent spamd is given up
 * on after timeoutMs, and every failure is an error the filter treats as
 * "no external score", never as a verdict.
 * Standards: see spamd-codec.ts.
 */
import { createConnection, type Socket } from 'node:net';
import { MAX_EXTERNAL_REPLY_BYTES } from '../limits.js';
import { parseSpamdReply, spamdRequest, type SpamdCommand, type SpamdReply } from './spamd-codec.js';

/** Opens a connection: TCP { host, port } or a unix socket { path }. Injected in tests. */
export type SpamdConnect = (to: { host: string; port: number } | { path: string }) => Socket;

/** "127.0.0.1:783", "[::1]:783", "localhost" (port 783) or an absolute socket path. */
export function parseSpamdAddress(address: string): { host: string; port: number } | { path: string } {
  if (address.startsWith('/')) return { path: address };
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(address) ?? /^([^:]+)(?::(\d+))?$/.exec(address);
  if (!m) throw new Error(`not a spamd address: ${address}`);
  return { host: m[1]!, port: m[2] ? Number(m[2]) : 783 };
}

const defaultConnect: SpamdConnect = (to) => createConnection(to);

export class SpamdClient {
  constructor(
    private readonly address: string,
    private readonly timeoutMs: number,
    private readonly connect: SpamdConnect = defaultConnect,
  ) {}

  /** Sends one request and reads the reply; rejects on a connection error, a timeout or an oversized reply. */
  request(command: SpamdCommand, message?: Buffer, user?: string): Promise<SpamdReply> {
    const to = parseSpamdAddress(this.address);
    return new Promise((resolve, reject) => {
      const socket = this.connect(to);
      const chunks: Buffer[] = [];
      let size = 0;
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error(`spamd did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      socket.on('connect', () => socket.end(spamdRequest(command, message, user)));
      socket.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_EXTERNAL_REPLY_BYTES) return fail(new Error(`spamd reply over ${MAX_EXTERNAL_REPLY_BYTES} octets`));
        chunks.push(chunk);
      });
      socket.on('error', (err) => fail(new Error(`spamd: ${err.message}`)));
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(parseSpamdReply(Buffer.concat(chunks), command));
      });
    });
  }
}
