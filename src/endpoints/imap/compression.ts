/*
 * COMPRESS=DEFLATE for one IMAP connection: after the tagged OK, every byte
 * the server sends goes through one raw DEFLATE stream into the socket
 * (TLS or plain), and every byte read goes through one raw INFLATE stream
 * before the framer sees it.
 *
 * Output is flushed with Z_SYNC_FLUSH once per event-loop turn in which
 * something was written, so each burst of responses reaches the client
 * whole and the client never waits for bytes stuck in the compressor.
 *
 * Input is pulled, never pushed: the session takes one inflated chunk at a
 * time, only when its framer needs more bytes, and reads the socket again
 * only when the inflater has consumed everything it was given. Zlib stops
 * inflating while its output is not read, so a small compressed input that
 * inflates to gigabytes (a decompression bomb) never holds more than about
 * one inflater buffer plus one socket chunk in memory, and the framer's
 * limits (line, literal, command size) apply to the inflated bytes as they
 * do to plain ones.
 *
 * Exports: Compression.
 * Security: inflates untrusted bytes after login; memory bounded as above;
 * a corrupt stream is an error that ends the connection.
 * Standards: RFC 4978 (COMPRESS=DEFLATE: raw DEFLATE, RFC 1951, in both
 * directions, sync flush after each response).
 */
import type { Socket } from 'node:net';
import zlib from 'node:zlib';

export class Compression {
  private readonly deflate = zlib.createDeflateRaw();
  private readonly inflate = zlib.createInflateRaw();
  private flushScheduled = false;
  private ended = false;

  /** wake: called when inflated bytes are ready or the inflater consumed its input; failed: a corrupt stream or a zlib error. */
  constructor(
    private readonly socket: Socket,
    private readonly wake: () => void,
    failed: (err: Error) => void,
  ) {
    this.deflate.pipe(socket);
    this.inflate.on('readable', wake);
    this.inflate.on('error', failed);
    this.deflate.on('error', failed);
    this.deflate.on('drain', wake);
  }

  /** Queues response bytes; they are flushed to the socket at the end of this event-loop turn. */
  write(data: Buffer): void {
    if (this.ended || this.deflate.destroyed) return;
    this.deflate.write(data);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (!this.ended && !this.deflate.destroyed) this.deflate.flush(zlib.constants.Z_SYNC_FLUSH);
    });
  }

  /** Compressed bytes read from the socket. */
  input(chunk: Buffer): void {
    if (this.inflate.destroyed) return;
    this.inflate.write(chunk, () => this.wake());
  }

  /** One chunk of inflated bytes, or null when none is ready. */
  read(): Buffer | null {
    return this.inflate.read() as Buffer | null;
  }

  /** The inflater still holds compressed input: do not read the socket until it is consumed. */
  get busy(): boolean {
    return this.inflate.writableLength > 0 && !this.inflate.destroyed;
  }

  /** Response bytes not yet handed to the kernel (in the compressor and in the socket). */
  get pending(): number {
    return this.deflate.writableLength + this.deflate.readableLength + this.socket.writableLength;
  }

  /** Finishes the compressed stream; the socket is ended once it is written. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.deflate.end();
  }

  /** cb once the compressor's input buffer drains (output backpressure); off removes it. */
  onDrain(cb: () => void): void {
    this.deflate.once('drain', cb);
  }

  off(cb: () => void): void {
    this.deflate.off('drain', cb);
  }
}
