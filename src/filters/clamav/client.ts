/*
 * A client of clamd over TCP or its unix socket: one connection per
 * message, the message streamed with zINSTREAM in chunks as fast as clamd
 * reads them (the socket's backpressure respected), the one reply read.
 *
 * Every way the exchange can go wrong ends in an outcome, never a throw:
 * refused, unreachable or no connection within connectTimeoutMs is
 * "clamd unavailable"; clamd not reading the next chunk within idleTimeoutMs
 * (a stopped clamd) or no reply within timeoutMs is "clamd timed out";
 * clamd closing before it has read the whole message is "limits
 * exceeded", as is its answer "INSTREAM size limit exceeded" (what clamd
 * does past StreamMaxLength); a close without a reply after the last
 * chunk, a reply that does not parse, or "OK" before the whole message
 * was sent is "clamd error".
 *
 * Exports: ClamdClient, ClamdClientOptions, ClamdAddress, ClamdConnect,
 * parseClamdAddress.
 * Security: clamd is the operator's; its reply is read at most
 * MAX_REPLY_BYTES, every wait is bounded, and nothing but the exact
 * clean reply counts as clean (protocol.ts).
 * Standards: see protocol.ts.
 */
import { createConnection, type Socket } from 'node:net';
import { CHUNK_BYTES, MAX_REPLY_BYTES } from './limits.js';
import { instreamFrames, isPong, parseClamdReply, PING, type ScanOutcome, type UnscannedReason } from './protocol.js';

export type ClamdAddress = { host: string; port: number } | { path: string };

/** Opens a connection; injected in tests. */
export type ClamdConnect = (to: ClamdAddress) => Socket;

/** clamd's default TCPSocket port. */
const CLAMD_PORT = 3310;

/** "127.0.0.1:3310", "[::1]:3310", "localhost" (port 3310) or an absolute path to clamd's LocalSocket. */
export function parseClamdAddress(address: string): ClamdAddress {
  if (address.startsWith('/')) return { path: address };
  let host = address;
  let port = String(CLAMD_PORT);
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0 || (close + 1 < address.length && address[close + 1] !== ':')) throw new Error(`not a clamd address: ${address}`);
    host = address.slice(1, close);
    if (close + 1 < address.length) port = address.slice(close + 2);
  } else if (address.includes(':')) {
    [host, port] = address.split(':', 2) as [string, string];
    if (address.indexOf(':') !== address.lastIndexOf(':')) throw new Error(`not a clamd address (write an IPv6 address as [::1]:3310): ${address}`);
  }
  const n = Number(port);
  if (host === '' || !/^\d{1,5}$/.test(port) || n < 1 || n > 65535) throw new Error(`not a clamd address: ${address}`);
  return { host, port: n };
}

export interface ClamdClientOptions {
  /** See parseClamdAddress. */
  address: string;
  /** The whole exchange, the scan after the last chunk included. */
  timeoutMs: number;
  connectTimeoutMs: number;
  /** While sending: the longest clamd may take to read on. */
  idleTimeoutMs: number;
  chunkBytes?: number;
  connect?: ClamdConnect;
}

/** The reply, and whether it came before every frame was handed to the socket; or why there is none. */
type Exchange = { ok: true; reply: Buffer; early: boolean } | { ok: false; reason: UnscannedReason; detail: string };

const defaultConnect: ClamdConnect = (to) => createConnection(to);

export class ClamdClient {
  private readonly connect: ClamdConnect;

  constructor(private readonly options: ClamdClientOptions) {
    this.connect = options.connect ?? defaultConnect;
  }

  /** Streams the message to clamd and says what clamd found. Never rejects. */
  async scan(message: Buffer): Promise<ScanOutcome> {
    const r = await this.exchange(instreamFrames(message, this.options.chunkBytes ?? CHUNK_BYTES));
    if (!r.ok) return { status: 'unscanned', reason: r.reason, detail: r.detail };
    const outcome = parseClamdReply(r.reply);
    // Only the size limit or an error can come before the end of the stream; clamd cannot have found the rest clean.
    if (r.early && outcome.status === 'clean') return { status: 'unscanned', reason: 'clamd error', detail: 'clamd answered OK before the whole message was sent' };
    return outcome;
  }

  /** True when clamd answers PING with PONG. */
  async ping(): Promise<boolean> {
    const r = await this.exchange([PING][Symbol.iterator]());
    return r.ok && isPong(r.reply);
  }

  /** Writes the frames, backpressure respected, and reads one NUL-terminated reply (or what came before clamd closed). */
  private exchange(frames: Iterator<Buffer>): Promise<Exchange> {
    const { timeoutMs, connectTimeoutMs, idleTimeoutMs } = this.options;
    let to: ClamdAddress;
    try {
      to = parseClamdAddress(this.options.address);
    } catch (err) {
      return Promise.resolve({ ok: false, reason: 'clamd unavailable', detail: (err as Error).message });
    }
    return new Promise((resolve) => {
      let settled = false;
      let connected = false;
      /** Every frame handed to the socket. */
      let written = false;
      /** ... and flushed to the kernel: from then on clamd is scanning, bounded by the whole timeout only. */
      let flushed = false;
      const reply: Buffer[] = [];
      let replyBytes = 0;
      let stall: NodeJS.Timeout | undefined;
      const socket = this.connect(to);

      const finish = (result: Exchange): void => {
        if (settled) return;
        settled = true;
        clearTimeout(whole);
        clearTimeout(stall);
        socket.destroy();
        resolve(result);
      };
      const fail = (reason: UnscannedReason, detail: string) => finish({ ok: false, reason, detail });
      const whole = setTimeout(() => fail('clamd timed out', `no answer within ${timeoutMs} ms`), timeoutMs);
      const waitAtMost = (ms: number, reason: UnscannedReason, detail: string): void => {
        clearTimeout(stall);
        stall = setTimeout(() => fail(reason, detail), ms);
      };
      waitAtMost(connectTimeoutMs, 'clamd unavailable', `no connection within ${connectTimeoutMs} ms`);

      let upcoming = frames.next();
      const pump = (): void => {
        if (settled || written) return;
        waitAtMost(idleTimeoutMs, 'clamd timed out', `clamd read nothing for ${idleTimeoutMs} ms`);
        while (!upcoming.done) {
          const frame = upcoming.value;
          upcoming = frames.next();
          written = upcoming.done === true;
          const more = socket.write(frame, written ? onFlushed : undefined);
          if (!more && !written) return; // 'drain' pumps on
        }
      };
      const onFlushed = (err?: Error | null): void => {
        if (err) return;
        flushed = true;
        clearTimeout(stall);
      };
      const ended = (err?: Error): void => {
        if (settled) return;
        if (replyBytes > 0) return finish({ ok: true, reply: Buffer.concat(reply), early: !written });
        if (!connected) return fail('clamd unavailable', err?.message ?? 'closed before connecting');
        if (!flushed) return fail('limits exceeded', `clamd closed the connection before reading the whole message (StreamMaxLength?)${err ? `: ${err.message}` : ''}`);
        fail('clamd error', err ? err.message : 'closed without a reply');
      };

      socket.on('connect', () => {
        connected = true;
        pump();
      });
      socket.on('drain', pump);
      socket.on('data', (chunk: Buffer) => {
        replyBytes += chunk.length;
        if (replyBytes > MAX_REPLY_BYTES) return fail('clamd error', `reply over ${MAX_REPLY_BYTES} octets`);
        reply.push(chunk);
        if (chunk.includes(0)) finish({ ok: true, reply: Buffer.concat(reply), early: !written });
      });
      socket.on('error', ended);
      socket.on('close', () => ended());
    });
  }
}
