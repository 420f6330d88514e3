/*
 * ACME in a running `petrel serve`, against pebble (Let's Encrypt's test
 * CA) and a test BIND on loopback that answers every name of the test
 * zone with 127.0.0.1 and takes TLSA updates signed with a TSIG key.
 * pebble's HTTP-01 validations go to the server's own [http] listener.
 *
 * Proven: the server gets its host certificate by itself (the scheduler's
 * first run), and every TLS listener serves it without a restart, with
 * and without SNI: 25 and 587 (STARTTLS), 465, 143 (STARTTLS) and 993,
 * 110 (STLS) and 995, and HTTPS, the issuer and serial no longer the
 * self-signed ones; `petrel cert issue NAME` run as a CLI beside the
 * running server issues a domain added after the start (its HTTP-01
 * answered by the server's listener from the shared store) and the server
 * serves it; `petrel dns plan` publishes the TLSA pair (the served key and
 * the staged next key); `petrel cert rollover` is refused while the next
 * key's TLSA record is not in the DNS (exit 1, the record line printed),
 * and once the record is added by RFC 2136 it rolls over and port 25
 * serves the former next key; `petrel cert renew` finds nothing due, and
 * the server stops cleanly with its scheduler; with no server running,
 * `petrel cert issue` answers the challenges on the [http] listener it
 * opens itself, and frees the port afterwards. With [acme] challenge =
 * "dns-01", a second server proves its names by TXT records it sends to
 * BIND by RFC 2136 with TSIG (pebble's HTTP-01 port is closed), and
 * every TLS listener serves the certificate.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tls from 'node:tls';
import { DnsUpdater, parseTsigKey } from '../../src/dns/update.js';
import { subjectPublicKeyInfo } from '../../src/sender-auth/dane-der.js';
import { startBind, type BindServer } from '../support/bind.js';
import { startPebble, type PebbleServer } from '../support/pebble.js';
import { PetrelProcess } from '../support/petrel.js';
import { hasTool, requireTools } from '../support/tools.js';

const HOST = 'mx.serve.test';
const SECRET = Buffer.alloc(32, 0x42).toString('base64');

type Dialogue = 'implicit' | 'smtp' | 'imap' | 'pop3';

/** Reads from the socket until `pattern` matches what arrived since the last call. */
function expect(socket: net.Socket, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => done(new Error(`no ${pattern} in ${JSON.stringify(text)}`)), 10_000);
    const onData = (d: Buffer) => {
      text += d.toString('latin1');
      if (pattern.test(text)) done();
    };
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData);
      if (err) reject(err);
      else resolve();
    };
    socket.on('data', onData);
  });
}

/** The certificate a listener presents after its protocol's TLS start, and whether it verifies against `ca` for `servername`. */
async function served(port: number, dialogue: Dialogue, servername: string | undefined, ca?: string): Promise<{ cert: X509Certificate; authorized: boolean }> {
  let plain: net.Socket | undefined;
  if (dialogue !== 'implicit') {
    const socket = net.connect(port, '127.0.0.1');
    plain = socket;
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const steps: Record<Exclude<Dialogue, 'implicit'>, [RegExp, string, RegExp][]> = {
      smtp: [[/^220 .*\r\n/m, 'EHLO client.test\r\n', /^250 .*\r\n/m], [/$/, 'STARTTLS\r\n', /^220 .*\r\n/m]],
      imap: [[/^\* OK.*\r\n/m, 'a STARTTLS\r\n', /^a OK.*\r\n/m]],
      pop3: [[/^\+OK.*\r\n/m, 'STLS\r\n', /^\+OK.*\r\n/m]],
    };
    let first = true;
    for (const [greeting, command, reply] of steps[dialogue]) {
      if (first) await expect(socket, greeting);
      first = false;
      const answered = expect(socket, reply);
      socket.write(command);
      await answered;
    }
  }
  return new Promise((resolve, reject) => {
    const options: tls.ConnectionOptions = { servername, ca, rejectUnauthorized: false, ...(plain ? { socket: plain } : { host: '127.0.0.1', port }) };
    const secure = tls.connect(options, () => {
      const cert = secure.getPeerX509Certificate();
      const authorized = secure.authorized;
      secure.destroy();
      if (cert) resolve({ cert, authorized });
      else reject(new Error('no certificate'));
    });
    secure.once('error', reject);
  });
}

/** The server's log line for an HTTP-01 validation of `host` answered 200 by its [http] listener. */
const challengeAnswered = (host: string) => new RegExp(`http request method=GET host=${host.replace(/\./g, '\\.')}(:\\d+)? path=/\\.well-known/acme-challenge/[A-Za-z0-9_-]+ status=200`);

const countIn = (text: string, pattern: RegExp) => (text.match(new RegExp(pattern.source, 'g')) ?? []).length;
const RELOADED = / reloaded certificates=/;

/** Resolves when the log has more matches of `pattern` than `count` (a later event than the ones seen). */
async function moreInLog(p: PetrelProcess, pattern: RegExp, count: number, timeoutMs = 10_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; countIn(p.log, pattern) <= count; ) {
    if (Date.now() > end) throw new Error(`no new ${pattern} in log:\n${p.log.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const spkiOf = (cert: X509Certificate) => createHash('sha256').update(subjectPublicKeyInfo(cert.raw)).digest('hex');

interface AcmeFixture {
  bind: BindServer;
  pebble: PebbleServer;
  p: PetrelProcess;
  root: string;
}

/**
 * A test BIND for zone (every name 127.0.0.1, updates of `updates` records by TSIG), a Petrel (not started) for host
 * resolving through it, and pebble validating against them; [acme] is appended with `acme` lines after the CA's.
 */
async function acmeFixture(zone: string, host: string, updates: string, acme: (f: { caFile: string; bind: BindServer }) => string, httpPort?: number): Promise<AcmeFixture> {
  const bind = await startBind(
    { [zone]: 'mx IN A 127.0.0.1\n* IN A 127.0.0.1' },
    { keys: [{ name: 'petrel-test', algorithm: 'hmac-sha256', secret: SECRET }], updatePolicy: { [zone]: `grant petrel-test zonesub ${updates};` } },
  );
  const p = await PetrelProcess.create({ hostname: host, logLevel: 'info', dns: `resolvers = ["${bind.address}"]\ntimeout = "1s"\ntries = 2` });
  const pebble = await startPebble({ dnsServer: bind.address, httpPort: httpPort ?? p.ports.http });
  const caFile = join(p.dataDir, 'pebble-api-ca.pem');
  writeFileSync(caFile, pebble.apiCa);
  appendFileSync(p.configFile, `[acme]\nenabled = true\ndirectory_url = "${pebble.directoryUrl}"\nemail = "hostmaster@${zone}"\ndirectory_ca = "${caFile}"\n${acme({ caFile, bind })}\n`);
  return { bind, pebble, p, root: await pebble.root() };
}

describe('ACME in petrel serve, against pebble', () => {
  let bind: BindServer | undefined;
  let pebble: PebbleServer | undefined;
  let p: PetrelProcess | undefined;
  let root = '';
  let intermediate: X509Certificate | undefined;

  before(async () => {
    if (!hasTool('pebble') || !hasTool('named')) return;
    ({ bind, pebble, p, root } = await acmeFixture('serve.test', HOST, 'TLSA', () => ''));
    intermediate = new X509Certificate(await pebble.intermediate());
  });

  after(async () => {
    await p?.destroy();
    await pebble?.stop();
    await bind?.stop();
  });

  /** Every TLS listener, with how it starts TLS. */
  const listeners = (): [string, number, Dialogue][] => [
    ['mx', p!.ports.mx, 'smtp'],
    ['submission', p!.ports.submission, 'smtp'],
    ['submissions', p!.ports.submissions, 'implicit'],
    ['imap', p!.ports.imap, 'imap'],
    ['imaps', p!.ports.imaps, 'implicit'],
    ['pop3', p!.ports.pop3, 'pop3'],
    ['pop3s', p!.ports.pop3s, 'implicit'],
    ['https', p!.ports.https, 'implicit'],
  ];

  it('gets the host certificate by HTTP-01 through its own listener, and every TLS listener serves it without a restart', async (t) => {
    if (!requireTools(t, 'pebble', 'named')) return;
    await p!.start();
    const before = new Map<string, X509Certificate>();
    for (const [role, port, dialogue] of listeners()) before.set(role, (await served(port, dialogue, HOST)).cert);
    for (const [role, cert] of before) assert.match(cert.issuer, /Petrel self-signed/, `${role} starts self-signed`);

    await p!.waitForLog(/"acme certificate issued" name=mx\.serve\.test/, 30_000);
    await p!.waitForLog(/"certificate served" name=mx\.serve\.test/, 10_000);
    assert.match(p!.log, challengeAnswered(HOST), 'pebble fetched the key authorization from the server\'s own [http] listener');
    for (const [role, port, dialogue] of listeners()) {
      const now = await served(port, dialogue, HOST, root);
      assert.equal(now.cert.issuer, intermediate!.subject, `${role}: issued by pebble`);
      assert.ok(now.authorized, `${role}: verifies against pebble's root for ${HOST}`);
      assert.notEqual(now.cert.serialNumber, before.get(role)!.serialNumber, `${role}: a new certificate`);
    }
    // Postfix sends no SNI: the listener's default context was replaced too.
    const bare = await served(p!.ports.mx, 'smtp', undefined);
    assert.equal(bare.cert.issuer, intermediate!.subject, 'port 25 without SNI');
    assert.doesNotMatch(p!.log, /petrel exited|FATAL/);
  });

  it('petrel cert issue NAME, beside the running server, issues a domain added after the start; the server serves it', async (t) => {
    if (!requireTools(t, 'pebble', 'named')) return;
    await p!.addDomain('serve.test');
    const unknown = await p!.cli(['cert', 'issue', 'nope.example']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /nope\.example is in none of the configured certificates: mx\.serve\.test, mail\.serve\.test/);

    const reloads = countIn(p!.log, RELOADED);
    const r = await p!.cli(['cert', 'issue', 'mta-sts.serve.test']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^issued mail\.serve\.test \(mail\.serve\.test, mta-sts\.serve\.test, autoconfig\.serve\.test, autodiscover\.serve\.test\), valid until /m);
    assert.match(r.stdout, /asked the server \(pid \d+\) to reload/);
    await moreInLog(p!, RELOADED, reloads);
    for (const name of ['mail.serve.test', 'mta-sts.serve.test', 'autoconfig.serve.test', 'autodiscover.serve.test']) {
      assert.match(p!.log, challengeAnswered(name), `the CLI's challenge for ${name} answered by the running server`);
    }
    for (const name of ['mta-sts.serve.test', 'autoconfig.serve.test']) {
      const https = await served(p!.ports.https, 'implicit', name, root);
      assert.ok(https.authorized, `HTTPS for ${name} verifies`);
      assert.ok(https.cert.subjectAltName?.includes(`DNS:${name}`));
    }
    const imaps = await served(p!.ports.imaps, 'implicit', 'mail.serve.test', root);
    assert.ok(imaps.authorized && imaps.cert.subjectAltName?.includes('DNS:mail.serve.test'));
  });

  it('cert rollover is refused until the next key\'s TLSA record is in the DNS, then port 25 serves the former next key; dns plan publishes the pair', async (t) => {
    if (!requireTools(t, 'pebble', 'named')) return;
    const current = spkiOf((await served(p!.ports.mx, 'smtp', HOST)).cert);
    const refused = await p!.cli(['cert', 'rollover']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /not visible at _25\._tcp\.mx\.serve\.test/);
    const line = /^_25\._tcp\.mx\.serve\.test\. 3600 IN TLSA 3 1 1 ([0-9a-f]{64})$/m.exec(refused.stdout);
    assert.ok(line, refused.stdout);
    const next = line[1]!;
    assert.notEqual(next, current);

    const plan = await p!.cli(['dns', 'plan', 'serve.test']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, new RegExp(`^_25\\._tcp\\.mx\\.serve\\.test\\. 3600 IN TLSA 3 1 1 ${current} ; `, 'm'), 'the served key');
    assert.match(plan.stdout, new RegExp(`^_25\\._tcp\\.mx\\.serve\\.test\\. 3600 IN TLSA 3 1 1 ${next} ; `, 'm'), 'the next key');

    const updater = new DnsUpdater({ server: bind!.address, key: parseTsigKey('petrel-test', 'hmac-sha256', SECRET) });
    for (const spki of [current, next]) {
      await updater.update('serve.test', [{ kind: 'add', record: { name: `_25._tcp.${HOST}`, type: 'TLSA', ttl: 60, data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.from(spki, 'hex') } } }]);
    }
    const reloads = countIn(p!.log, RELOADED);
    const rolled = await p!.cli(['cert', 'rollover', HOST]);
    assert.equal(rolled.code, 0, rolled.stderr + rolled.stdout);
    assert.match(rolled.stdout, new RegExp(`^rolled over mx\\.serve\\.test: the key served now is ${next} \\(was ${current}\\)$`, 'm'));
    assert.match(rolled.stdout, /^_25\._tcp\.mx\.serve\.test\. 3600 IN TLSA 3 1 1 [0-9a-f]{64}$/m, 'the new next key to publish');
    await moreInLog(p!, RELOADED, reloads);
    for (const [role, port, dialogue] of listeners().filter(([role]) => role === 'mx' || role === 'submissions')) {
      const now = await served(port, dialogue, HOST, root);
      assert.ok(now.authorized, role);
      assert.equal(spkiOf(now.cert), next, `${role} serves the former next key, matching its TLSA record`);
    }
  });

  it('petrel cert list shows the renewal date and the DANE keys; cert renew finds nothing due; the server stops cleanly with its scheduler', async (t) => {
    if (!requireTools(t, 'pebble', 'named')) return;
    const list = await p!.cli(['cert', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^ {2}mx\.serve\.test: mx\.serve\.test; expires \S+, renews after \S+$/m);
    assert.match(list.stdout, /^ {4}key served now: TLSA 3 1 1 [0-9a-f]{64}$/m);
    assert.match(list.stdout, /^ {4}next key: {7}TLSA 3 1 1 [0-9a-f]{64} \(petrel cert rollover switches/m);
    const r = await p!.cli(['cert', 'renew']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^mx\.serve\.test: not due, renews after /m);
    assert.match(r.stdout, /^mail\.serve\.test: not due, renews after /m);
    assert.equal(await p!.stop('SIGTERM'), 0);
    assert.match(p!.log, /stopped/);
  });

  it('with no server running, petrel cert issue opens the [http] listener itself for the challenges (standalone), and closes it', async (t) => {
    if (!requireTools(t, 'pebble', 'named')) return;
    const r = await p!.cli(['cert', 'issue', 'mail.serve.test']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stderr, new RegExp(`no running server: answering HTTP-01 challenges on 127\\.0\\.0\\.1:${p!.ports.http}`));
    assert.match(r.stdout, /^issued mail\.serve\.test \(/m);
    assert.doesNotMatch(r.stdout, /asked the server/);
    // The listener is gone with the command: the port is free again.
    await new Promise<void>((resolve, reject) => {
      const server = net.createServer().once('error', reject).listen(p!.ports.http, '127.0.0.1', () => server.close(() => resolve()));
    });
  });
});

describe('ACME DNS-01 in petrel serve, against pebble and BIND', () => {
  const host = 'mx.dns01.test';
  let bind: BindServer | undefined;
  let pebble: PebbleServer | undefined;
  let p: PetrelProcess | undefined;
  let root = '';

  before(async () => {
    if (!hasTool('pebble') || !hasTool('named')) return;
    // HTTP-01 validations go to a closed port: only DNS-01 can succeed.
    ({ bind, pebble, p, root } = await acmeFixture('dns01.test', host, 'TXT', (f) =>
      `challenge = "dns-01"\n[acme.dns_update]\nserver = "${f.bind.address}"\nkey_name = "petrel-test"\nkey_secret = "${SECRET}"\npropagation = "1s"`, 9));
  });

  after(async () => {
    await p?.destroy();
    await pebble?.stop();
    await bind?.stop();
  });

  it('proves the names with TXT records sent by RFC 2136 to BIND, and every TLS listener serves the certificate without a restart', async (t) => {
    if (!requireTools(t, 'pebble', 'named')) return;
    await p!.start();
    await p!.waitForLog(/"acme certificate issued" name=mx\.dns01\.test/, 45_000);
    await p!.waitForLog(/"certificate served" name=mx\.dns01\.test/, 10_000);
    assert.doesNotMatch(p!.log, /path=\/\.well-known\/acme-challenge\//, 'no HTTP-01 request came');
    const ports: [number, Dialogue][] = [[p!.ports.mx, 'smtp'], [p!.ports.submission, 'smtp'], [p!.ports.submissions, 'implicit'], [p!.ports.imap, 'imap'], [p!.ports.imaps, 'implicit'], [p!.ports.pop3, 'pop3'], [p!.ports.pop3s, 'implicit'], [p!.ports.https, 'implicit']];
    for (const [port, dialogue] of ports) {
      const now = await served(port, dialogue, host, root);
      assert.ok(now.authorized, `port ${port}: verifies against pebble's root for ${host}`);
    }
  });
});
