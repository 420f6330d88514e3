/*
 * ENVELOPE, BODYSTRUCTURE and BODY of a message as IMAP values, built from
 * the MIME index stored at delivery (no parsing of the message here).
 *
 * Exports: StructureOptions, bodyStructure, envelope.
 * Security: pure functions over an index built from untrusted mail; every
 * string goes out as an IMAP string (the encoder quotes or makes a
 * literal). The tree is as deep as the index, which limits.ts bounds.
 * Standards: RFC 9051 and RFC 3501 section 7.5.2 (BODYSTRUCTURE, BODY,
 * ENVELOPE), RFC 9051 grammar `body` (message/global is described like
 * message/rfc822 for IMAP4rev2 sessions), RFC 2045 defaults.
 * Choices, as Dovecot answers:
 * - type, subtype, parameter names and encoding go out in lower case (the
 *   index keeps them so); a missing encoding is "7bit"; a text part without
 *   a charset parameter gets "charset" "us-ascii" after its parameters;
 * - empty parameter lists, disposition parameters and language lists are NIL;
 *   a language is always sent as a list;
 * - the wire form always follows the grammar, as Dovecot's does: a
 *   multipart that is not indexed as one (no boundary, past a cap) and a
 *   multipart with zero parts are sent as a multipart holding one empty
 *   text/plain part; a message/rfc822 (or, for IMAP4rev2, message/global)
 *   not indexed as an encapsulated message (base64 or quoted-printable
 *   encoded, past a cap) is sent with an all-NIL envelope and an empty
 *   text/plain body, since clients read an envelope after its size;
 * - parameter values are decoded in the index (RFC 2231); without
 *   `utf8` (IMAP4rev1 sessions without UTF8=ACCEPT) a value that is not
 *   ASCII goes out as an RFC 2231 `name*` parameter in UTF-8, as clients
 *   expect from servers that pass parameters through;
 * - the parts of a multipart and the addresses of a list are runs (no
 *   space between them), as the grammar writes `1*body` and `1*address`;
 * - empty address lists are NIL; header values are sent raw (encoded words
 *   are not decoded).
 */
import type { ImapValue } from './imap-value.js';
import type { Envelope, EnvelopeAddress, MessageIndex, MimePart } from './types.js';

export interface StructureOptions {
  /** The session accepts UTF-8 strings (IMAP4rev2 or UTF8=ACCEPT): parameter values go out decoded. */
  utf8?: boolean;
  /**
   * The session speaks IMAP4rev2: message/global is described like
   * message/rfc822 (RFC 9051 `media-message`). RFC 3501's grammar knows
   * only message/rfc822, so rev1 sessions get the basic form, as Dovecot
   * (a rev1 server) sends it.
   */
  imap4rev2?: boolean;
}

interface Ctx {
  extended: boolean;
  utf8: boolean;
  rev2: boolean;
}

/** BODYSTRUCTURE (extended = true) or BODY (extended = false) of a whole message. */
export function bodyStructure(index: MessageIndex, extended: boolean, options: StructureOptions = {}): ImapValue[] {
  return partStructure(index.root, { extended, utf8: options.utf8 === true, rev2: options.imap4rev2 === true });
}

function partStructure(part: MimePart, ctx: Ctx): ImapValue[] {
  if (part.children !== undefined || part.type === 'multipart') return multipartStructure(part, ctx);
  return leafStructure(part, ctx);
}

function multipartStructure(part: MimePart, ctx: Ctx): ImapValue[] {
  const children = part.children ?? [];
  const bodies: ImapValue[] = children.length > 0 ? children.map((child) => partStructure(child, ctx)) : [emptyTextPart(ctx.extended)];
  const out: ImapValue[] = [{ run: bodies }, part.subtype];
  if (ctx.extended) out.push(paramList(part.params, ctx), disposition(part, ctx), language(part), part.location);
  return out;
}

/** What stands for the missing part of a multipart with zero parts. */
function emptyTextPart(extended: boolean): ImapValue[] {
  const out: ImapValue[] = ['text', 'plain', ['charset', 'us-ascii'], null, null, '7bit', 0, 0];
  if (extended) out.push(null, null, null, null);
  return out;
}

function isMessageType(part: MimePart, ctx: Ctx): boolean {
  return part.type === 'message' && (part.subtype === 'rfc822' || (part.subtype === 'global' && ctx.rev2));
}

const NIL_ENVELOPE: readonly ImapValue[] = [null, null, null, null, null, null, null, null, null, null];

function leafStructure(part: MimePart, ctx: Ctx): ImapValue[] {
  let params = part.params;
  if (part.type === 'text' && !params.some(([name]) => name === 'charset')) params = [...params, ['charset', 'us-ascii']];
  const out: ImapValue[] = [
    part.type,
    part.subtype,
    paramList(params, ctx),
    part.id,
    part.description,
    part.encoding ?? '7bit',
    Math.max(0, part.bodyEnd - part.bodyStart),
  ];
  if (part.message !== undefined && isMessageType(part, ctx)) {
    out.push(envelope(part.message.envelope), partStructure(part.message.root, ctx), part.bodyLines);
  } else if (isMessageType(part, ctx)) {
    out.push(NIL_ENVELOPE.slice(), emptyTextPart(ctx.extended), part.bodyLines);
  } else if (part.type === 'text') {
    out.push(part.bodyLines);
  }
  if (ctx.extended) out.push(part.md5, disposition(part, ctx), language(part), part.location);
  return out;
}

function paramList(params: readonly [string, string][], ctx: Ctx): ImapValue {
  if (params.length === 0) return null;
  const out: ImapValue[] = [];
  for (const [name, value] of params) {
    if (ctx.utf8 || isAscii(value)) out.push(name, value);
    else out.push(`${name}*`, `utf-8''${percentEncode(value)}`);
  }
  return out;
}

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7e) return false;
  return true;
}

/** RFC 2231 section 7 value-chars: attribute-char as is, every other octet of the UTF-8 form as %XX. */
function percentEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte > 0x20 && byte < 0x7f && !"*'%()<>@,;:\\\"/[]?=".includes(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function disposition(part: MimePart, ctx: Ctx): ImapValue {
  if (part.disposition === null) return null;
  return [part.disposition.type, paramList(part.disposition.params, ctx)];
}

function language(part: MimePart): ImapValue {
  return part.language === null || part.language.length === 0 ? null : part.language.slice();
}

/** ENVELOPE: date, subject, from, sender, reply-to, to, cc, bcc, in-reply-to, message-id. */
export function envelope(env: Envelope): ImapValue[] {
  return [
    env.date,
    env.subject,
    addressList(env.from),
    addressList(isEmpty(env.sender) ? env.from : env.sender),
    addressList(isEmpty(env.replyTo) ? env.from : env.replyTo),
    addressList(env.to),
    addressList(env.cc),
    addressList(env.bcc),
    env.inReplyTo,
    env.messageId,
  ];
}

function isEmpty(list: EnvelopeAddress[] | null): boolean {
  return list === null || list.length === 0;
}

/** An address list; groups are already in the index as start and end markers (RFC 9051 section 7.5.2). */
function addressList(list: EnvelopeAddress[] | null): ImapValue {
  if (list === null || list.length === 0) return null;
  return [{ run: list.map((address) => [address.name, address.adl, address.mailbox, address.host]) }];
}
