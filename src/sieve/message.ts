/*
 * A SieveMessage built from the raw text of a message: for the dry run
 * (`petrel sieve test SCRIPT MESSAGE`) and the tests. Delivery may build the
 * same interface from the stored MIME index instead.
 *
 * Exports: parseSieveMessage, SieveMessageLimits.
 * Security: the message is untrusted; nesting depth and part count are
 * capped, every split is linear, and a malformed structure degrades to
 * fewer parts rather than an error.
 * Standards: RFC 5322 (header fields, unfolding), RFC 2045/2046 (multipart,
 * boundaries, Content-Transfer-Encoding, message/rfc822), RFC 2047 and
 * RFC 2231 (through libmime).
 */
import libmime from 'libmime';
import type { SieveMessage, SieveMessagePart } from './env.js';
import { MAX_PARSED_MIME_DEPTH, MAX_PARSED_MIME_PARTS } from './limits.js';

export interface SieveMessageLimits {
  maxDepth: number;
  maxParts: number;
}

const DEFAULT_LIMITS: SieveMessageLimits = { maxDepth: MAX_PARSED_MIME_DEPTH, maxParts: MAX_PARSED_MIME_PARTS };

interface Budget {
  parts: number;
}

/** Split a latin1 string into header block and body at the first empty line. */
function splitHead(s: string): { head: string; body: string } {
  const m = /\r?\n\r?\n/.exec(s);
  if (!m) return { head: s, body: '' };
  return { head: s.slice(0, m.index), body: s.slice(m.index + m[0].length) };
}

function parseHeaders(head: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  const lines = head.split(/\r?\n/);
  const fields: string[] = [];
  for (const l of lines) {
    if (/^[ \t]/.test(l) && fields.length) fields[fields.length - 1] += ' ' + l.trim();
    else fields.push(l);
  }
  for (const f of fields) {
    const i = f.indexOf(':');
    if (i <= 0) continue;
    const name = f.slice(0, i).trim().toLowerCase();
    let value = Buffer.from(f.slice(i + 1).trim(), 'latin1').toString('utf8');
    try {
      value = libmime.decodeWords(value);
    } catch {
      // keep the undecoded text
    }
    const list = map.get(name);
    if (list) list.push(value);
    else map.set(name, [value]);
  }
  return map;
}

function transferDecode(body: string, cte: string): Buffer {
  const enc = cte.trim().toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (enc === 'quoted-printable') {
    const s = body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(s, 'latin1');
  }
  return Buffer.from(body, 'latin1');
}

function decodeBody(body: string, cte: string, charset: string): string {
  const bytes = transferDecode(body, cte);
  try {
    return new TextDecoder(charset || 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function parsePart(raw: string, depth: number, limits: SieveMessageLimits, budget: Budget, defaultType: string): SieveMessagePart & { rawBody: string } {
  budget.parts++;
  const { head, body } = splitHead(raw);
  const headers = parseHeaders(head);
  const ctRaw = headers.get('content-type')?.[0];
  let contentType = defaultType;
  let params: Record<string, string> = Object.create(null);
  if (ctRaw) {
    try {
      const parsed = libmime.parseHeaderValue(ctRaw);
      if (/^[^\s/]+\/[^\s/]+$/.test(parsed.value)) contentType = parsed.value.toLowerCase();
      params = Object.assign(Object.create(null), parsed.params);
    } catch {
      // a broken Content-Type is text/plain (RFC 2045 5.2)
    }
  }
  const children: SieveMessagePart[] = [];
  let text: string | null = null;
  let content: string | undefined;
  const boundary = params['boundary'];
  if (contentType.startsWith('multipart/') && boundary && depth < limits.maxDepth) {
    const delim = '--' + boundary;
    const lines = body.split(/\r?\n/);
    let cur: string[] | null = null;
    const childType = contentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    for (const l of lines) {
      const t = l.trimEnd();
      if (t === delim || t === delim + '--') {
        if (cur && budget.parts < limits.maxParts) children.push(parsePart(cur.join('\r\n'), depth + 1, limits, budget, childType));
        cur = t === delim ? [] : null;
        if (t !== delim) break;
        continue;
      }
      if (cur) cur.push(l);
    }
  } else if (contentType === 'message/rfc822' && depth < limits.maxDepth && budget.parts < limits.maxParts) {
    children.push(parsePart(body, depth + 1, limits, budget, 'text/plain'));
  } else if (contentType.startsWith('text/')) {
    text = decodeBody(body, headers.get('content-transfer-encoding')?.[0] ?? '7bit', params['charset'] ?? 'us-ascii');
  } else if (!contentType.startsWith('multipart/') && contentType !== 'message/rfc822') {
    content = transferDecode(body, headers.get('content-transfer-encoding')?.[0] ?? '7bit').toString('latin1');
  }
  return {
    header: (name: string) => headers.get(name.toLowerCase()) ?? [],
    contentType,
    contentTypeParams: params,
    text,
    children,
    rawBody: body,
    ...(content !== undefined ? { content } : {}),
  };
}

/** Build the interpreter's view of a message from its raw bytes (or a string of them). */
export function parseSieveMessage(raw: Buffer | string, limits: SieveMessageLimits = DEFAULT_LIMITS): SieveMessage {
  const buf = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const root = parsePart(buf.toString('latin1'), 0, limits, { parts: 0 }, 'text/plain');
  return { ...root, size: buf.length };
}
