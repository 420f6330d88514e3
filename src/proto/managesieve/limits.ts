/*
 * Limits on everything a ManageSieve peer sends, applied by the framer and
 * the parser. The script size limit itself is configuration
 * ([managesieve] max_script_size): the session sets the framer's literal
 * limit from it once the user is logged in.
 *
 * Exports: the MAX_* constants below.
 * Security: every number bounds memory or CPU spent on bytes an untrusted
 * client chose.
 * Standards: RFC 5804 section 4 (the formal syntax sets no lengths; these
 * are ours, close to Dovecot's managesieve defaults).
 */

/** One line of a command (up to a literal marker or CRLF): commands are short, strings long enough for a script name and a PLAIN response fit. */
export const MAX_LINE_BYTES = 8 * 1024;
/** A literal before login: only AUTHENTICATE sends one (a PLAIN response), which is far shorter. */
export const MAX_PRE_AUTH_LITERAL_BYTES = 8 * 1024;
/** A literal above the current limit is skipped without being kept; one above this ends the connection, so skipping costs bounded time. */
export const MAX_SKIPPED_LITERAL_BYTES = 16 * 1024 * 1024;
/** Literals in one command: PUTSCRIPT and RENAMESCRIPT need two; more is framing abuse. */
export const MAX_LITERALS_PER_COMMAND = 4;
/** Digits in a number or a literal length: 10 already reaches 2^32. */
export const MAX_NUMBER_DIGITS = 10;
/** Largest number accepted (HAVESPACE's size, a literal's length): RFC 5804's number is 0..4294967295. */
export const MAX_NUMBER = 4_294_967_295;
/** A SASL mechanism name (RFC 4422 section 3.1: at most 20 characters). */
export const MAX_MECHANISM_LENGTH = 20;
/** NOOP's tag, echoed back in (TAG "..."): a client's correlation token. */
export const MAX_TAG_BYTES = 1024;
/** Human text in one response line; compile errors and hostile names are cut to this. */
export const MAX_RESPONSE_TEXT_BYTES = 1024;
