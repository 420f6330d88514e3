/*
 * The blob read thread's worker side: reads message files with blocking
 * calls (open, fstat or a known length, read, close) off the event loop
 * and posts the bytes back, moving their memory rather than copying it.
 * Started by read-thread.ts; holds no state between requests.
 *
 * Exports: BlobReadRequest, BlobReadReply.
 * Security: reads only paths read-thread.ts built from validated hashes
 * under the blob root; runs with the server's privileges, read-only.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

/** A whole file, or its first `length` bytes. */
export interface BlobReadRequest {
  id: number;
  path: string;
  length?: number;
}

export type BlobReadReply = { id: number; bytes: Uint8Array } | { id: number; error: string; code?: string };

/** Reads asked for together travel together, both ways. */
export interface BlobReadBatch {
  reads: BlobReadRequest[];
}

export interface BlobReplyBatch {
  replies: BlobReadReply[];
}

function read(path: string, length: number | undefined): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const size = length ?? fstatSync(fd).size;
    // Not from Buffer's shared pool: this memory is transferred to the main thread.
    const buffer = Buffer.allocUnsafeSlow(Math.max(0, size));
    let n = 0;
    while (n < buffer.length) {
      const got = readSync(fd, buffer, n, buffer.length - n, n);
      if (got === 0) break;
      n += got;
    }
    return n === buffer.length ? buffer : buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

const port = parentPort;
if (port) {
  port.on('message', (batch: BlobReadBatch) => {
    const replies: BlobReadReply[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const request of batch.reads) {
      try {
        const bytes = read(request.path, request.length);
        replies.push({ id: request.id, bytes });
        transfer.push(bytes.buffer as ArrayBuffer);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        replies.push({ id: request.id, error: e.message, code: e.code });
      }
    }
    const reply: BlobReplyBatch = { replies };
    port.postMessage(reply, transfer);
  });
}
