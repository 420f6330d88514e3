/*
 * The MTA-STS policy fetcher against real node:https servers on 127.0.0.1
 * with test certificates for mta-sts.example.test, the name answered by
 * the fake resolver: what RFC 8461 section 3.3 requires of a fetch (a
 * certificate valid for the policy host, only 200 and text/plain, no
 * redirects, bounded size and time), and the whole lookup down to the
 * SQLite cache.
 *
 * Security: test only; every server listens on loopback.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { fakeDns } from '../../src/dns/fake-client.js';
import { HttpsPolicyFetcher, MAX_POLICY_BYTES, POLICY_PATH } from '../../src/sender-auth/mta-sts-fetch.js';
import { MtaStsPolicies } from '../../src/sender-auth/mta-sts.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { createTestCa, issueCertificate, type TestCa, type TestCertificate } from '../support/certs.js';
import { freePorts } from '../support/petrel.js';

const HOST = 'mta-sts.example.test';
const POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmx: *.mx.example.test\r\nmax_age: 604800\r\n';
const DAY = 86_400_000;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Seen { host: string | undefined; servername: string | false | null | undefined; path: string | undefined }

function listenHttps(port: number, cert: TestCertificate, handler: () => Handler, seen: Seen[]): Promise<HttpsServer> {
  const server = createHttpsServer({ key: cert.keyPem, cert: cert.chainPem }, (req, res) => {
    seen.push({ host: req.headers.host, servername: (req.socket as TLSSocket).servername, path: req.url });
    handler()(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const close = (server: HttpsServer) => new Promise<void>((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
});

describe('HttpsPolicyFetcher against node:https on loopback (RFC 8461 3.3)', () => {
  let ca: TestCa;
  let ports: number[];
  const seen: Seen[] = [];
  let handler: Handler = (_req, res) => res.end();
  const servers: HttpsServer[] = [];
  let stall: TcpServer;
  const stalled: Socket[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'petrel-mta-sts-e2e-'));
  const dns = fakeDns({ [HOST]: { a: ['127.0.0.1'] } });
  const fetcher = (index: number, options: { timeoutMs?: number; connectTimeoutMs?: number; ca?: string } = {}) =>
    new HttpsPolicyFetcher({ dns, port: ports[index]!, ca: ca.certPem, ...options });

  before(async () => {
    ca = await createTestCa('Petrel MTA-STS Test CA');
    const other = await createTestCa('Someone Else CA');
    ports = await freePorts(5);
    const good = await issueCertificate(ca, [HOST]);
    const wrongName = await issueCertificate(ca, ['mta-sts.other.test']);
    const expired = await issueCertificate(ca, [HOST], { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
    const untrusted = await issueCertificate(other, [HOST]);
    const fixed: Handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(POLICY);
    servers.push(await listenHttps(ports[0]!, good, () => handler, seen));
    servers.push(await listenHttps(ports[1]!, wrongName, () => fixed, []));
    servers.push(await listenHttps(ports[2]!, expired, () => fixed, []));
    servers.push(await listenHttps(ports[3]!, untrusted, () => fixed, []));
    // Accepts TCP connections and never says a word, not even the TLS handshake.
    stall = createTcpServer((socket) => stalled.push(socket));
    await new Promise<void>((resolve) => stall.listen(ports[4]!, '127.0.0.1', () => resolve()));
  });

  after(async () => {
    await Promise.all(servers.map(close));
    for (const socket of stalled) socket.destroy();
    await new Promise<void>((resolve) => stall.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('200 text/plain: the policy text, fetched from the address our resolver gave, with SNI and Host naming the policy host', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(POLICY);
    seen.length = 0;
    dns.asked.length = 0;
    assert.deepEqual(await fetcher(0).fetch('example.test'), { ok: true, text: POLICY });
    assert.deepEqual(seen, [{ host: `${HOST}:${ports[0]}`, servername: HOST, path: POLICY_PATH }]);
    assert.deepEqual(dns.asked.sort(), [`A ${HOST}`, `AAAA ${HOST}`]);
  });

  it('tries the next address when one refuses the connection', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(POLICY);
    const twoAddresses = fakeDns({ [HOST]: { a: ['127.0.0.2', '127.0.0.1'] } });
    const result = await new HttpsPolicyFetcher({ dns: twoAddresses, port: ports[0]!, ca: ca.certPem }).fetch('example.test');
    assert.deepEqual(result, { ok: true, text: POLICY });
  });

  it('a wrong media type is refused (a web server hosting user content, RFC 8461 3.2)', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(POLICY);
    const result = await fetcher(0).fetch('example.test');
    assert.equal(result.ok, false);
    assert.match((result as { reason: string }).reason, /media type text\/html, not text\/plain/);
    handler = (_req, res) => res.writeHead(200).end(POLICY);
    assert.match((await fetcher(0).fetch('example.test') as { reason: string }).reason, /media type \(none\)/);
  });

  it('404 is a failure', async () => {
    handler = (_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    assert.match((await fetcher(0).fetch('example.test') as { reason: string }).reason, /HTTP 404$/);
  });

  it('a 301 redirect is not followed (RFC 8461 3.3: 3xx MUST NOT be followed)', async () => {
    handler = (req, res) => {
      if (req.url === POLICY_PATH) res.writeHead(301, { location: `https://${HOST}:${ports[0]}/elsewhere.txt` }).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end(POLICY);
    };
    seen.length = 0;
    const result = await fetcher(0).fetch('example.test');
    assert.match((result as { reason: string }).reason, /HTTP 301 \(redirects are not followed\)/);
    assert.deepEqual(seen.map((s) => s.path), [POLICY_PATH]);
  });

  it('a body over 64 KiB is refused, whether announced by Content-Length or streamed', async () => {
    const big = 'x'.repeat(MAX_POLICY_BYTES + 1);
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(big.length) }).end(big);
    assert.match((await fetcher(0).fetch('example.test') as { reason: string }).reason, /policy of 65537 bytes, over 65536/);
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 8; i++) res.write('y'.repeat(16_384));
      res.end();
    };
    assert.match((await fetcher(0).fetch('example.test') as { reason: string }).reason, /policy over 65536 bytes/);
  });

  it('a server that accepts the request and never answers: the fetch ends at its timeout', async () => {
    handler = () => {};
    const started = Date.now();
    const result = await fetcher(0, { timeoutMs: 400 }).fetch('example.test');
    assert.match((result as { reason: string }).reason, /no complete answer within 400 ms/);
    assert.ok(Date.now() - started < 3000);
  });

  it('a server that never completes the TLS handshake: the connection attempt times out', async () => {
    const result = await fetcher(4, { connectTimeoutMs: 300, timeoutMs: 5000 }).fetch('example.test');
    assert.match((result as { reason: string }).reason, /127\.0\.0\.1: no TLS connection within 300 ms/);
  });

  it('a certificate for another name is refused', async () => {
    const result = await fetcher(1).fetch('example.test');
    assert.equal(result.ok, false);
    assert.match((result as { reason: string }).reason, /ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('an expired certificate is refused', async () => {
    assert.match((await fetcher(2).fetch('example.test') as { reason: string }).reason, /CERT_HAS_EXPIRED/);
  });

  it('a certificate from an untrusted CA is refused, as is our test CA when only the system CAs are trusted', async () => {
    assert.match((await fetcher(3).fetch('example.test') as { reason: string }).reason, /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    const systemCas = new HttpsPolicyFetcher({ dns, port: ports[0]! });
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(POLICY);
    assert.match((await systemCas.fetch('example.test') as { reason: string }).reason, /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
  });

  it('no address for the policy host, or the lookup failing: a failure that names it', async () => {
    const none = new HttpsPolicyFetcher({ dns: fakeDns({}), port: ports[0]!, ca: ca.certPem });
    assert.deepEqual(await none.fetch('example.test'), { ok: false, reason: `${HOST} has no address` });
    const broken = new HttpsPolicyFetcher({ dns: fakeDns({ [HOST]: { a: 'temporary', aaaa: 'temporary' } }), port: ports[0]!, ca: ca.certPem });
    assert.match((await broken.fetch('example.test') as { reason: string }).reason, /address lookup for mta-sts\.example\.test failed/);
  });

  it('the whole lookup: TXT record, HTTPS fetch, policy in the SQLite cache, then served from it', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(POLICY);
    const zone = fakeDns({ '_mta-sts.example.test': { txt: ['v=STSv1; id=e2e1'] }, [HOST]: { a: ['127.0.0.1'] } });
    const store = await openSqliteStore({ path: join(dir, 'store.sqlite'), fsync: false });
    try {
      const policies = new MtaStsPolicies({ dns: zone, fetcher: new HttpsPolicyFetcher({ dns: zone, port: ports[0]!, ca: ca.certPem }), cache: store.mtaSts });
      const first = await policies.policyFor('example.test');
      assert.equal(first.mode, 'enforce');
      assert.deepEqual(first.mode === 'enforce' && [first.source, first.mx, first.maxAge], ['fetched', ['mx1.example.test', '*.mx.example.test'], 604800]);
      assert.equal((await store.mtaSts.get('example.test'))?.id, 'e2e1');
      seen.length = 0;
      const second = await policies.policyFor('example.test');
      assert.equal(second.mode === 'enforce' && second.source, 'cache');
      assert.equal(seen.length, 0);
    } finally {
      await store.close();
    }
  });
});
