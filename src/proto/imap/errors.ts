/*
 * The typed parse error every IMAP parse failure becomes.
 *
 * Exports: ImapParseError, ParseErrorCode.
 * Security: messages are fixed strings chosen here, never echoed client bytes,
 * so the session can send them in a BAD response.
 * Standards: RFC 9051 section 7.1 (BAD for syntax errors, untagged when no tag).
 */

export type ParseErrorCode =
  | 'missing-tag'
  | 'unknown-command'
  | 'syntax'
  | 'too-deep'
  | 'limit'
  | 'bad-mailbox-name'
  | 'bad-charset';

export class ImapParseError extends Error {
  override readonly name = 'ImapParseError';
  constructor(
    readonly code: ParseErrorCode,
    message: string,
    /** null: answer with an untagged `* BAD`. */
    readonly tag: string | null = null,
    /** Upper-case command name when it was recognised. */
    readonly command: string | null = null,
  ) {
    super(message);
  }
}
