/*
 * The spamd and rspamd clients against scripted loopback servers: the
 * exact bytes each sends, the reply read, a silent server given up on in
 * time, an oversized reply refused, an HTTP error; and the two scorers
 * joining our score through externalScorers. (A real spamd is in
 * test/interop/spamd.test.ts; rspamd is tested against this script only.)
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../telemetry/logger.js';
import { DEFAULT_RSPAMD, DEFAULT_SPAM_SETTINGS, DEFAULT_SPAMD } from '../settings.js';
import { RspamdClient } from './rspamd-client.js';
import { externalScorers } from './scorers.js';
import { SpamdClient } from './spamd-client.js';

const MESSAGE = Buffer.from('Subject: x\r\n\r\nhi\r\n');
const ENVELOPE = { ip: '192.0.2.1', helo: 'mx.example', sender: 'a@b.example', recipients: ['c@d.example'], queueId: 'Q1', user: null };

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A spamd stand-in: reads the request (until the client half-closes), then writes `answer` (or nothing) and closes. */
async function scriptedSpamd(answer: string | Buffer | null) {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  // Half-open: spamd reads to the client's end of request, then answers; the silent one must stay silent, not close.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      requests.push(Buffer.concat(chunks).toString('latin1'));
      if (answer !== null) socket.end(answer);
    });
    socket.on('error', () => {});
  });
  const port = await listen(server);
  return { address: `127.0.0.1:${port}`, requests, close: () => { for (const s of sockets) s.destroy(); return new Promise<void>((r) => server.close(() => r())); } };
}

async function scriptedRspamd(status: number, body: string | null) {
  const seen: { method: string; url: string; headers: IncomingMessage['rawHeaders']; body: string }[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.rawHeaders, body: Buffer.concat(chunks).toString() });
      if (body === null) return; // silent
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(body);
    });
  });
  const port = await listen(server as unknown as Server);
  return { url: `http://127.0.0.1:${port}`, seen, close: () => { server.closeAllConnections(); return new Promise<void>((r) => server.close(() => r())); } };
}

describe('spamd client', () => {
  it('sends SYMBOLS with the message and reads the reply', async () => {
    const spamd = await scriptedSpamd('SPAMD/1.1 0 EX_OK\r\nContent-length: 5\r\nSpam: True ; 7.5 / 5.0\r\n\r\nGTUBE');
    try {
      const r = await new SpamdClient(spamd.address, 2000).request('SYMBOLS', MESSAGE, 'bob');
      assert.deepEqual(spamd.requests, ['SYMBOLS SPAMC/1.5\r\nContent-length: 18\r\nUser: bob\r\n\r\nSubject: x\r\n\r\nhi\r\n']);
      assert.ok(r.ok && !r.pong && r.score === 7.5 && r.symbols[0] === 'GTUBE');
    } finally {
      await spamd.close();
    }
  });

  it('gives up on a silent spamd after its timeout', async () => {
    const spamd = await scriptedSpamd(null);
    try {
      const started = Date.now();
      await assert.rejects(new SpamdClient(spamd.address, 200).request('CHECK', MESSAGE), /did not answer within 200 ms/);
      assert.ok(Date.now() - started < 2000);
    } finally {
      await spamd.close();
    }
  });

  it('refuses an oversized reply and reports a refused connection', async () => {
    const spamd = await scriptedSpamd(Buffer.alloc(70 * 1024, 'x'));
    try {
      await assert.rejects(new SpamdClient(spamd.address, 2000).request('CHECK', MESSAGE), /reply over/);
    } finally {
      await spamd.close();
    }
    await assert.rejects(new SpamdClient('127.0.0.1:1', 2000).request('PING'), /spamd: .*ECONNREFUSED/);
  });
});

describe('rspamd client', () => {
  it('POSTs the message to /checkv2 with the envelope headers and reads the JSON', async () => {
    const rspamd = await scriptedRspamd(200, '{"score":7.2,"required_score":6.0,"action":"add header","symbols":{"BAYES_SPAM":{"name":"BAYES_SPAM","score":5.1}}}');
    try {
      const r = await new RspamdClient(rspamd.url, 'pw', 2000).check(MESSAGE, ENVELOPE);
      assert.deepEqual(r, { score: 7.2, requiredScore: 6, action: 'add header', symbols: [{ name: 'BAYES_SPAM', score: 5.1 }] });
      const req = rspamd.seen[0]!;
      assert.equal(`${req.method} ${req.url}`, 'POST /checkv2');
      assert.equal(req.body, MESSAGE.toString());
      const headers = Object.fromEntries(req.headers.reduce<[string, string][]>((acc, v, i, all) => (i % 2 === 0 ? [...acc, [v.toLowerCase(), all[i + 1]!]] : acc), []));
      assert.equal(headers.ip, '192.0.2.1');
      assert.equal(headers.helo, 'mx.example');
      assert.equal(headers.from, 'a@b.example');
      assert.equal(headers.rcpt, 'c@d.example');
      assert.equal(headers['queue-id'], 'Q1');
      assert.equal(headers.password, 'pw');
    } finally {
      await rspamd.close();
    }
  });

  it('an HTTP error or a silent rspamd is an error', async () => {
    const failing = await scriptedRspamd(500, '{"error":"oops"}');
    try {
      await assert.rejects(new RspamdClient(failing.url, '', 2000).check(MESSAGE, ENVELOPE), /HTTP 500/);
    } finally {
      await failing.close();
    }
    const silent = await scriptedRspamd(200, null);
    try {
      await assert.rejects(new RspamdClient(silent.url, '', 200).check(MESSAGE, ENVELOPE), /did not answer within 200 ms/);
    } finally {
      await silent.close();
    }
  });
});

describe('external scorers together', () => {
  it('each adds its score on our scale; one that fails adds nothing; a message over maxBytes is not sent', async () => {
    const spamd = await scriptedSpamd('SPAMD/1.1 0 EX_OK\r\nSpam: True ; 10.0 / 5.0\r\n\r\n');
    const rspamd = await scriptedRspamd(200, '{"score":3.0,"required_score":6.0,"action":"no action"}');
    try {
      const both = externalScorers({ ...DEFAULT_SPAM_SETTINGS, spamd: { ...DEFAULT_SPAMD, address: spamd.address, weight: 0.5 }, rspamd: { ...DEFAULT_RSPAMD, url: rspamd.url } });
      assert.deepEqual(await both(MESSAGE, ENVELOPE, silentLogger), [{ name: 'SPAMD', score: 5 }, { name: 'RSPAMD', score: 2.5 }]);
      const down = externalScorers({ ...DEFAULT_SPAM_SETTINGS, spamd: { ...DEFAULT_SPAMD, address: '127.0.0.1:1' }, rspamd: { ...DEFAULT_RSPAMD, url: rspamd.url } });
      assert.deepEqual(await down(MESSAGE, ENVELOPE, silentLogger), [{ name: 'RSPAMD', score: 2.5 }]);
      const small = externalScorers({ ...DEFAULT_SPAM_SETTINGS, spamd: { ...DEFAULT_SPAMD, address: spamd.address, maxBytes: 10 } });
      assert.deepEqual(await small(MESSAGE, ENVELOPE, silentLogger), []);
      assert.equal(spamd.requests.length, 1);
    } finally {
      await spamd.close();
      await rspamd.close();
    }
  });
});
