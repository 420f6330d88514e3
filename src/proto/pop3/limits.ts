/*
 * Limits on everything a POP3 peer sends, applied by the line reader and
 * the parser.
 *
 * Exports: the MAX_* constants below.
 * Security: every number bounds memory or CPU spent on bytes an untrusted
 * client chose.
 * Standards: RFC 2449 section 4 (command lines up to 255 octets, arguments
 * up to 40 characters, response lines up to 512 octets), RFC 5034 section
 * 4 (SASL responses are not bound by the 255-octet command limit).
 */

/** One command line with its CRLF. RFC 2449 says 255; 1 KiB lets long passwords (PASS keeps spaces) and PLAIN initial responses through while staying one small buffer. */
export const MAX_COMMAND_LINE_BYTES = 1024;
/** One SASL response line (base64) after `+ `: PLAIN tokens are far shorter, 16 KiB bounds a hostile one. */
export const MAX_AUTH_LINE_BYTES = 16 * 1024;
/** Digits in a message number or TOP line count; 10 digits already exceed 2^31, more is only an overflow attempt. */
export const MAX_NUMBER_DIGITS = 10;
/** Largest message number or TOP line count accepted: fits a 32-bit signed int, far above any maildrop. */
export const MAX_NUMBER = 0x7fffffff;
/** Text in one status line (after `+OK `/`-ERR `); RFC 2449 caps the whole response line at 512 octets. */
export const MAX_RESPONSE_TEXT_BYTES = 400;
/** Name of a SASL mechanism (RFC 4422 section 3.1: at most 20 characters). */
export const MAX_MECHANISM_LENGTH = 20;
