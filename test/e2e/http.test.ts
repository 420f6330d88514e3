/*
 * Petrel's HTTP and HTTPS listeners with real clients: curl (Host and SNI
 * set with --resolve), Petrel's own MTA-STS fetcher as a sending MTA uses
 * it, Python's XML parser reading the autoconfig documents the way
 * Thunderbird and Outlook read them, openssl s_client for ALPN.
 *
 *   HTTP-01 challenge answered on port 80 (from the store, as ACME sets it)
 *   HTTP redirects our names to HTTPS, and answers nothing for others
 *   MTA-STS policy: 200, text/plain, CRLF lines, the id the plan publishes
 *   Thunderbird autoconfig on both URLs; Outlook autodiscover (POX)
 *   health; ALPN: http/1.1 only (an imap offer is refused, ALPACA)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fakeDns } from '../../src/dns/fake-client.js';
import { mtaStsPolicy } from '../../src/sender-auth/mta-sts-policy.js';
import { HttpsPolicyFetcher } from '../../src/sender-auth/mta-sts-fetch.js';
import { parseMtaStsPolicy } from '../../src/sender-auth/mta-sts.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { PetrelProcess } from '../support/petrel.js';
import { requireTools, run } from '../support/tools.js';

describe('HTTP and HTTPS listeners', () => {
  let p: PetrelProcess;
  before(async () => {
    p = await PetrelProcess.create();
    await p.addDomain('example.com');
    await p.start();
  });
  after(() => p?.destroy());

  const curl = (args: string[]) => run('curl', ['-s', '-S', '-k', '-D', '-', ...args]);
  const https = (name: string, path: string, extra: string[] = []) => curl(['--resolve', `${name}:${p.ports.https}:127.0.0.1`, ...extra, `https://${name}:${p.ports.https}${path}`]);
  const http = (name: string, path: string) => curl(['--resolve', `${name}:${p.ports.http}:127.0.0.1`, `http://${name}:${p.ports.http}${path}`]);
  const bodyOf = (out: string) => out.slice(out.indexOf('\r\n\r\n') + 4);
  const status = (out: string) => Number(/^HTTP\/[\d.]+ (\d{3})/.exec(out)?.[1]);

  it('answers an HTTP-01 challenge on the plain port while it is in the store', async (t) => {
    if (!requireTools(t, 'curl')) return;
    const store = await openSqliteStore({ path: join(p.dataDir, 'petrel.db'), fsync: false });
    await store.acme.setChallenge('TOKEN_abc-123', 'TOKEN_abc-123.thumbprint', Date.now() + 60_000);
    await store.close();
    const r = await http('mail.example.com', '/.well-known/acme-challenge/TOKEN_abc-123');
    assert.equal(status(r.stdout), 200);
    assert.match(r.stdout, /content-type: text\/plain/i);
    assert.equal(bodyOf(r.stdout), 'TOKEN_abc-123.thumbprint');
    assert.equal(status((await http('mail.example.com', '/.well-known/acme-challenge/unknown')).stdout), 404);
    assert.equal(status((await http('mail.example.com', '/.well-known/acme-challenge/..%2F..%2Fetc')).stdout), 404);
  });

  it('redirects our names from HTTP to HTTPS, and answers nothing for a name that is not ours', async (t) => {
    if (!requireTools(t, 'curl')) return;
    const r = await http('mta-sts.example.com', '/.well-known/mta-sts.txt');
    assert.equal(status(r.stdout), 301);
    assert.match(r.stdout, /location: https:\/\/mta-sts\.example\.com\/\.well-known\/mta-sts\.txt/i);
    assert.equal(status((await http('evil.test', '/')).stdout), 404);
  });

  it('serves the MTA-STS policy: 200, text/plain, CRLF lines, the MX host, the id derived from it', async (t) => {
    if (!requireTools(t, 'curl')) return;
    const r = await https('mta-sts.example.com', '/.well-known/mta-sts.txt');
    assert.equal(status(r.stdout), 200);
    assert.match(r.stdout, /content-type: text\/plain/i);
    const expected = mtaStsPolicy(['mx.petrel.test'], 'testing', 7 * 86_400_000);
    assert.equal(bodyOf(r.stdout), 'version: STSv1\r\nmode: testing\r\nmx: mx.petrel.test\r\nmax_age: 604800\r\n');
    assert.equal(bodyOf(r.stdout), expected.text);
    assert.match(expected.id, /^[0-9a-f]{20}$/);
    assert.equal(status((await https('mta-sts.other.test', '/.well-known/mta-sts.txt')).stdout), 404, 'only hosted domains');
  });

  it("a sending MTA's fetch of the policy (Petrel's own MTA-STS fetcher, certificate verified) reads it as valid", async () => {
    const dns = fakeDns({ 'mta-sts.example.com': { a: ['127.0.0.1'] } });
    const ca = readFileSync(join(p.dataDir, 'self-signed', 'cert.pem'));
    const fetched = await new HttpsPolicyFetcher({ dns, port: p.ports.https, ca }).fetch('example.com');
    assert.ok(fetched.ok, JSON.stringify(fetched));
    const parsed = parseMtaStsPolicy(fetched.text);
    assert.ok(parsed.ok && parsed.policy.mode === 'testing' && parsed.policy.mx.includes('mx.petrel.test'), JSON.stringify(parsed));
  });

  it("serves Thunderbird's autoconfig on both URLs, in the format Thunderbird reads", async (t) => {
    if (!requireTools(t, 'curl', 'python3')) return;
    for (const [name, path] of [['autoconfig.example.com', '/mail/config-v1.1.xml?emailaddress=ann%40example.com'], ['example.com', '/.well-known/autoconfig/mail/config-v1.1.xml']] as const) {
      const r = await https(name, path);
      assert.equal(status(r.stdout), 200, `${name}${path}`);
      assert.match(r.stdout, /content-type: application\/xml/i);
      const parsed = await run('/usr/bin/python3', ['-c', `
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
assert root.tag == 'clientConfig' and root.get('version') == '1.1'
p = root.find('emailProvider')
out = {'id': p.get('id'), 'domain': p.findtext('domain'), 'servers': []}
for s in list(p.findall('incomingServer')) + list(p.findall('outgoingServer')):
    out['servers'].append([s.tag, s.get('type'), s.findtext('hostname'), int(s.findtext('port')), s.findtext('socketType'), s.findtext('authentication'), s.findtext('username')])
print(json.dumps(out))
`], { input: bodyOf(r.stdout) });
      assert.equal(parsed.code, 0, parsed.stderr);
      const doc = JSON.parse(parsed.stdout) as { id: string; domain: string; servers: unknown[][] };
      assert.equal(doc.id, 'example.com');
      assert.equal(doc.domain, 'example.com');
      assert.deepEqual(doc.servers, [
        ['incomingServer', 'imap', 'mail.example.com', p.ports.imaps, 'SSL', 'password-cleartext', '%EMAILADDRESS%'],
        ['incomingServer', 'imap', 'mail.example.com', p.ports.imap, 'STARTTLS', 'password-cleartext', '%EMAILADDRESS%'],
        ['incomingServer', 'pop3', 'mail.example.com', p.ports.pop3s, 'SSL', 'password-cleartext', '%EMAILADDRESS%'],
        ['incomingServer', 'pop3', 'mail.example.com', p.ports.pop3, 'STARTTLS', 'password-cleartext', '%EMAILADDRESS%'],
        ['outgoingServer', 'smtp', 'mail.example.com', p.ports.submissions, 'SSL', 'password-cleartext', '%EMAILADDRESS%'],
        ['outgoingServer', 'smtp', 'mail.example.com', p.ports.submission, 'STARTTLS', 'password-cleartext', '%EMAILADDRESS%'],
      ]);
    }
    assert.equal(status((await https('autoconfig.other.test', '/mail/config-v1.1.xml')).stdout), 404);
  });

  it("answers Outlook's autodiscover POST (POX) in the outlook response schema, and refuses unknown domains and large bodies", async (t) => {
    if (!requireTools(t, 'curl', 'python3')) return;
    const request = '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>ann@example.com</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>';
    const r = await https('autodiscover.example.com', '/Autodiscover/Autodiscover.xml', ['-X', 'POST', '-H', 'Content-Type: text/xml', '--data-binary', request]);
    assert.equal(status(r.stdout), 200);
    const parsed = await run('/usr/bin/python3', ['-c', `
import sys, json, xml.etree.ElementTree as ET
ns = {'a': 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006', 'o': 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a'}
root = ET.fromstring(sys.stdin.buffer.read())
assert root.tag == '{%s}Autodiscover' % ns['a']
acct = root.find('o:Response/o:Account', ns)
out = {'type': acct.findtext('o:AccountType', namespaces=ns), 'action': acct.findtext('o:Action', namespaces=ns), 'protocols': []}
for p in acct.findall('o:Protocol', ns):
    out['protocols'].append([p.findtext('o:Type', namespaces=ns), p.findtext('o:Server', namespaces=ns), int(p.findtext('o:Port', namespaces=ns)), p.findtext('o:SSL', namespaces=ns), p.findtext('o:LoginName', namespaces=ns), p.findtext('o:AuthRequired', namespaces=ns)])
print(json.dumps(out))
`], { input: bodyOf(r.stdout) });
    assert.equal(parsed.code, 0, parsed.stderr);
    assert.deepEqual(JSON.parse(parsed.stdout), {
      type: 'email',
      action: 'settings',
      protocols: [
        ['IMAP', 'mail.example.com', p.ports.imaps, 'on', 'ann@example.com', 'on'],
        ['POP3', 'mail.example.com', p.ports.pop3s, 'on', 'ann@example.com', 'on'],
        ['SMTP', 'mail.example.com', p.ports.submissions, 'on', 'ann@example.com', 'on'],
      ],
    });
    const other = await https('autodiscover.example.com', '/autodiscover/autodiscover.xml', ['-X', 'POST', '--data-binary', request.replace('ann@example.com', 'bob@elsewhere.test')]);
    assert.equal(status(other.stdout), 404);
    const big = await https('autodiscover.example.com', '/autodiscover/autodiscover.xml', ['-X', 'POST', '--data-binary', 'x'.repeat(20_000)]);
    assert.equal(status(big.stdout), 413);
  });

  it('has a health endpoint and refuses an ALPN offer that is not http/1.1 (ALPACA)', async (t) => {
    if (!requireTools(t, 'curl', 'openssl')) return;
    const r = await https('mail.example.com', '/health');
    assert.equal(status(r.stdout), 200);
    assert.deepEqual(JSON.parse(bodyOf(r.stdout)), { status: 'ok' });
    const ok = await run('openssl', ['s_client', '-connect', `127.0.0.1:${p.ports.https}`, '-servername', 'mail.example.com', '-alpn', 'http/1.1'], { input: '', timeoutMs: 10_000 });
    assert.match(ok.stdout, /ALPN protocol: http\/1\.1/);
    const refused = await run('openssl', ['s_client', '-connect', `127.0.0.1:${p.ports.https}`, '-servername', 'mail.example.com', '-alpn', 'imap'], { input: '', timeoutMs: 10_000 });
    assert.doesNotMatch(refused.stdout, /ALPN protocol: imap/);
    assert.match(refused.stdout + refused.stderr, /no application protocol|alert/i);
  });
});
