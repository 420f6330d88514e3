/*
 * From a framed command unit to a typed command: tag, name, UID prefix and
 * arguments parsed by the command's own parser (parse/*.ts via commands.ts).
 *
 * Exports: parseCommand, ParseResult, ParserOptions.
 * Security: never throws on client input; every failure is an ImapParseError
 * carrying the tag (or null for an untagged BAD) and fixed text.
 * Standards: RFC 9051 section 9 (command, tag, uid), RFC 3501.
 */
import type { CommandUnit } from './framer.js';
import { ImapParseError } from './errors.js';
import { lookupCommand, type ImapCommand } from './commands.js';
import { MAX_TAG_LENGTH } from './limits.js';
import { Reader, type ReaderOptions } from './reader.js';

export type ParserOptions = ReaderOptions;

export type ParseResult = { ok: true; command: ImapCommand } | { ok: false; error: ImapParseError };

/** tag = 1*<any ASTRING-CHAR except "+"> */
const TAG_RE = /^[\x21-\x7e]+$/;

function readTag(r: Reader): string {
  const tag = r.readTag();
  if (!TAG_RE.test(tag) || tag.length > MAX_TAG_LENGTH || (r.peek() !== 0x20 && r.peek() !== -1)) {
    throw new ImapParseError('missing-tag', 'missing or bad tag');
  }
  return tag;
}

function parse(unit: CommandUnit, options: ParserOptions): ImapCommand {
  const r = new Reader(unit, options);
  const tag = readTag(r);
  r.tag = tag;
  if (r.peek() !== 0x20) throw new ImapParseError('syntax', 'missing command', tag);
  r.sp();
  let word = r.atom();
  let uid = false;
  if (word.toUpperCase() === 'UID') {
    uid = true;
    r.sp();
    word = r.atom();
  }
  const found = lookupCommand(word);
  if (!found || (uid && !found.spec.uid)) throw new ImapParseError('unknown-command', 'unknown command', tag);
  r.command = found.name;
  const args = found.spec.parse(r, uid);
  r.end();
  return { tag, name: found.name, uid, args } as ImapCommand;
}

export function parseCommand(unit: CommandUnit, options: ParserOptions = { utf8: false }): ParseResult {
  try {
    return { ok: true, command: parse(unit, options) };
  } catch (e) {
    if (e instanceof ImapParseError) return { ok: false, error: e };
    throw e;
  }
}
