/*
 * Limits on what an HTTP client may send, each with its reason.
 *
 * Security: these bound memory and time per connection on a listener open
 * to the Internet.
 */

/** Autodiscover requests are a few hundred octets; nothing else reads a body. */
export const MAX_BODY_BYTES = 16 * 1024;
/** ACME tokens are 43 base64url characters (RFC 8555 8.1: at least 128 bits); anything much longer is not one. */
export const MAX_TOKEN_LENGTH = 128;
/** Request headers in all (Node's default is 16 KiB). */
export const MAX_HEADER_BYTES = 16 * 1024;
/** A client has this long to send its headers. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** And this long for the whole request. */
export const REQUEST_TIMEOUT_MS = 15_000;
/** An idle kept-alive connection is closed after this. */
export const KEEP_ALIVE_MS = 5_000;
/** TLS handshakes time out. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Connections at once per listener. */
export const MAX_CONNECTIONS = 1000;
