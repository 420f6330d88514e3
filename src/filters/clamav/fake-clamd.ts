/*
 * A scripted clamd for tests: a loopback (or unix socket) server that
 * parses the INSTREAM framing as clamd does and then answers, stays
 * silent, never reads, or closes mid-stream, as its script says;
 * zPING gets PONG. It records every request (the command, the chunk
 * sizes, the message reassembled). The real clamd is in
 * test/interop/clamd.test.ts.
 *
 * Exports: scriptedClamd, withScriptedClamd, Script, Scripted.
 * Security: test code; listens on 127.0.0.1 or a given socket path only.
 */
import { createServer, type Server, type Socket } from 'node:net';

/** What the scripted clamd does once it has read `afterBytes` octets of the message (default: the whole stream). */
export type Script =
  | { answer: string; afterBytes?: number }
  | { close: true; afterBytes: number }
  | { silent: true }
  | { neverRead: true };

export interface Scripted {
  address: string;
  /** Each connection's request: the command and the message reassembled from its chunks. */
  requests: { command: string; message: Buffer; chunks: number[]; ended: boolean }[];
  close(): Promise<void>;
}

/** A clamd stand-in that parses the INSTREAM framing as it arrives (and answers zPING). */
export async function scriptedClamd(script: Script, listenOn?: string): Promise<Scripted> {
  const requests: Scripted['requests'] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    if ('neverRead' in script) return socket.pause();
    const request = { command: '', message: Buffer.alloc(0), chunks: [] as number[], ended: false };
    requests.push(request);
    let pending = Buffer.alloc(0);
    const parts: Buffer[] = [];
    let received = 0;
    let done = false;
    const act = () => {
      done = true;
      request.message = Buffer.concat(parts);
      if ('answer' in script) socket.end(script.answer);
      else if ('close' in script) socket.destroy();
    };
    socket.on('data', (data: Buffer) => {
      if (done) return;
      pending = Buffer.concat([pending, data]);
      if (request.command === '') {
        const nul = pending.indexOf(0);
        if (nul < 0) return;
        request.command = pending.subarray(0, nul + 1).toString('latin1');
        pending = pending.subarray(nul + 1);
        if (request.command === 'zPING\0') return socket.end('PONG\0');
      }
      while (pending.length >= 4) {
        const length = pending.readUInt32BE(0);
        if (length === 0) {
          request.ended = true;
          request.message = Buffer.concat(parts);
          if (!('silent' in script)) act();
          return;
        }
        if (pending.length < 4 + length) return;
        request.chunks.push(length);
        parts.push(pending.subarray(4, 4 + length));
        received += length;
        pending = pending.subarray(4 + length);
        const after = 'afterBytes' in script ? script.afterBytes : undefined;
        if (after !== undefined && received >= after) return act();
      }
    });
  });
  await new Promise<void>((resolve) => (listenOn ? server.listen(listenOn, resolve) : server.listen(0, '127.0.0.1', resolve)));
  const address = listenOn ?? `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    address,
    requests,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Runs fn with a scripted clamd, closed afterwards. */
export async function withScriptedClamd<T>(script: Script, fn: (s: Scripted) => Promise<T>): Promise<T> {
  const s = await scriptedClamd(script);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}
