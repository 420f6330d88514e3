/*
 * APPEND mailbox, one or more messages (MULTIAPPEND), each with optional flags and date-time.
 *
 * Exports: parseAppend, AppendArgs, AppendMessage.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 9051 section 6.3.12, RFC 3502 (MULTIAPPEND), RFC 7888, RFC 3516 (literal8), RFC 6855 section 4 (UTF8 (literal)).
 */
import type { Reader } from '../reader.js';
import { MAX_APPEND_MESSAGES } from '../limits.js';

export interface AppendMessage {
  flags: string[];
  internalDate: Date | null;
  data: Buffer;
  /** Sent as literal8 (`~{n}`): may hold binary content. */
  binary: boolean;
  /** Sent wrapped in UTF8 (...) (RFC 6855). */
  utf8: boolean;
}

export interface AppendArgs {
  mailbox: string;
  messages: AppendMessage[];
}

export function parseAppend(r: Reader): AppendArgs {
  r.sp();
  const mailbox = r.mailbox();
  const messages: AppendMessage[] = [];
  do {
    if (messages.length >= MAX_APPEND_MESSAGES) throw r.error('too many messages', 'limit');
    r.sp();
    let flags: string[] = [];
    let internalDate: Date | null = null;
    if (r.is('(')) {
      flags = r.flagList();
      r.sp();
    }
    if (r.is('"')) {
      internalDate = r.dateTime();
      r.sp();
    }
    let utf8 = false;
    let binary = r.is('~');
    let data: Buffer;
    if (r.keyword('UTF8')) {
      utf8 = true;
      r.sp();
      r.open();
      binary = r.is('~');
      if (!binary) throw r.error('UTF8 data must be literal8');
      data = r.stringBytes(true);
      r.close();
    } else {
      if (!r.isLiteralStart()) throw r.error('expected message literal');
      data = r.stringBytes(true);
    }
    messages.push({ flags, internalDate, data, binary, utf8 });
  } while (!r.atEnd());
  return { mailbox, messages };
}
