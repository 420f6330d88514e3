/*
 * Public surface of the pure ManageSieve wire codec: the framer (lines and
 * literals), the parser, the command table, the response encoder and the
 * limits. Sessions import from here only.
 *
 * How a session drives it: reader.push(chunk); then loop e = reader.next()
 * until null: 'command' goes to parseCommand, whose command is checked
 * with allowedIn(name, state) before dispatch; 'too-long' and
 * 'literal-too-large' answer NO (the latter (QUOTA/MAXSIZE) for PUTSCRIPT
 * and CHECKSCRIPT); 'fatal' ends the session with BYE. During
 * AUTHENTICATE the next command's parts go to parseAuthResponse instead.
 *
 * Exports: everything listed below.
 * Security: see the individual modules; nothing here does I/O.
 * Standards: RFC 5804.
 */
export { ManageSieveReader } from './reader.js';
export type { FrameEvent, Part, ReaderLimits } from './reader.js';
export { decodeSaslString, parseAuthResponse, parseCommand, tokenize } from './parser.js';
export type { AuthResponse, ParseErrorCode, ParseResult, Token } from './parser.js';
export { COMMAND_STATES, allowedIn } from './commands.js';
export type { ManageSieveCommand, ManageSieveCommandName, ManageSieveState } from './commands.js';
export { encodeBye, encodeCapabilities, encodeChallenge, encodeNo, encodeOk, encodeQuoted, encodeScriptBody, encodeScriptLine, encodeString } from './responses.js';
export type { ResponseCode, ResponseCodeName } from './responses.js';
export * from './limits.js';
