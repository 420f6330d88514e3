/*
 * POP3 line framing: bytes in, complete lines out. A line ends at LF (the
 * CR before it is removed; clients that send a bare LF are tolerated).
 * A line longer than the current limit is never buffered: the reader
 * drops its bytes up to the next LF and reports it once as too long.
 *
 * Exports: Pop3LineReader, LineEvent.
 * Security: reads untrusted bytes; holds at most the current line limit
 * plus the last chunk pushed (the session stops reading while a complete
 * line is waiting, so pipelined input is bounded the same way).
 * Standards: RFC 1939 section 3 (commands end with CRLF), RFC 2449
 * section 4 (line length).
 */

export type LineEvent = { kind: 'line'; line: Buffer } | { kind: 'too-long' };

export class Pop3LineReader {
  private buf: Buffer = Buffer.alloc(0);
  private discarding = false;

  constructor(private maxLineBytes: number) {}

  /** Changes the limit for lines not yet complete (the SASL response line is longer than a command). */
  setLimit(maxLineBytes: number): void {
    this.maxLineBytes = maxLineBytes;
  }

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** Bytes held; never much above the limit plus one chunk. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Drops everything buffered (STLS: plaintext sent after the command must not reach the TLS session). */
  clear(): void {
    this.buf = Buffer.alloc(0);
    this.discarding = false;
  }

  /** The next complete line without its line end, a too-long report, or null when more bytes are needed. */
  next(): LineEvent | null {
    for (;;) {
      const lf = this.buf.indexOf(0x0a);
      if (this.discarding) {
        if (lf === -1) {
          this.buf = Buffer.alloc(0);
          return null;
        }
        this.buf = this.buf.subarray(lf + 1);
        this.discarding = false;
        continue;
      }
      if (lf === -1) {
        if (this.buf.length > this.maxLineBytes) {
          this.buf = Buffer.alloc(0);
          this.discarding = true;
          return { kind: 'too-long' };
        }
        return null;
      }
      if (lf + 1 > this.maxLineBytes) {
        this.buf = this.buf.subarray(lf + 1);
        return { kind: 'too-long' };
      }
      const end = lf > 0 && this.buf[lf - 1] === 0x0d ? lf - 1 : lf;
      const line = Buffer.from(this.buf.subarray(0, end));
      this.buf = this.buf.subarray(lf + 1);
      return { kind: 'line', line };
    }
  }
}
