/*
 * THREAD algorithm charset keys.
 *
 * Exports: parseThread, ThreadArgs.
 * Security: parses untrusted client input through the bounded Reader and the
 * capped search-key parser; the algorithm is returned as given, the session
 * checks it against what it advertises.
 * Standards: RFC 5256 section 3 (THREAD=ORDEREDSUBJECT, THREAD=REFERENCES).
 */
import type { Reader } from '../reader.js';
import { parseSearchKeys, type SearchKey } from './search.js';

export interface ThreadArgs {
  /** Upper-cased algorithm, e.g. REFERENCES, ORDEREDSUBJECT. */
  algorithm: string;
  charset: string;
  query: SearchKey;
}

export function parseThread(r: Reader): ThreadArgs {
  r.sp();
  const algorithm = r.atom().toUpperCase();
  r.sp();
  const charset = r.astring().toUpperCase();
  return { algorithm, charset, query: parseSearchKeys(r) };
}
