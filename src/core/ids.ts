/*
 * Identifiers that appear in logs: session ids and queue ids.
 *
 * Queue ids follow Postfix's spirit: short, unique on this host, sortable by
 * time, safe in file names and log lines.
 *
 * Security: none; ids are not secrets and must not be used as such.
 */
import { randomFillSync } from 'node:crypto';

// Random bytes are drawn from a pool refilled in blocks: one call into the
// RNG per few hundred ids instead of one per id (this runs per message).
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

export function randomBytesFast(n: number): Buffer {
  if (poolOffset + n > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + n));
  poolOffset += n;
  return out;
}

const ALPHABET = '0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjkmnpqrstvwxyz';

function encode(value: bigint, width: number): string {
  let out = '';
  const base = BigInt(ALPHABET.length);
  for (let i = 0; i < width; i++) {
    out = ALPHABET[Number(value % base)] + out;
    value /= base;
  }
  return out;
}

let lastMillis = 0n;
let counter = 0n;

/** A time-ordered id: 8 characters of milliseconds, 2 of a counter, 4 random. */
export function newQueueId(now: number = Date.now()): string {
  const millis = BigInt(now);
  if (millis === lastMillis) counter++;
  else {
    lastMillis = millis;
    counter = 0n;
  }
  const random = BigInt(randomBytesFast(3).readUIntBE(0, 3));
  return encode(millis, 8) + encode(counter, 2) + encode(random, 4);
}

/** A short random id for a network session. */
export function newSessionId(): string {
  return randomBytesFast(6).toString('base64url');
}
