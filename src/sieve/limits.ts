/*
 * Limits on Sieve scripts (untrusted user input) at compile and run time.
 *
 * Exports: the MAX_* and DEFAULT_* constants.
 * Security: every number bounds memory or CPU spent on a script a user wrote
 * and on the message (from anyone) it runs against.
 * Standards: RFC 5228 section 2.6.3 allows implementation limits; RFC 5229
 * section 6 asks for limits on variable count and size.
 */

/** Default largest script; Dovecot's sieve_max_script_size is 1 MiB, real filters are a few KiB. */
export const DEFAULT_MAX_SCRIPT_SIZE = 64 * 1024;
/** Nesting of blocks and tests (if in if, allof in anyof); the parser and validator recurse. */
export const MAX_NESTING_DEPTH = 32;
/** Commands and tests in one script; bounds compiled size and validation time. */
export const MAX_COMMANDS = 10_000;
/** Strings in one string list; an allowlist of a few thousand addresses is real, more than fits in a 64 KiB script is not. */
export const MAX_LIST_ITEMS = 10_000;
/** Default run-time steps (one per command and test evaluated, plus per match attempt). */
export const DEFAULT_MAX_STEPS = 100_000;
/** Default redirects one run may produce (Dovecot's sieve_max_redirects is 4). */
export const DEFAULT_MAX_REDIRECTS = 4;
/** Length of a :regex pattern after expansion; long patterns are only an attack on the regex engine. */
export const MAX_REGEX_LENGTH = 1024;
/** Number of distinct variables (RFC 5229 section 6 requires at least 128). */
export const MAX_VARIABLES = 256;
/** Length of one variable's value (RFC 5229 asks for at least 4000 octets). */
export const MAX_VARIABLE_SIZE = 64 * 1024;
/** Length of a variable name (RFC 5229 requires at least 32). */
export const MAX_VARIABLE_NAME = 64;
/** Match variables ${0}..${9} only (RFC 5229 requires at least 10). */
export const MAX_MATCH_VARIABLES = 10;
/** Nested include depth (RFC 6609 leaves it to the implementation). */
export const MAX_INCLUDE_DEPTH = 10;
/** Number of actions one run may produce; beyond it the run fails and falls back to keep. */
export const MAX_ACTIONS = 1024;
/** Header edits (addheader/deleteheader) per run. */
export const MAX_HEADER_EDITS = 256;
/** Length of a header value produced by addheader (RFC 5293 says a folded field may be long; 8 KiB is plenty). */
export const MAX_ADDHEADER_VALUE = 8 * 1024;
/** Text of one body part a body test compares (RFC 5173); longer parts are compared by their first MiB only. */
export const MAX_BODY_TEXT = 1024 * 1024;
