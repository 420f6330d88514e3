/*
 * Smarthost and per-domain routes end to end (Postfix's relayhost and
 * transport maps): a real Petrel sends all outbound mail through a relay
 * host with STARTTLS, a certificate verified against a CA file, and SMTP
 * AUTH (sent only after TLS), except for domains a route sends elsewhere:
 * a fixed host:port without MX lookup, and a subdomain pattern whose
 * gateway is found by its MX records. A relay whose certificate does not
 * verify (implicit TLS, port 465 style) gets nothing: the message waits,
 * nothing goes in plaintext. Names resolve through a real BIND.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBind, type BindServer } from '../support/bind.js';
import { createTestCa, issueCertificate, makeTempDir } from '../support/certs.js';
import { SENDER as USER, SENDER_PASSWORD as PASSWORD, startSender, submit, waitForStatus } from '../support/outbound.js';
import { freePort, type PetrelProcess } from '../support/petrel.js';
import { startScriptedSmtp, type ScriptedSmtp } from '../support/scripted-smtp.js';
import { hasTool, requireTools } from '../support/tools.js';


describe('smarthost and routes', () => {
  let bind: BindServer | undefined;
  const peers: Record<string, ScriptedSmtp> = {};
  const processes: PetrelProcess[] = [];
  let cleanup: (() => Promise<void>) | undefined;
  let caFile = '';
  let relayPort = 0;
  let routePort = 0;
  const ready = () => hasTool('named') && hasTool('swaks');

  before(async () => {
    if (!ready()) return;
    [relayPort, routePort] = [await freePort(), await freePort()];
    const ca = await createTestCa('Relay Test CA');
    const tmp = await makeTempDir('petrel-relay-');
    cleanup = tmp.cleanup;
    caFile = join(tmp.dir, 'ca.pem');
    writeFileSync(caFile, ca.certPem);
    const relayCert = await issueCertificate(ca, ['smtp.relay.test']);
    const untrusted = await issueCertificate(await createTestCa('Unknown CA'), ['smtps.relay.test']);
    peers.relay = await startScriptedSmtp({ host: '127.0.0.61', port: relayPort, tls: { key: relayCert.keyPem, cert: relayCert.chainPem }, auth: { user: 'petrel', pass: 's3cret' } });
    peers.fixed = await startScriptedSmtp({ host: '127.0.0.62', port: routePort });
    peers.gateway = await startScriptedSmtp({ host: '127.0.0.63', port: routePort });
    peers.implicit = await startScriptedSmtp({ host: '127.0.0.64', port: relayPort, implicitTls: true, tls: { key: untrusted.keyPem, cert: untrusted.chainPem }, auth: { user: 'petrel', pass: 's3cret' } });
    bind = await startBind({
      test: ['smtp.relay IN A 127.0.0.61', 'smtps.relay IN A 127.0.0.64', 'gateway.relay IN MX 10 gw1.relay.test.', 'gw1.relay IN A 127.0.0.63'].join('\n'),
    });
  });
  after(async () => {
    for (const p of processes) await p.destroy();
    await bind?.stop();
    for (const peer of Object.values(peers)) await peer.close();
    await cleanup?.();
  });

  async function petrel(outbound: string, routes = ''): Promise<PetrelProcess> {
    const p = await startSender({ outbound, dns: `resolvers = ["${bind!.address}"]\ntimeout = "1s"\ntries = 1`, extraToml: routes, env: { RELAY_PASSWORD: 's3cret' } });
    processes.push(p);
    return p;
  }

  it('sends through the relay over verified STARTTLS with AUTH, and routed domains straight to their hosts', async (t) => {
    if (!requireTools(t, 'named', 'swaks')) return;
    const routes = [
      `[[outbound.route]]\ndomain = "routed.test"\nhost = "127.0.0.62"\nport = ${routePort}\ntls = "none"`,
      `[[outbound.route]]\ndomain = ".deep.test"\nhost = "gateway.relay.test"\nmx = true\nport = ${routePort}`,
    ].join('\n');
    const p = await petrel(`connect_timeout = "2s"\n[outbound.relay]\nhost = "smtp.relay.test"\nport = ${relayPort}\nusername = "petrel"\npassword = "\${RELAY_PASSWORD}"\nca_file = "${caFile}"`, routes);
    const viaRelay = await submit(p, { user: USER, password: PASSWORD, to: ['anyone@nowhere-in-dns.example'] });
    await waitForStatus(p, viaRelay.queueId, 'anyone@nowhere-in-dns.example', 'sent');
    const s = peers.relay!.sessions.find((x) => x.lines.includes('RCPT TO:<anyone@nowhere-in-dns.example>'))!;
    assert.equal(s.tls, true);
    assert.equal(s.servername, 'smtp.relay.test');
    assert.equal(s.authUser, 'petrel');
    const authAt = s.lines.findIndex((l) => l.startsWith('AUTH'));
    const tlsAt = s.lines.indexOf('STARTTLS');
    assert.ok(tlsAt >= 0 && authAt > tlsAt, 'AUTH only after STARTTLS');

    const fixed = await submit(p, { user: USER, password: PASSWORD, to: ['bo@routed.test'] });
    await waitForStatus(p, fixed.queueId, 'bo@routed.test', 'sent');
    assert.ok(peers.fixed!.sessions.some((x) => x.lines.includes('RCPT TO:<bo@routed.test>')), 'the route wins over the relay');
    const deep = await submit(p, { user: USER, password: PASSWORD, to: ['cy@a.deep.test'] });
    await waitForStatus(p, deep.queueId, 'cy@a.deep.test', 'sent');
    assert.ok(peers.gateway!.sessions.some((x) => x.lines.includes('RCPT TO:<cy@a.deep.test>')), 'a subdomain route through its gateway\'s MX');
    assert.ok(!peers.relay!.sessions.some((x) => x.lines.some((l) => /routed\.test|deep\.test/.test(l))));
  });

  it('a relay whose certificate does not verify gets nothing: deferred, no plaintext, no credentials sent', async (t) => {
    if (!requireTools(t, 'named', 'swaks')) return;
    const p = await petrel(`connect_timeout = "2s"\n[outbound.relay]\nhost = "smtps.relay.test"\nport = ${relayPort}\nsecurity = "tls"\nusername = "petrel"\npassword = "s3cret"`);
    const { queueId } = await submit(p, { user: USER, password: PASSWORD, to: ['dee@nowhere-in-dns.example'] });
    await waitForStatus(p, queueId, 'dee@nowhere-in-dns.example', 'deferred');
    assert.match(p.log, new RegExp(`deferred queue=${queueId} .*dsn=4.7.5`));
    assert.ok(!peers.implicit!.sessions.some((x) => x.lines.some((l) => /^(AUTH|MAIL)/.test(l))));
  });
});
