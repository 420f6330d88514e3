/*
 * A client of rspamd's HTTP API: POST /checkv2 with the message as the
 * body and the envelope as headers, the JSON reply read within a bound,
 * the whole exchange bounded in time. fetch is injected (Node's by
 * default).
 *
 * Exports: RspamdClient, FetchLike.
 * Security: rspamd is the operator's; the reply is read at most
 * MAX_EXTERNAL_REPLY_BYTES, a silent rspamd is given up on after
 * timeoutMs, a non-200 answer or a reply that does not parse is an error
 * (the filter then counts no external score).
 * Standards: see rspamd-codec.ts.
 */
import { MAX_EXTERNAL_REPLY_BYTES } from '../limits.js';
import { parseRspamdReply, rspamdHeaders, type RspamdEnvelope, type RspamdResult } from './rspamd-codec.js';

export type FetchLike = (url: string, init: { method: string; headers: [string, string][]; body: Buffer; signal: AbortSignal }) => Promise<Response>;

/** The body, as text, or an error past the bound. */
async function boundedText(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_EXTERNAL_REPLY_BYTES) {
      await reader.cancel();
      throw new Error(`rspamd reply over ${MAX_EXTERNAL_REPLY_BYTES} octets`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export class RspamdClient {
  constructor(
    private readonly baseUrl: string,
    private readonly password: string,
    private readonly timeoutMs: number,
    private readonly fetch: FetchLike = globalThis.fetch as FetchLike,
  ) {}

  async check(message: Buffer, envelope: RspamdEnvelope): Promise<RspamdResult> {
    const url = new URL('/checkv2', this.baseUrl).toString();
    const signal = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    try {
      res = await this.fetch(url, { method: 'POST', headers: rspamdHeaders(envelope, this.password), body: message, signal });
    } catch (err) {
      throw new Error(signal.aborted ? `rspamd did not answer within ${this.timeoutMs} ms` : `rspamd: ${err instanceof Error ? err.message : String(err)}`);
    }
    const text = await boundedText(res);
    if (res.status !== 200) throw new Error(`rspamd answered HTTP ${res.status}`);
    const parsed = parseRspamdReply(text);
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.result;
  }
}
