/*
 * Checking the flags a client asks to set on a new message (APPEND), by the
 * rules STORE applies: the five system flags of RFC 9051 in their canonical
 * spelling, keywords bounded in length and number (limits.ts).
 *
 * Exports: checkNewFlags, FlagCheck.
 * Security: flags come from the client; \Recent and unknown system flags
 * are refused, so only flags a client may set reach the store.
 * Standards: RFC 9051 sections 2.3.2 and 6.3.12.
 */
import { SYSTEM_FLAGS } from './commands/select.js';
import { MAX_KEYWORD_BYTES, MAX_KEYWORDS_PER_MESSAGE } from './limits.js';

export type FlagCheck = { ok: true; flags: string[] } | { ok: false; kind: 'bad' | 'limit'; text: string };

export function checkNewFlags(requested: readonly string[]): FlagCheck {
  const flags: string[] = [];
  const keywords = new Set<string>();
  for (const f of requested) {
    if (f.startsWith('\\')) {
      const canonical = SYSTEM_FLAGS.find((s) => s.toLowerCase() === f.toLowerCase());
      if (!canonical) return { ok: false, kind: 'bad', text: 'This system flag cannot be set' };
      flags.push(canonical);
      continue;
    }
    if (Buffer.byteLength(f) > MAX_KEYWORD_BYTES) return { ok: false, kind: 'limit', text: 'Keyword too long' };
    keywords.add(f.toLowerCase());
    flags.push(f);
  }
  if (keywords.size > MAX_KEYWORDS_PER_MESSAGE) return { ok: false, kind: 'limit', text: 'Too many keywords' };
  return { ok: true, flags };
}
