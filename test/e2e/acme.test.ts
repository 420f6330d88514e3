/*
 * Petrel's ACME client against pebble (Let's Encrypt's test CA, from
 * Debian) on loopback. pebble resolves names with a test BIND that answers
 * them with 127.0.0.1 and takes RFC 2136 updates signed with a TSIG key;
 * HTTP-01 validations reach a loopback HTTP server answering from the
 * AcmeStore (standing in for Petrel's [http] listener); pebble's API is
 * trusted through the test CA of its listener certificate only.
 *
 * Proven: the account is registered once and reused (its contact
 * updated); HTTP-01 issuance for two names, the challenges gone from the
 * store afterwards; DNS-01 issuance with a wildcard through Petrel's RFC
 * 2136 updates, the TXT records gone afterwards; the files in the Let's
 * Encrypt layout with their modes; a real certificate registry serving
 * each by SNI, chained to pebble's intermediate and verified against its
 * root; renewal only when due (a fake clock), keeping the key, and a
 * reissue when the names change; DANE rollover (nothing changes until the
 * next key's TLSA is said to be visible, then the served key is the former
 * next key and a new next key exists); the scheduler driving renewDue and
 * a due renewal rolling over by itself when told the next key's TLSA is
 * visible; a name the CA cannot validate fails with the CA's reason,
 * backs off, and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tls from 'node:tls';
import { DnsUpdater, parseTsigKey } from '../../src/dns/update.js';
import { WireDnsClient } from '../../src/dns/wire-client.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { MetadataStore } from '../../src/store/types.js';
import { createMemoryLogger, silentLogger } from '../../src/telemetry/index.js';
import { openCertificateRegistry, type CertificateRegistry } from '../../src/tls/index.js';
import { AcmeManager, startRenewalScheduler, type AcmeManagerOptions, type CertificateRequest } from '../../src/tls/acme/index.js';
import { startBind, type BindServer } from '../support/bind.js';
import { makeTempDir } from '../support/certs.js';
import { startChallengeResponder, startPebble, type ChallengeResponder, type PebbleServer } from '../support/pebble.js';
import { hasTool, requireTools } from '../support/tools.js';

const DAY = 86_400_000;
const RENEW_BEFORE = 30 * DAY;
const SECRET = Buffer.alloc(32, 0x21).toString('base64');
const MAIL: CertificateRequest = { name: 'mail.acme.test', names: ['mail.acme.test', 'mta-sts.acme.test'] };
const WILD: CertificateRequest = { name: 'wild.acme.test', names: ['wild.acme.test', '*.wild.acme.test'] };

interface Env {
  tmp: { dir: string; cleanup: () => Promise<void> };
  bind: BindServer;
  store: MetadataStore;
  responder: ChallengeResponder;
  pebble: PebbleServer;
  updater: DnsUpdater;
  registry: CertificateRegistry;
  certsDir: string;
  root: string;
  intermediate: X509Certificate;
}

const sha256 = (der: Buffer) => createHash('sha256').update(der).digest('hex');

/** The certificate a TLS listener on the registry presents for `servername`, verified against pebble's root and the name. */
async function served(registry: CertificateRegistry, servername: string, root: string): Promise<X509Certificate> {
  const server = tls.createServer(registry.serverOptions('smtp'), (s) => s.end());
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await new Promise<X509Certificate>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername, ca: root }, () => {
        const peer = socket.getPeerX509Certificate();
        socket.destroy();
        if (!peer) reject(new Error('no peer certificate'));
        else resolve(peer);
      });
      socket.on('error', reject);
    });
  } finally {
    server.close();
  }
}

describe('ACME issuance against pebble', () => {
  let env: Env | undefined;

  before(async () => {
    if (!hasTool('pebble') || !hasTool('named')) return;
    const tmp = await makeTempDir('petrel-acme-');
    const bind = await startBind(
      { 'acme.test': ['mail IN A 127.0.0.1', 'mta-sts IN A 127.0.0.1', 'autoconfig IN A 127.0.0.1'].join('\n') },
      { keys: [{ name: 'petrel-acme', algorithm: 'hmac-sha256', secret: SECRET }], updatePolicy: { 'acme.test': 'grant petrel-acme zonesub TXT;' } },
    );
    const store = await openSqliteStore({ path: join(tmp.dir, 'petrel.db'), fsync: false });
    const responder = await startChallengeResponder(store.acme);
    const pebble = await startPebble({ dnsServer: bind.address, httpPort: responder.port });
    const certsDir = join(tmp.dir, 'certs');
    const registry = await openCertificateRegistry({ certsDir, certificates: [], selfSignedDir: join(tmp.dir, 'self-signed'), hostname: 'mail.acme.test' }, silentLogger, { watch: false });
    env = {
      tmp, bind, store, responder, pebble, registry, certsDir,
      updater: new DnsUpdater({ server: bind.address, key: parseTsigKey('petrel-acme', 'hmac-sha256', SECRET) }),
      root: await pebble.root(),
      intermediate: new X509Certificate(await pebble.intermediate()),
    };
  });

  after(async () => {
    if (!env) return;
    env.registry.close();
    await env.pebble.stop();
    await env.responder.close();
    await env.bind.stop();
    await env.store.close();
    await env.tmp.cleanup();
  });

  const manager = (extra: Partial<AcmeManagerOptions> = {}): AcmeManager =>
    new AcmeManager({
      settings: { directoryUrl: env!.pebble.directoryUrl, email: 'postmaster@acme.test', challenge: 'http-01', renewBeforeMs: RENEW_BEFORE },
      certsDir: env!.certsDir,
      store: env!.store.acme,
      logger: silentLogger,
      dns: env!.updater,
      directoryCa: env!.pebble.apiCa,
      dnsPropagationMs: 0,
      onIssued: () => env!.registry.reload().then(() => undefined),
      ...extra,
    });

  it('registers the account once with its contact, reuses it from the store, and updates a changed contact', async (t) => {
    if (!requireTools(t, 'pebble', 'named')) return;
    const first = await manager().account();
    assert.equal(first.created, true);
    const again = await manager().account();
    assert.deepEqual(again, { accountUrl: first.accountUrl, created: false });
    const saved = await env!.store.acme.account(env!.pebble.directoryUrl);
    assert.equal(saved?.accountUrl, first.accountUrl);
    assert.match(saved?.accountKey ?? '', /BEGIN PRIVATE KEY/);
    assert.equal(saved?.email, 'postmaster@acme.test');
    const logger = createMemoryLogger();
    const changed = manager({ logger, settings: { directoryUrl: env!.pebble.directoryUrl, email: 'hostmaster@acme.test', challenge: 'http-01', renewBeforeMs: RENEW_BEFORE } });
    assert.equal((await changed.account()).created, false);
    assert.equal((await env!.store.acme.account(env!.pebble.directoryUrl))?.email, 'hostmaster@acme.test');
    assert.ok(logger.lines.some((l) => l.includes('acme account contact updated')));
    assert.equal(env!.pebble.log().match(/POST \/sign-me-up/g)?.length, 1, 'newAccount was asked once');
  });

  it('HTTP-01: a certificate for two names, in the Let\'s Encrypt layout, served by SNI, chained to pebble\'s intermediate', async (t) => {
    if (!requireTools(t, 'pebble', 'named')) return;
    const asked = env!.responder.asked.length;
    const result = await manager().issue(MAIL);
    assert.deepEqual(result.names, MAIL.names);
    assert.equal(result.rolledOver, false);
    assert.ok(result.dane.current && result.dane.next && result.dane.current !== result.dane.next);

    const tokens = env!.responder.asked.slice(asked);
    assert.ok(tokens.length >= 2, 'pebble fetched a token per name from our stand-in listener');
    for (const token of tokens) assert.equal(await env!.store.acme.challenge(token, Date.now()), undefined, 'challenge removed after the order');

    const live = join(env!.certsDir, 'live', 'mail.acme.test');
    assert.deepEqual((await readdir(live)).sort(), ['fullchain.pem', 'next-privkey.pem', 'petrel-acme.json', 'privkey.pem']);
    assert.equal((await stat(join(live, 'privkey.pem'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(live, 'next-privkey.pem'))).mode & 0o777, 0o600);

    for (const name of MAIL.names) {
      const peer = await served(env!.registry, name, env!.root);
      assert.equal(peer.issuer, env!.intermediate.subject, 'issued by pebble\'s intermediate');
      assert.ok(peer.checkIssued(env!.intermediate));
      assert.equal(sha256(peer.publicKey.export({ type: 'spki', format: 'der' })), result.dane.current, 'the served key is the current key');
    }
    assert.equal(env!.registry.list().find((c) => c.names.includes('mta-sts.acme.test'))?.selfSigned, false);
  });

  it('DNS-01 with a wildcard: TXT records by RFC 2136, removed afterwards; the wildcard is served for any one label', async (t) => {
    if (!requireTools(t, 'pebble', 'named')) return;
    const asked = env!.responder.asked.length;
    // The real updater, its calls noted on the way through.
    const calls: string[] = [];
    const dns = {
      addTxt: (name: string, value: string, ttl: number) => (calls.push(`add ${name}`), env!.updater.addTxt(name, value, ttl)),
      removeTxt: (name: string, value: string) => (calls.push(`remove ${name}`), env!.updater.removeTxt(name, value)),
    };
    const result = await manager({ dns, settings: { directoryUrl: env!.pebble.directoryUrl, email: 'hostmaster@acme.test', challenge: 'dns-01', renewBeforeMs: RENEW_BEFORE } }).issue(WILD);
    assert.deepEqual(result.names, WILD.names);
    assert.equal(env!.responder.asked.length, asked, 'no HTTP-01 request: both names were proven in the DNS');
    assert.deepEqual(calls.sort(), ['add _acme-challenge.wild.acme.test', 'add _acme-challenge.wild.acme.test', 'remove _acme-challenge.wild.acme.test', 'remove _acme-challenge.wild.acme.test'], 'two values at one name (the wildcard and its base), both removed');
    const resolver = new WireDnsClient({ servers: [env!.bind.address], timeoutMs: 1000, tries: 2 });
    assert.equal((await resolver.txt('_acme-challenge.wild.acme.test')).ok, false, 'the TXT records were deleted');
    for (const name of ['wild.acme.test', 'smtp.wild.acme.test', 'anything.wild.acme.test']) {
      const peer = await served(env!.registry, name, env!.root);
      assert.equal(peer.issuer, env!.intermediate.subject);
      assert.match(peer.subjectAltName ?? '', /DNS:\*\.wild\.acme\.test/);
    }
  });

  it('renews only when due (a fake clock at renew_before), keeping the key; a changed name set is reissued at once', async (t) => {
    if (!requireTools(t, 'pebble', 'named')) return;
    const before = (await manager().status('mail.acme.test'))!;
    const servedBefore = await served(env!.registry, 'mail.acme.test', env!.root);
    const notDue = await manager().renewDue([MAIL]);
    assert.equal(notDue[0]?.outcome, 'not-due');
    assert.ok(notDue[0]?.outcome === 'not-due' && notDue[0].renewAt.getTime() <= before.notAfter.getTime() - RENEW_BEFORE);

    const late = manager({ clock: { now: () => before.notAfter.getTime() - RENEW_BEFORE + 1 } });
    const [renewed] = await late.renewDue([MAIL]);
    assert.equal(renewed?.outcome, 'renewed', JSON.stringify(renewed));
    const after = (await manager().status('mail.acme.test'))!;
    assert.equal(after.dane.current, before.dane.current, 'DANE: a renewal keeps the key');
    assert.equal(after.dane.next, before.dane.next);
    assert.notEqual((await served(env!.registry, 'mail.acme.test', env!.root)).serialNumber, servedBefore.serialNumber, 'the renewed certificate is served');
    assert.ok(after.notBefore.getTime() >= before.notBefore.getTime());

    const grown: CertificateRequest = { name: 'mail.acme.test', names: [...MAIL.names, 'autoconfig.acme.test'] };
    const [reissued] = await manager().renewDue([grown]);
    assert.equal(reissued?.outcome, 'renewed', JSON.stringify(reissued));
    assert.ok((await served(env!.registry, 'autoconfig.acme.test', env!.root)).subjectAltName?.includes('DNS:autoconfig.acme.test'));
    const [settled] = await manager().renewDue([grown]);
    assert.equal(settled?.outcome, 'not-due');
  });

  it('DANE rollover: nothing changes until the next key\'s TLSA is visible; then the served key is the former next key', async (t) => {
    if (!requireTools(t, 'pebble', 'named')) return;
    const m = manager();
    const keys = await m.daneKeys('mail.acme.test');
    const before = (await m.status('mail.acme.test'))!;
    assert.deepEqual(keys, before.dane);
    const seen: string[] = [];
    const waiting = await m.rollover('mail.acme.test', (spki) => (seen.push(spki), false));
    assert.deepEqual(waiting, { name: 'mail.acme.test', outcome: 'not-published', next: keys.next });
    assert.deepEqual(seen, [keys.next], 'asked about the next key');
    assert.deepEqual((await m.status('mail.acme.test'))!.dane, keys, 'not published: same keys');

    const rolled = await m.rollover('mail.acme.test', (spki) => spki === keys.next);
    assert.equal(rolled.outcome, 'rolled');
    if (rolled.outcome !== 'rolled') return;
    assert.equal(rolled.previous, keys.current);
    assert.equal(rolled.result.rolledOver, true);
    assert.equal(rolled.result.dane.current, keys.next);
    assert.ok(rolled.result.dane.next && rolled.result.dane.next !== keys.next && rolled.result.dane.next !== keys.current);
    const status = (await m.status('mail.acme.test'))!;
    assert.equal(status.rolloverPending, false);
    assert.equal(status.consistent, true);
    const peer = await served(env!.registry, 'mta-sts.acme.test', env!.root);
    assert.equal(sha256(peer.publicKey.export({ type: 'spki', format: 'der' })), keys.next, 'TLSA 3 1 1 of the former next key matches what is served');
  });

  it('the scheduler runs renewDue; with nextKeyPublished, a due renewal rolls over by itself once the next key\'s TLSA is visible', async (t) => {
    if (!requireTools(t, 'pebble', 'named')) return;
    const before = (await manager().status('wild.acme.test'))!;
    const asked: string[] = [];
    const m = manager({
      clock: { now: () => before.notAfter.getTime() - RENEW_BEFORE + 1 },
      nextKeyPublished: async (name, spki) => (asked.push(`${name} ${spki}`), true),
      settings: { directoryUrl: env!.pebble.directoryUrl, email: 'hostmaster@acme.test', challenge: 'dns-01', renewBeforeMs: RENEW_BEFORE },
    });
    const outcomes: unknown[] = [];
    const scheduler = startRenewalScheduler({ job: async () => outcomes.push(...(await m.renewDue([WILD]))), logger: silentLogger, firstDelayMs: 60_000 });
    try {
      await scheduler.runNow();
    } finally {
      await scheduler.stop();
    }
    assert.equal(outcomes.length, 1);
    const [renewed] = outcomes as Awaited<ReturnType<AcmeManager['renewDue']>>;
    assert.ok(renewed?.outcome === 'renewed' && renewed.result.rolledOver, JSON.stringify(renewed));
    assert.deepEqual(asked, [`wild.acme.test ${before.dane.next}`]);
    assert.equal((await manager().status('wild.acme.test'))!.dane.current, before.dane.next);
    const peer = await served(env!.registry, 'x.wild.acme.test', env!.root);
    assert.equal(sha256(peer.publicKey.export({ type: 'spki', format: 'der' })), before.dane.next);
  });

  it('a name the CA cannot validate fails with the CA\'s reason, backs off, and leaves no challenge or file behind', async (t) => {
    if (!requireTools(t, 'pebble', 'named')) return;
    const logger = createMemoryLogger();
    const m = manager({ logger });
    const asked = env!.responder.asked.length;
    const request: CertificateRequest = { name: 'nope.acme.test', names: ['nope.acme.test'] };
    const [failed] = await m.renewDue([request]);
    assert.equal(failed?.outcome, 'failed');
    assert.ok(failed?.outcome === 'failed' && /nope\.acme\.test/.test(failed.error) && failed.retryAt.getTime() > Date.now() + 3_000_000, JSON.stringify(failed));
    assert.ok(logger.lines.some((l) => l.includes('acme issuance failed') && l.includes('nope.acme.test')));
    const [waiting] = await m.renewDue([request]);
    assert.equal(waiting?.outcome, 'waiting');
    assert.equal(env!.responder.asked.length, asked, 'pebble could not even resolve the name');
    await assert.rejects(stat(join(env!.certsDir, 'live', 'nope.acme.test')), { code: 'ENOENT' }, 'no directory for the registry to trip on');
    assert.deepEqual((await readdir(join(env!.certsDir, 'live'))).filter((f) => f.startsWith('.')), [], 'no lock left');
    assert.equal(await m.status('nope.acme.test'), undefined);
  });
});
