/*
 * Public surface of the pure IMAP wire codec: framer, parser, command table,
 * encoder, modified UTF-7 and limits. Sessions import from here only.
 *
 * How a session drives it:
 *   framer.push(chunk); then loop e = framer.next() until null:
 *   - 'continue': write encodeContinuation('Ready for literal data');
 *   - 'command': parseCommand(e.unit, { utf8 }); on ok check allowedIn(name,
 *     state) and dispatch; on error answer `tag BAD` (or `* BAD` when the
 *     tag is null; NO [BADCHARSET] for 'bad-charset');
 *   - 'error': fatal → `* BYE` and close; otherwise `tag BAD`, or
 *     `tag NO [TOOBIG]` when error.command is APPEND and the literal was too large;
 *   - 'line' (after setMode('idle'|'authenticate')): isIdleDone /
 *     parseAuthResponse, then setMode('command').
 *   After login call framer.setLimits(POST_AUTH_FRAMER_LIMITS); after
 *   ENABLE UTF8=ACCEPT or IMAP4rev2 pass { utf8: true } to parser and encoder.
 *
 * Exports: everything listed below.
 * Security: see the individual modules; nothing here does I/O.
 * Standards: RFC 9051, RFC 3501 and the extensions named in each module.
 */
export { ImapFramer } from './framer.js';
export type { CommandUnit, FramedLiteral, FrameError, FrameErrorCode, FrameEvent, FramerMode } from './framer.js';
export { parseCommand } from './parser.js';
export { isIdleDone, parseAuthResponse } from './continuation.js';
export type { AuthResponse } from './continuation.js';
export type { ParseResult, ParserOptions } from './parser.js';
export { ImapParseError } from './errors.js';
export type { ParseErrorCode } from './errors.js';
export { COMMANDS, allowedIn, lookupCommand } from './commands.js';
export type { CommandArgs, CommandName, CommandSpec, ImapCommand, SessionState } from './commands.js';
export type { SequenceSet, SeqNumber, SeqRange } from './reader.js';
export type { FetchItem, Section, SectionText, Partial } from './parse/fetch.js';
export type { SearchDate, SearchKey, SearchReturn } from './parse/search.js';
export type { AppendMessage } from './parse/append.js';
export type { ListReturnOption, ListSelectOption } from './parse/list.js';
export type { StatusItem } from './parse/status.js';
export type { NotifyArgs, NotifyEvent, NotifyEventGroup, NotifyFilter } from './parse/notify.js';
export type { SortCriterion, SortKey } from './parse/sort.js';
export * from './encoder.js';
export * from './responses.js';
export * from './fetch-data.js';
export { decodeMutf7, encodeMutf7, isValidMutf7, Mutf7Error } from './mutf7.js';
export * from './limits.js';
