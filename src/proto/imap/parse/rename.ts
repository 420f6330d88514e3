/*
 * RENAME existing new.
 *
 * Exports: parseRename, RenameArgs.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 9051 section 6.3.6.
 */
import type { Reader } from '../reader.js';

export interface RenameArgs {
  from: string;
  to: string;
}

export function parseRename(r: Reader): RenameArgs {
  r.sp();
  const from = r.mailbox();
  r.sp();
  const to = r.mailbox();
  return { from, to };
}
