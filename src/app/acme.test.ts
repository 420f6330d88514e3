/*
 * The ACME wiring's decisions that need no CA: which certificates the
 * server wants (re-read from the directory each time), how outcomes read
 * to an operator, and the configuration mistakes that stop the manager
 * from being built. Issuance itself is proven against pebble in
 * test/e2e/acme-serve.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../config/load.js';
import type { StoreContext } from './context.js';
import { dataPaths } from './paths.js';
import { acmeManagerFor, describeOutcome, startAcme, wantedCertificates } from './acme.js';
import { silentLogger } from '../telemetry/logger.js';
import type { AcmeStore } from '../store/types.js';
import type { CertificateRegistry } from '../tls/index.js';

const config = (toml = '') => parseConfig(`hostname = "mx.wire.test"\n${toml}`, 'test');
const noStore = {} as AcmeStore;

describe('ACME wiring', () => {
  it('wants the host certificate and one per hosted domain, asking the directory each time', async () => {
    let domains = ['a.test'];
    const directory = { hostedNames: async () => domains };
    assert.deepEqual(await wantedCertificates(config(), directory), [
      { name: 'mx.wire.test', names: ['mx.wire.test'] },
      { name: 'mail.a.test', names: ['mail.a.test', 'mta-sts.a.test', 'autoconfig.a.test', 'autodiscover.a.test'] },
    ]);
    domains = ['a.test', 'b.test'];
    assert.deepEqual((await wantedCertificates(config(), directory)).map((r) => r.name), ['mx.wire.test', 'mail.a.test', 'mail.b.test'], 'a domain added later');
    const hostOnly = await wantedCertificates(config('[domains]\nclient_host = ""'), directory);
    assert.deepEqual(hostOnly[1], { name: 'mta-sts.a.test', names: ['mta-sts.a.test', 'autoconfig.a.test', 'autodiscover.a.test'] }, 'client name = host name: not asked twice');
  });

  it('describes each outcome on one line', () => {
    const result = { name: 'mx.wire.test', names: ['mx.wire.test'], notAfter: new Date('2030-01-01T00:00:00Z'), rolledOver: true, dane: { current: 'a', next: 'b' } };
    assert.equal(describeOutcome({ name: 'mx.wire.test', outcome: 'renewed', result }), 'renewed mx.wire.test (mx.wire.test), valid until 2030-01-01T00:00:00.000Z, rolled over to the next key');
    assert.equal(describeOutcome({ name: 'x', outcome: 'not-due', renewAt: new Date(0) }), 'x: not due, renews after 1970-01-01T00:00:00.000Z');
    assert.equal(describeOutcome({ name: 'x', outcome: 'failed', error: 'rejected', retryAt: new Date(0) }), 'x: FAILED: rejected');
  });

  it('refuses DNS-01 without an update server or key, and a directory_ca that cannot be read, naming the key', () => {
    const paths = dataPaths('/nonexistent', config());
    assert.throws(() => acmeManagerFor(config('[acme]\nenabled = true\nchallenge = "dns-01"'), paths, noStore, silentLogger), /acme\.dns_update\.server is empty/);
    assert.throws(() => acmeManagerFor(config('[acme]\nenabled = true\ndirectory_ca = "/nonexistent/ca.pem"'), paths, noStore, silentLogger), /acme\.directory_ca: cannot read \/nonexistent\/ca\.pem/);
    assert.ok(acmeManagerFor(config('[acme]\nenabled = true'), paths, noStore, silentLogger));
  });

  it('starts nothing with [acme] off', () => {
    assert.equal(startAcme(config(), {} as StoreContext, {} as CertificateRegistry, silentLogger), undefined);
  });
});
