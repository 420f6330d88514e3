/*
 * RFC 2136 updates with TSIG against a real BIND (named from Debian) that
 * holds a test zone open to updates by update-policy for one key, and
 * BIND's own nsupdate as a second implementation of the MAC: a TXT added
 * is read back with Petrel's wire client and deleted again; hmac-sha512
 * over UDP; and the refusals, each with the error it must give: a wrong
 * secret (BADSIG), an unknown key (BADKEY), a skewed clock (BADTIME), a
 * type the policy does not grant (REFUSED), a name outside the zone
 * (NOTZONE), a zone the server does not have (NOTAUTH; and no zone found
 * for the name), a zone without updates (REFUSED); none changes the zone.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, it, type TestContext } from 'node:test';
import { DnsUpdateError, DnsUpdater, appendTsig, parseTsigKey, verifyTsig, type TsigKey } from '../../src/dns/update.js';
import { WireDnsClient } from '../../src/dns/wire-client.js';
import { startBind, type BindServer } from '../support/bind.js';
import { hasTool, requireTools, run } from '../support/tools.js';

const SECRET = Buffer.alloc(32, 0x3c).toString('base64');
const SECRET_512 = Buffer.alloc(64, 0x5d).toString('base64');
const KEY = parseTsigKey('petrel-acme', 'hmac-sha256', SECRET);
const KEY_512 = parseTsigKey('petrel-any', 'hmac-sha512', SECRET_512);

describe('RFC 2136 updates against BIND', () => {
  let bind: BindServer | undefined;
  let dns: WireDnsClient;
  const txt = async (name: string) => {
    const a = await dns.txt(name);
    return a.ok ? [...a.records].sort() : [];
  };
  const rejects = (p: Promise<unknown>, code: string, authenticated: boolean) =>
    assert.rejects(p, (err: unknown) => {
      assert.ok(err instanceof DnsUpdateError, String(err));
      assert.equal(err.code, code, err.message);
      assert.equal(err.authenticated, authenticated, err.message);
      return true;
    });

  const server = () => bind!.address;
  before(async () => {
    if (!hasTool('named')) return;
    bind = await startBind(
      { 'upd.test': 'www IN A 127.0.0.1', 'static.test': 'www IN A 127.0.0.1' },
      {
        keys: [
          { name: 'petrel-acme', algorithm: 'hmac-sha256', secret: SECRET },
          { name: 'petrel-any', algorithm: 'hmac-sha512', secret: SECRET_512 },
        ],
        updatePolicy: { 'upd.test': 'grant petrel-acme zonesub TXT; grant petrel-any zonesub ANY;' },
      },
    );
    dns = new WireDnsClient({ servers: [bind.address], timeoutMs: 1000, tries: 2 });
  });
  after(() => bind?.stop());

  it('adds a TXT at _acme-challenge (zone found by SOA), reads it back, keeps a second value, deletes one then the other', async (t) => {
    if (!requireTools(t, 'named')) return;
    const updater = new DnsUpdater({ server: server(), key: KEY });
    const name = '_acme-challenge.mail.upd.test';
    assert.equal(await updater.zoneOf(name), 'upd.test');
    await updater.addTxt(name, 'first-token', 60);
    assert.deepEqual(await txt(name), ['first-token']);
    await updater.addTxt(name, 'second-token', 60);
    assert.deepEqual(await txt(name), ['first-token', 'second-token'], 'a wildcard and its base name share the TXT name: both values stay');
    await updater.removeTxt(name, 'first-token');
    assert.deepEqual(await txt(name), ['second-token']);
    await updater.removeTxt(name, 'second-token');
    assert.deepEqual(await txt(name), []);
    const gone = await dns.txt(name);
    assert.equal(gone.ok, false);
  });

  it('hmac-sha512 over UDP: any record type (A added, its RRset deleted), and delete-name', async (t) => {
    if (!requireTools(t, 'named')) return;
    const updater = new DnsUpdater({ server: server(), key: KEY_512, transport: 'udp' });
    await updater.update('upd.test', [
      { kind: 'add', record: { name: 'host.upd.test', type: 'A', ttl: 120, data: '192.0.2.1' } },
      { kind: 'add', record: { name: 'host.upd.test', type: 'A', ttl: 120, data: '192.0.2.2' } },
      { kind: 'add', record: { name: 'host.upd.test', type: 'TXT', ttl: 120, data: 'v=1' } },
    ]);
    const a = await dns.a('host.upd.test');
    assert.deepEqual(a.ok && [...a.records].sort(), ['192.0.2.1', '192.0.2.2']);
    await updater.update('upd.test', [{ kind: 'delete-rrset', name: 'host.upd.test', type: 'A' }]);
    assert.equal((await dns.a('host.upd.test')).ok, false);
    assert.deepEqual(await txt('host.upd.test'), ['v=1']);
    await updater.update('upd.test', [{ kind: 'delete-name', name: 'host.upd.test' }]);
    assert.deepEqual(await txt('host.upd.test'), []);
  });

  it('a wrong secret is BADSIG, an unknown key BADKEY (BIND cannot sign those answers: unauthenticated), and nothing changes', async (t) => {
    if (!requireTools(t, 'named')) return;
    const wrong = new DnsUpdater({ server: server(), key: parseTsigKey('petrel-acme', 'hmac-sha256', Buffer.alloc(32, 1).toString('base64')) });
    await rejects(wrong.addTxt('_acme-challenge.x.upd.test', 'evil', 60), 'BADSIG', false);
    const unknown = new DnsUpdater({ server: server(), key: parseTsigKey('intruder', 'hmac-sha256', SECRET) });
    await rejects(unknown.addTxt('_acme-challenge.x.upd.test', 'evil', 60), 'BADKEY', false);
    const otherAlgorithm = new DnsUpdater({ server: server(), key: parseTsigKey('petrel-acme', 'hmac-sha512', SECRET) });
    await assert.rejects(otherAlgorithm.addTxt('_acme-challenge.x.upd.test', 'evil', 60), (err: DnsUpdateError) => err.code === 'BADKEY' || err.code === 'BADSIG');
    assert.deepEqual(await txt('_acme-challenge.x.upd.test'), []);
  });

  it('a clock an hour ahead is BADTIME, in an answer BIND signs (so it is authenticated), naming the server time', async (t) => {
    if (!requireTools(t, 'named')) return;
    const skewed = new DnsUpdater({ server: server(), key: KEY, clock: { now: () => Date.now() + 3_600_000 } });
    await assert.rejects(skewed.addTxt('_acme-challenge.x.upd.test', 'late', 60), (err: DnsUpdateError) => {
      assert.equal(err.code, 'BADTIME', err.message);
      assert.equal(err.authenticated, true);
      assert.match(err.message, /server time \d{4}-/);
      return true;
    });
    assert.deepEqual(await txt('_acme-challenge.x.upd.test'), []);
  });

  it('a type the update-policy does not grant this key is REFUSED', async (t) => {
    if (!requireTools(t, 'named')) return;
    const updater = new DnsUpdater({ server: server(), key: KEY });
    await rejects(updater.update('upd.test', [{ kind: 'add', record: { name: 'evil.upd.test', type: 'A', ttl: 60, data: '192.0.2.66' } }]), 'REFUSED', true);
    assert.equal((await dns.a('evil.upd.test')).ok, false);
  });

  it('names outside the zone: NOTZONE in the update, NOTAUTH for a zone the server lacks, no zone found, REFUSED for a zone without updates', async (t) => {
    if (!requireTools(t, 'named')) return;
    const updater = new DnsUpdater({ server: server(), key: KEY });
    await rejects(updater.update('upd.test', [{ kind: 'add', record: { name: '_acme-challenge.www.elsewhere.test', type: 'TXT', ttl: 60, data: 'x' } }]), 'NOTZONE', true);
    await rejects(updater.update('elsewhere.test', [{ kind: 'add', record: { name: '_acme-challenge.www.elsewhere.test', type: 'TXT', ttl: 60, data: 'x' } }]), 'NOTAUTH', true);
    await rejects(updater.addTxt('_acme-challenge.www.elsewhere.test', 'x', 60), 'NOZONE', false);
    await rejects(updater.addTxt('_acme-challenge.www.static.test', 'x', 60), 'REFUSED', true);
    assert.deepEqual(await txt('_acme-challenge.www.static.test'), []);
  });
});

describe('interoperability with nsupdate (BIND\'s own TSIG)', () => {
  /**
   * A UDP server that checks nsupdate's request with verifyTsig and answers
   * NOERROR signed with appendTsig over the request's MAC; nsupdate only
   * exits 0 when our answer's MAC verifies for it.
   */
  async function answerNsupdate(t: TestContext, key: TsigKey, algorithm: string, secret: string) {
    if (!requireTools(t, 'nsupdate')) return;
    const socket = createSocket('udp4');
    const seen: string[] = [];
    socket.on('message', (msg, remote) => {
      const check = verifyTsig(msg, key, { nowSeconds: Math.floor(Date.now() / 1000) });
      seen.push(check.kind);
      if (check.kind !== 'verified') return;
      const zoneEnd = 12 + (msg.indexOf(0, 12) - 12) + 1 + 4;
      const head = Buffer.from(msg.subarray(0, zoneEnd));
      head.writeUInt16BE(0xa800, 2);
      for (const at of [6, 8, 10]) head.writeUInt16BE(0, at);
      const reply = appendTsig(head, key, { timeSigned: Math.floor(Date.now() / 1000), fudge: 300, error: 0, otherData: Buffer.alloc(0) }, check.tsig.mac).message;
      socket.send(reply, remote.port, remote.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      const script = `server 127.0.0.1 ${socket.address().port}\nzone upd.test\nupdate add _acme-challenge.www.upd.test 60 TXT "from-nsupdate"\nsend\n`;
      const r = await run('nsupdate', ['-y', `${algorithm}:${key.name}:${secret}`], { input: script, timeoutMs: 15_000 });
      assert.deepEqual(seen, ['verified'], `nsupdate's request: ${r.stderr}`);
      assert.equal(r.code, 0, `nsupdate refused our signed answer: ${r.stdout}${r.stderr}`);
    } finally {
      socket.close();
    }
  }

  it('hmac-sha256: nsupdate\'s request verifies with our MAC, and our signed answer verifies for nsupdate', (t) => answerNsupdate(t, KEY, 'hmac-sha256', SECRET));
  it('hmac-sha512 likewise', (t) => answerNsupdate(t, KEY_512, 'hmac-sha512', SECRET_512));
});
