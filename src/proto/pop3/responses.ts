/*
 * POP3 response formatting: status lines with optional RFC 2449 response
 * codes, multi-line responses (CAPA, LIST, UIDL) and the byte stream of a
 * message (RETR, TOP): every line dot-stuffed and ended with CRLF, then
 * the terminating `.` line.
 *
 * Exports: ResponseCode, encodeOk, encodeErr, encodeContinuation,
 * encodeMultiline, dotStuffChunks, messageTop, TERMINATOR.
 * Security: response text never carries CR, LF or NUL (a peer-chosen
 * string cannot inject a response line) and is cut at
 * MAX_RESPONSE_TEXT_BYTES. Message bytes are framed without copying the
 * whole message at once: dotStuffChunks yields bounded chunks.
 * Standards: RFC 1939 section 3 (byte-stuffing, termination octet), RFC
 * 2449 section 8 (response codes IN-USE, LOGIN-DELAY, SYS/TEMP,
 * SYS/PERM, AUTH), RFC 3206 (SYS and AUTH), RFC 5034 (`+ ` continuation).
 * Bare LF in stored bytes is sent as CRLF (stored mail is CRLF already:
 * cleanup normalises it), and a message not ending in CRLF gets one before
 * the terminator, as RFC 1939 requires.
 */
import { MAX_RESPONSE_TEXT_BYTES } from './limits.js';

export type ResponseCode = 'IN-USE' | 'LOGIN-DELAY' | 'SYS/TEMP' | 'SYS/PERM' | 'AUTH';

const CRLF = '\r\n';
export const TERMINATOR = Buffer.from(`.${CRLF}`);

function clean(text: string): string {
  const t = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  const bytes = Buffer.from(t, 'utf8');
  if (bytes.length <= MAX_RESPONSE_TEXT_BYTES) return t;
  // Cut on a character boundary.
  return new TextDecoder().decode(bytes.subarray(0, MAX_RESPONSE_TEXT_BYTES)).replace(/\uFFFD$/, '');
}

function status(kind: '+OK' | '-ERR', text: string, code?: ResponseCode): Buffer {
  const body = `${code ? `[${code}] ` : ''}${clean(text)}`;
  return Buffer.from(body === '' ? `${kind}${CRLF}` : `${kind} ${body}${CRLF}`, 'utf8');
}

export function encodeOk(text: string, code?: ResponseCode): Buffer {
  return status('+OK', text, code);
}

export function encodeErr(text: string, code?: ResponseCode): Buffer {
  return status('-ERR', text, code);
}

/** The SASL server challenge line: `+ ` and base64 (empty for PLAIN). */
export function encodeContinuation(base64: string): Buffer {
  return Buffer.from(`+ ${base64.replace(/[^A-Za-z0-9+/=]/g, '')}${CRLF}`);
}

/** `+OK text`, then each line dot-stuffed, then `.`: for CAPA, LIST and UIDL, whose lines we build ourselves. */
export function encodeMultiline(text: string, lines: readonly string[]): Buffer {
  let out = status('+OK', text).toString('utf8');
  for (const l of lines) out += `${l.startsWith('.') ? '.' : ''}${clean(l)}${CRLF}`;
  return Buffer.from(out + `.${CRLF}`, 'utf8');
}

/**
 * The bytes of a message as sent inside a multi-line response, in chunks of
 * about chunkBytes: each line dot-stuffed and ended with CRLF. The
 * terminator is not included (TERMINATOR). The input is not modified.
 */
export function* dotStuffChunks(message: Buffer, chunkBytes: number): Generator<Buffer> {
  const parts: Buffer[] = [];
  let pending = 0;
  let start = 0;
  const crlf = Buffer.from(CRLF);
  const dot = Buffer.from('.');
  while (start < message.length) {
    const lf = message.indexOf(0x0a, start);
    const end = lf === -1 ? message.length : lf;
    const contentEnd = end > start && message[end - 1] === 0x0d ? end - 1 : end;
    if (message[start] === 0x2e) {
      parts.push(dot);
      pending += 1;
    }
    parts.push(message.subarray(start, contentEnd), crlf);
    pending += contentEnd - start + 2;
    start = lf === -1 ? message.length : lf + 1;
    if (pending >= chunkBytes) {
      yield Buffer.concat(parts);
      parts.length = 0;
      pending = 0;
    }
  }
  if (parts.length) yield Buffer.concat(parts);
}

/**
 * TOP: the header block, the empty line after it and the first `lines`
 * lines of the body. A message without a body separator is all header.
 */
export function messageTop(message: Buffer, lines: number): Buffer {
  let sep = -1;
  if (message.length >= 2 && message[0] === 0x0d && message[1] === 0x0a) sep = 2;
  else if (message.length >= 1 && message[0] === 0x0a) sep = 1;
  else {
    const crlf = message.indexOf('\r\n\r\n');
    const lf = message.indexOf('\n\n');
    if (crlf !== -1 && (lf === -1 || crlf + 1 <= lf)) sep = crlf + 4;
    else if (lf !== -1) sep = lf + 2;
  }
  if (sep === -1) return message;
  let end = sep;
  for (let n = 0; n < lines && end < message.length; n++) {
    const lf = message.indexOf(0x0a, end);
    end = lf === -1 ? message.length : lf + 1;
  }
  return message.subarray(0, end);
}
