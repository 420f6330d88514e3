/*
 * The clamd wire protocol, as far as Petrel speaks it: the commands
 * zINSTREAM (the message streamed in length-prefixed chunks) and zPING,
 * and the one reply each gets. Pure: bytes out, bytes in, no sockets.
 *
 *   C: zINSTREAM\0  <len:u32be><len octets> ...  <0:u32be>
 *   S: stream: OK\0
 *   S: stream: Eicar-Signature FOUND\0
 *   S: INSTREAM size limit exceeded. ERROR\0      (past StreamMaxLength)
 *   S: <anything else> ERROR\0
 *
 * Exports: ScanOutcome, UnscannedReason, INSTREAM, PING, instreamFrames,
 * parseClamdReply, isPong.
 * Security: the reply comes from clamd, which read the sender's message;
 * it is read defensively: only the exact bytes "stream: OK\0" are clean,
 * anything cut, doubled or unknown is an error, never clean; signature
 * names are reduced to printable ASCII and bounded. "Limits exceeded"
 * (the size limit, or a Heuristics.Limits.Exceeded.* signature when clamd
 * runs with AlertExceedsMax) is its own outcome, never clean.
 * Standards: none; clamd(8) "COMMANDS" is the reference (the z prefix
 * makes every command and reply NUL-terminated).
 */
import { MAX_SIGNATURE_CHARS } from './limits.js';

/** Why a message went unscanned; shown in X-Virus-Status when the operator fails open. */
export type UnscannedReason = 'limits exceeded' | 'clamd unavailable' | 'clamd timed out' | 'clamd error';

export type ScanOutcome =
  | { status: 'clean' }
  | { status: 'infected'; signature: string }
  | { status: 'unscanned'; reason: UnscannedReason; detail: string };

export const INSTREAM = Buffer.from('zINSTREAM\0', 'latin1');
export const PING = Buffer.from('zPING\0', 'latin1');

/** What clamd says to a message it read whole and found nothing in. */
const CLEAN_REPLY = 'stream: OK';
const SIZE_LIMIT_REPLY = 'INSTREAM size limit exceeded. ERROR';
/** The heuristic signatures clamd reports with AlertExceedsMax for files it could not scan whole. */
const LIMITS_SIGNATURE = /^Heuristics\.Limits\.Exceeded(\.|$)/;

/** The INSTREAM request: the command, the message in chunks of at most chunkBytes, each after its length, and the empty chunk. */
export function* instreamFrames(message: Buffer, chunkBytes: number): Generator<Buffer> {
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > 0xffffffff) throw new RangeError(`chunk size ${chunkBytes}`);
  yield INSTREAM;
  for (let offset = 0; offset < message.length; offset += chunkBytes) {
    const chunk = message.subarray(offset, offset + chunkBytes);
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(chunk.length, 0);
    yield length;
    yield chunk;
  }
  yield Buffer.alloc(4);
}

/** Printable ASCII only, bounded: what clamd says goes into our log and facts. */
function printable(text: string, max: number): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}

const error = (detail: string): ScanOutcome => ({ status: 'unscanned', reason: 'clamd error', detail });

/** The outcome clamd's reply to zINSTREAM says, the terminating NUL included. */
export function parseClamdReply(reply: Buffer): ScanOutcome {
  const text = reply.toString('latin1');
  if (!text.endsWith('\0')) return error(`cut reply: ${printable(text, 100)}`);
  const body = text.slice(0, -1);
  if (body.includes('\0')) return error(`more than one reply: ${printable(body, 100)}`);
  if (body === CLEAN_REPLY) return { status: 'clean' };
  if (body === SIZE_LIMIT_REPLY) return { status: 'unscanned', reason: 'limits exceeded', detail: 'clamd: INSTREAM size limit exceeded (StreamMaxLength)' };
  if (body.startsWith('stream: ') && body.endsWith(' FOUND')) {
    const signature = printable(body.slice('stream: '.length, -' FOUND'.length).trim(), MAX_SIGNATURE_CHARS);
    if (signature === '') return error('FOUND without a signature');
    if (LIMITS_SIGNATURE.test(signature)) return { status: 'unscanned', reason: 'limits exceeded', detail: `clamd: ${signature}` };
    return { status: 'infected', signature };
  }
  if (body.endsWith(' ERROR')) return error(`clamd: ${printable(body, 200)}`);
  return error(`unexpected reply: ${printable(body, 100)}`);
}

/** clamd's answer to zPING. */
export function isPong(reply: Buffer): boolean {
  return reply.toString('latin1') === 'PONG\0';
}
