/*
 * `petrel dns plan` and `petrel domain add` on a real data directory: the
 * zone lines they print load into a real BIND as they are, and BIND then
 * answers with exactly what the plan says (the DKIM record as one record
 * of several strings, the MTA-STS id of the policy the HTTPS listener
 * serves, the TLSA hash of the certificate served on port 25); --json
 * carries the same records.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WireDnsClient } from '../../src/dns/wire-client.js';
import { subjectPublicKeyInfo } from '../../src/sender-auth/dane-der.js';
import { startBind, type BindServer } from '../support/bind.js';
import { PetrelProcess } from '../support/petrel.js';
import { requireTools } from '../support/tools.js';

describe('petrel dns plan', () => {
  let p: PetrelProcess;
  let bind: BindServer | undefined;
  let added = '';
  before(async () => {
    p = await PetrelProcess.create({ hostname: 'mx.petrel.test', extraToml: '[network]\npublic_ipv4 = ["192.0.2.25"]\n' });
    const r = await p.cli(['domain', 'add', 'plan.test']);
    assert.equal(r.code, 0, r.stderr);
    added = r.stdout;
  });
  after(async () => {
    await bind?.stop();
    await p?.destroy();
  });

  it('domain add prints the plan', () => {
    assert.match(added, /publish in DNS \(petrel dns plan plan\.test/);
    assert.match(added, /^ {2}plan\.test\. 3600 IN MX 10 mx\.petrel\.test\.$/m);
    assert.match(added, /^ {2}s\d{4}\._domainkey\.plan\.test\. 3600 IN TXT \( "v=DKIM1; k=rsa; p=/m);
  });

  it('prints zone lines that BIND loads, and BIND answers what the plan says', async (t) => {
    if (!requireTools(t, 'named')) return;
    const r = await p.cli(['dns', 'plan', 'plan.test']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l && !l.startsWith(';'));
    const inZone = (suffix: string) => lines.filter((l) => l.split(' ')[0]!.endsWith(suffix)).join('\n');
    bind = await startBind({ 'plan.test': inZone('plan.test.'), 'petrel.test': inZone('petrel.test.') });
    const dns = new WireDnsClient({ servers: [bind.address], timeoutMs: 1000, tries: 1 });
    const mx = await dns.mx('plan.test');
    assert.ok(mx.ok && mx.records[0]!.exchange === 'mx.petrel.test');
    const plan = JSON.parse((await p.cli(['dns', 'plan', 'plan.test', '--json'])).stdout) as { records: { name: string; type: string; value: string; strings?: string[] }[]; host: { name: string; type: string; value: string }[] };
    const dkim = plan.records.find((x) => x.type === 'TXT' && x.name.includes('._domainkey.'))!;
    const txt = await dns.query(dkim.name.replace(/\.$/, ''), 'TXT');
    assert.ok(txt.ok && txt.records.length === 1, 'one DKIM record');
    assert.deepEqual((txt.records[0] as Buffer[]).map((b) => b.toString()), dkim.strings, 'its strings as planned');
    const sts = await dns.txt('_mta-sts.plan.test');
    assert.ok(sts.ok && /^v=STSv1; id=[0-9a-f]{20}$/.test(sts.records[0]!));
    const a = await dns.a('mail.plan.test');
    assert.ok(a.ok && a.records[0] === '192.0.2.25');
    const nullMx = await dns.mx('mta-sts.plan.test');
    assert.ok(nullMx.ok && nullMx.records[0]!.exchange === '' && nullMx.records[0]!.priority === 0, 'null MX for a name without mail');
    const srv = await dns.query('_submissions._tcp.plan.test', 'SRV');
    assert.ok(srv.ok && (srv.records[0] as { port: number; target: string }).target.replace(/\.$/, '') === 'mail.plan.test');
    // The TLSA hash is the key the server's certificate for its host name carries.
    const tlsa = plan.host.find((x) => x.type === 'TLSA')!;
    const cert = new X509Certificate(readFileSync(join(p.dataDir, 'self-signed', 'cert.pem')));
    assert.equal(tlsa.value, `3 1 1 ${createHash('sha256').update(subjectPublicKeyInfo(cert.raw)).digest('hex')}`);
  });

  it('refuses a domain that is not hosted', async () => {
    const r = await p.cli(['dns', 'plan', 'nothere.test']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nothere\.test is not a hosted domain/);
  });
});
