/*
 * rspamd's HTTP API, as values: the request headers that tell rspamd the
 * envelope (IP, Helo, From, Rcpt, Queue-Id, User) for POST /checkv2 with
 * the message as the body, and the JSON reply (score, required_score,
 * action, symbols) checked field by field. No sockets here
 * (rspamd-client.ts has them).
 *
 * Exports: RspamdEnvelope, RspamdResult, rspamdHeaders, parseRspamdReply.
 * Security: envelope values are the client's (HELO, MAIL FROM, RCPT):
 * CR, LF and other controls are removed before they become header values;
 * the reply is read as JSON and only the fields named here are used, each
 * checked for its type.
 * Standards: rspamd's protocol documentation ("Rspamd HTTP request
 * headers", /checkv2 reply); RFC 9110 (HTTP semantics).
 */

export interface RspamdEnvelope {
  ip: string;
  helo: string;
  sender: string;
  recipients: readonly string[];
  queueId: string;
  /** The authenticated user, if any. */
  user: string | null;
}

export interface RspamdResult {
  score: number;
  requiredScore: number;
  /** "no action", "greylist", "add header", "rewrite subject", "soft reject", "reject". */
  action: string;
  symbols: { name: string; score: number }[];
}

const clean = (v: string) => v.replace(/[\u0000-\u001f\u007f]/g, '');

/** Header pairs for the request (Rcpt once per recipient, so a list). */
export function rspamdHeaders(envelope: RspamdEnvelope, password: string): [string, string][] {
  const h: [string, string][] = [['IP', clean(envelope.ip)], ['Helo', clean(envelope.helo)], ['From', clean(envelope.sender)], ['Queue-Id', clean(envelope.queueId)]];
  for (const r of envelope.recipients) h.push(['Rcpt', clean(r)]);
  if (envelope.user !== null) h.push(['User', clean(envelope.user)]);
  if (password !== '') h.push(['Password', clean(password)]);
  return h.filter(([, v]) => v !== '');
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The reply body; an error (never a score) when it is not rspamd's shape. */
export function parseRspamdReply(body: string): { ok: true; result: RspamdResult } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, message: 'rspamd reply is not JSON' };
  }
  if (typeof json !== 'object' || json === null) return { ok: false, message: 'rspamd reply is not an object' };
  const r = json as Record<string, unknown>;
  if (typeof r.error === 'string') return { ok: false, message: `rspamd: ${r.error}` };
  if (!isNumber(r.score) || !isNumber(r.required_score) || typeof r.action !== 'string') return { ok: false, message: 'rspamd reply without score, required_score and action' };
  const symbols: RspamdResult['symbols'] = [];
  if (typeof r.symbols === 'object' && r.symbols !== null) {
    for (const [name, value] of Object.entries(r.symbols as Record<string, unknown>)) {
      const score = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).score : undefined;
      symbols.push({ name, score: isNumber(score) ? score : 0 });
    }
  }
  return { ok: true, result: { score: r.score, requiredScore: r.required_score, action: r.action, symbols } };
}
