/*
 * Public surface of the pure POP3 wire codec: line reader, parser, command
 * table, response encoder and limits. Sessions import from here only.
 *
 * How a session drives it: reader.push(chunk); then loop e = reader.next()
 * until null: 'too-long' answers `-ERR` (counted as a bad command); a
 * 'line' goes to parseCommand, whose command is checked with
 * allowedIn(name, state) before dispatch. During AUTH the reader's limit
 * is MAX_AUTH_LINE_BYTES and the line goes to parseAuthResponse.
 *
 * Exports: everything listed below.
 * Security: see the individual modules; nothing here does I/O.
 * Standards: RFC 1939, RFC 2449, RFC 2595, RFC 3206, RFC 5034.
 */
export { Pop3LineReader } from './reader.js';
export type { LineEvent } from './reader.js';
export { parseAuthResponse, parseCommand } from './parser.js';
export type { AuthResponse, ParseErrorCode, ParseResult } from './parser.js';
export { COMMAND_STATES, allowedIn } from './commands.js';
export type { Pop3Command, Pop3CommandName, Pop3State } from './commands.js';
export { TERMINATOR, dotStuffChunks, encodeContinuation, encodeErr, encodeMultiline, encodeOk, messageTop } from './responses.js';
export type { ResponseCode } from './responses.js';
export * from './limits.js';
