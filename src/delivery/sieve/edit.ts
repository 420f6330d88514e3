/*
 * Header edits of a Sieve run (RFC 5293 addheader/deleteheader) applied to
 * the bytes of one copy of the message: the kept or filed copy, or a
 * redirected one. The interpreter has already decided every edit (which
 * field, which occurrence); this only rewrites the header block.
 *
 * Exports: applyHeaderEdits.
 * Security: values come from the script (control characters already
 * removed by the interpreter) and from the message; a value is folded and,
 * when not ASCII, RFC 2047-encoded, so no edit can end the header early.
 * Standards: RFC 5293 sections 4-5, RFC 5322 section 2.2 (fields,
 * folding), RFC 2047.
 */
import libmime from 'libmime';
import type { HeaderEdit } from '../../sieve/index.js';

/** The fields of a header block, each with its continuation lines and CRLF. */
function splitFields(head: string): string[] {
  const fields: string[] = [];
  for (const line of head.split(/(?<=\r\n)/)) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1] += line;
    else fields.push(line);
  }
  return fields;
}

const nameOf = (field: string): string => field.slice(0, Math.max(0, field.indexOf(':'))).trim().toLowerCase();

function fieldText(name: string, value: string): string {
  const v = /^[\x20-\x7e]*$/.test(value) ? value : libmime.encodeWords(value, 'Q', 52);
  return Buffer.from(`${name}: ${v}\r\n`, 'utf8').toString('latin1');
}

/** The message with the edits applied in order; the body is untouched. */
export function applyHeaderEdits(bytes: Buffer, edits: readonly HeaderEdit[]): Buffer {
  if (edits.length === 0) return bytes;
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end + 2);
  const rest = end < 0 ? '' : text.slice(end + 2);
  const fields = splitFields(head);
  for (const e of edits) {
    if (e.op === 'add') {
      const f = fieldText(e.name, e.value);
      if (e.last) fields.push(f);
      else fields.unshift(f);
      continue;
    }
    const name = e.name.toLowerCase();
    let n = 0;
    const i = fields.findIndex((f) => nameOf(f) === name && ++n === e.index);
    if (i >= 0) fields.splice(i, 1);
  }
  return Buffer.from(fields.join('') + rest, 'latin1');
}
