/*
 * Mailbox names as the mailbox layer accepts them: full paths with the
 * hierarchy separator `/`, INBOX spelt `INBOX` whatever the case.
 *
 * Exports: HIERARCHY_SEPARATOR, MAX_NAME_BYTES, MAX_NAME_DEPTH, NameCheck,
 * checkMailboxName, normalizeMailboxName.
 * Security: names come from an authenticated but untrusted client. A name
 * is only ever a key inside the user's own account, and this check makes
 * sure it also can never look like a path: no `..`/`.` segments, no
 * leading or trailing `/`, no empty segments, no NUL or control characters,
 * no wildcards, bounded length and depth.
 * Standards: RFC 9051 section 5.1 (names, INBOX), 5.1.1 (hierarchy).
 */

export const HIERARCHY_SEPARATOR = '/';
/** Longest name in UTF-8 bytes; matches the codec's wire cap, Dovecot allows far less. */
export const MAX_NAME_BYTES = 1024;
/** Deepest hierarchy; real clients stay under 10, deep trees only cost LIST time. */
export const MAX_NAME_DEPTH = 32;

export type NameCheck = { ok: true; name: string } | { ok: false; reason: string };

// C0, DEL, C1 controls and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** INBOX (any case) as the first segment becomes `INBOX`; nothing else changes. */
export function normalizeMailboxName(name: string): string {
  const i = name.indexOf(HIERARCHY_SEPARATOR);
  const first = i < 0 ? name : name.slice(0, i);
  if (first.toUpperCase() !== 'INBOX') return name;
  return 'INBOX' + (i < 0 ? '' : name.slice(i));
}

/** Validates and normalises a name a client wants to create, rename to, select or subscribe. */
export function checkMailboxName(raw: string): NameCheck {
  if (raw.length === 0) return { ok: false, reason: 'empty name' };
  if (Buffer.byteLength(raw, 'utf8') > MAX_NAME_BYTES) return { ok: false, reason: 'name too long' };
  if (CONTROL.test(raw)) return { ok: false, reason: 'control character in name' };
  if (/[*%]/.test(raw)) return { ok: false, reason: 'wildcard in name' };
  if (LONE_SURROGATE.test(raw)) return { ok: false, reason: 'invalid Unicode in name' };
  const segments = raw.split(HIERARCHY_SEPARATOR);
  if (segments.length > MAX_NAME_DEPTH) return { ok: false, reason: 'hierarchy too deep' };
  for (const s of segments) {
    if (s === '') return { ok: false, reason: 'empty hierarchy level' };
    if (s === '.' || s === '..') return { ok: false, reason: 'dot segment in name' };
  }
  return { ok: true, name: normalizeMailboxName(raw.normalize('NFC')) };
}
