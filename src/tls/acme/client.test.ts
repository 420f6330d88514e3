/*
 * The bounds createAcmeClient puts on acme-client's HTTP, against a
 * misbehaving "CA" on 127.0.0.1: a 503 with Retry-After of a day is not
 * waited on or retried (acme-client's axios would sleep it), a body over
 * MAX_ACME_RESPONSE_BYTES is cut off and not fetched again, a redirect is
 * not followed. Real issuance against pebble is test/e2e/acme.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createAcmeClient } from './client.js';
import { generateAccountKey } from './keys.js';
import { MAX_ACME_RESPONSE_BYTES } from './limits.js';

describe('createAcmeClient: what a misbehaving CA cannot make us do', () => {
  let server: Server;
  let base: string;
  let key: string;
  const hits: string[] = [];

  before(async () => {
    key = await generateAccountKey();
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/busy/dir') res.writeHead(503, { 'retry-after': '86400', 'content-type': 'application/problem+json' }).end('{"detail":"busy"}');
      else if (req.url === '/huge/dir') res.writeHead(200, { 'content-type': 'application/json' }).end(`{"x":"${'a'.repeat(MAX_ACME_RESPONSE_BYTES + 10)}"}`);
      else if (req.url === '/moved/dir') res.writeHead(301, { location: `${base}/elsewhere/dir` }).end();
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const attempt = async (path: string) => {
    hits.length = 0;
    const started = Date.now();
    const client = createAcmeClient({ directoryUrl: `${base}${path}`, accountKey: key });
    const error = await client.createAccount({ termsOfServiceAgreed: true }).then(
      () => undefined,
      (err: Error) => err,
    );
    return { error, ms: Date.now() - started, hits: [...hits] };
  };

  it('a 503 with Retry-After: 86400 fails at once, asked once', async () => {
    const r = await attempt('/busy/dir');
    assert.match(r.error?.message ?? '', /503/);
    assert.deepEqual(r.hits, ['/busy/dir']);
    assert.ok(r.ms < 5_000);
  });

  it('a body larger than MAX_ACME_RESPONSE_BYTES is refused, and not fetched again', async () => {
    const r = await attempt('/huge/dir');
    assert.match(r.error?.message ?? '', new RegExp(`GET ${base}/huge/dir: no usable answer .*over ${MAX_ACME_RESPONSE_BYTES} bytes`));
    assert.deepEqual(r.hits, ['/huge/dir']);
  });

  it('a CA that is not listening gives an error naming the request', async () => {
    const client = createAcmeClient({ directoryUrl: 'http://127.0.0.1:1/dir', accountKey: key });
    await assert.rejects(client.createAccount({ termsOfServiceAgreed: true }), /ACME GET http:\/\/127\.0\.0\.1:1\/dir: no usable answer/);
  });

  it('a redirect is not followed', async () => {
    const r = await attempt('/moved/dir');
    assert.ok(r.error);
    assert.deepEqual(r.hits, ['/moved/dir']);
  });
});
