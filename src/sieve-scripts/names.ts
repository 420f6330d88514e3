/*
 * Sieve script names: what a user may call a script, checked once here for
 * ManageSieve and the CLI alike.
 *
 * Exports: checkScriptName, ScriptNameResult, MAX_SCRIPT_NAME_BYTES.
 * Security: names are user input and are echoed in responses and logs.
 * Refused: invalid UTF-8, the empty name, control characters (C0, DEL, C1),
 * the Unicode line and paragraph separators, `/` and the names `.` and
 * `..` (the security spec: a name never escapes the user's space, whatever
 * backend stores it later), and names over MAX_SCRIPT_NAME_BYTES. Names are
 * compared after NFC normalisation, so a client sending decomposed
 * characters finds the script it stored composed.
 * Standards: RFC 5804 section 1.6 (script names: Net-Unicode, RFC 5198,
 * without controls, U+2028, U+2029).
 */
/** A script name in octets (UTF-8): a name is a label, and Pigeonhole's file storage stops near 255. */
export const MAX_SCRIPT_NAME_BYTES = 255;

export type ScriptNameResult = { ok: true; name: string } | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
// C0 controls, DEL, C1 controls, LINE SEPARATOR, PARAGRAPH SEPARATOR.
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export function checkScriptName(raw: Buffer | string): ScriptNameResult {
  let text: string;
  if (typeof raw === 'string') text = raw;
  else {
    try {
      text = utf8.decode(raw);
    } catch {
      return { ok: false, reason: 'script name is not UTF-8' };
    }
  }
  const name = text.normalize('NFC');
  if (name === '') return { ok: false, reason: 'script name is empty' };
  if (FORBIDDEN.test(name)) return { ok: false, reason: 'script name contains a control character' };
  if (name.includes('/') || name === '.' || name === '..') return { ok: false, reason: 'script name may not contain "/" or be "." or ".."' };
  if (Buffer.byteLength(name, 'utf8') > MAX_SCRIPT_NAME_BYTES) return { ok: false, reason: `script name longer than ${MAX_SCRIPT_NAME_BYTES} octets` };
  return { ok: true, name };
}
