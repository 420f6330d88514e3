/*
 * ID (field value ...) / NIL.
 *
 * Exports: parseId, IdArgs.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 2971.
 */
import type { Reader } from '../reader.js';
import { MAX_LIST_ITEMS } from '../limits.js';

export interface IdArgs {
  /** Field/value pairs in order (field names lower-cased, at most 30 per RFC 2971 but we cap at MAX_LIST_ITEMS). */
  params: Array<[string, string | null]> | null;
}

export function parseId(r: Reader): IdArgs {
  r.sp();
  if (r.keyword('NIL')) return { params: null };
  const params: Array<[string, string | null]> = [];
  r.open();
  while (!r.is(')')) {
    if (params.length) r.sp();
    if (params.length >= MAX_LIST_ITEMS) throw r.error('too many ID fields', 'limit');
    const field = r.string().toLowerCase();
    r.sp();
    params.push([field, r.nstring()]);
  }
  r.close();
  return { params };
}
