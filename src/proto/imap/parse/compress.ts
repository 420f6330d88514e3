/*
 * COMPRESS mechanism.
 *
 * Exports: parseCompress, CompressArgs.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 4978.
 */
import type { Reader } from '../reader.js';

export interface CompressArgs {
  /** Upper-cased; only DEFLATE is defined. */
  mechanism: string;
}

export function parseCompress(r: Reader): CompressArgs {
  r.sp();
  return { mechanism: r.atom().toUpperCase() };
}
