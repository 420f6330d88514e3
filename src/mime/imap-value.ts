/*
 * The typed value tree that IMAP response data is built from before it is
 * serialised: FETCH items such as ENVELOPE, BODYSTRUCTURE and BODY are made
 * of these, and the IMAP encoder turns them into wire bytes.
 *
 * Exports: ImapValue, ImapLiteral, ImapRun.
 * Security: pure data. Strings may hold anything an untrusted sender wrote
 * (8-bit bytes, CR, LF, quotes); the encoder chooses quoted string or
 * literal form, never this tree.
 * Standards: RFC 9051 section 4 (data formats: atom-free subset of number,
 * string, NIL, parenthesized list); RFC 3501 section 4.
 */

/** Bytes that must be sent as a literal, whatever they contain. */
export interface ImapLiteral {
  literal: Buffer;
}

/**
 * Values written one after the other with no space between them, where the
 * grammar says so: the parts of a multipart (`1*body SP media-subtype`) and
 * the addresses of an address list (`"(" 1*address ")"`). A run stands
 * among its siblings like one value (spaces around it, none inside it).
 */
export interface ImapRun {
  run: ImapValue[];
}

/**
 * A string (quoted or literal, the encoder decides), a number, NIL (null),
 * a parenthesized list (elements separated by one space), a literal, or a
 * run of values with no space between them.
 */
export type ImapValue = string | number | null | ImapValue[] | ImapLiteral | ImapRun;
