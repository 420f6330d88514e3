/*
 * ENABLE capability...
 *
 * Exports: parseEnable, EnableArgs.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 5161, RFC 9051 section 6.3.1.
 */
import type { Reader } from '../reader.js';
import { MAX_LIST_ITEMS } from '../limits.js';

export interface EnableArgs {
  /** Upper-cased capability names. */
  capabilities: string[];
}

export function parseEnable(r: Reader): EnableArgs {
  const capabilities: string[] = [];
  do {
    r.sp();
    if (capabilities.length >= MAX_LIST_ITEMS) throw r.error('too many capabilities', 'limit');
    capabilities.push(r.atom().toUpperCase());
  } while (!r.atEnd());
  return { capabilities };
}
