/*
 * Client autoconfiguration (K02): the readers against literal documents
 * in the forms Thunderbird and Outlook read, against what Petrel's own
 * HTTPS listener serves, and the findings for a wrong host, a closed
 * port, an error status and a document a client cannot read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outlookAutodiscover, thunderbirdConfig } from '../../endpoints/http/autoconfig.js';
import type { DomainFacts, Finding, HostFacts } from '../types.js';
import { autoconfigChecks, readAutodiscover, readThunderbird } from './autoconfig.js';
import { facts, fakeNetwork } from './fake-network.js';
import type { ServiceEndpoint } from './types.js';

const host = { hostname: 'mx.example.net' } as HostFacts;
const services = { submissions: 465, submission: 587, imaps: 993, pop3s: 995 };
const domain = { domain: 'example.com', clientHost: 'mail.example.com', services } as DomainFacts;
const https: ServiceEndpoint = { role: 'https', host: '127.0.0.1', port: 443, security: 'implicit', protocol: 'http' };
const brief = (fs: Finding[]) => fs.map((f) => `${f.id} ${f.severity} ${f.title}`);
const xml = (body: string, status = 200, contentType = 'text/xml; charset=utf-8') => ({ status, contentType, body });

const TB = `<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="example.com">
    <domain>example.com</domain>
    <incomingServer type="imap"><hostname>mail.example.com</hostname><port>993</port><socketType>SSL</socketType></incomingServer>
    <outgoingServer type="smtp"><hostname>mail.example.com</hostname><port>465</port><socketType>SSL</socketType></outgoingServer>
  </emailProvider>
</clientConfig>`;

const AD = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
<Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
<Account><AccountType>email</AccountType><Action>settings</Action>
<Protocol><Type>IMAP</Type><Server>mail.example.com</Server><Port>993</Port><SSL>on</SSL></Protocol>
</Account></Response></Autodiscover>`;

describe('autoconfiguration documents (K02)', () => {
  it('reads the documents clients read', () => {
    assert.deepEqual(readThunderbird(TB, 'example.com'), [{ type: 'imap', host: 'mail.example.com', port: 993 }, { type: 'smtp', host: 'mail.example.com', port: 465 }]);
    assert.deepEqual(readAutodiscover(AD), [{ type: 'imap', host: 'mail.example.com', port: 993 }]);
    assert.equal(readThunderbird('<clientConfig version="1.0"></clientConfig>', 'example.com'), 'no <clientConfig version="1.1"> element');
    assert.equal(readThunderbird(TB, 'example.org'), 'the document does not list <domain>example.org</domain>');
    assert.match(String(readAutodiscover('<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"></Autodiscover>')), /no Outlook response/);
  });

  it('what Petrel serves reads back as its own ports at the client host', async () => {
    const s = { host: 'mail.example.com', ...services };
    const tb = readThunderbird(thunderbirdConfig('example.com', s), 'example.com');
    assert.deepEqual(tb, [
      { type: 'imap', host: 'mail.example.com', port: 993 }, { type: 'pop3', host: 'mail.example.com', port: 995 },
      { type: 'smtp', host: 'mail.example.com', port: 465 }, { type: 'smtp', host: 'mail.example.com', port: 587 },
    ]);
    const deps = fakeNetwork({ 443: { http: {
      'autoconfig.example.com /mail/config-v1.1.xml': xml(thunderbirdConfig('example.com', s)),
      'autodiscover.example.com /autodiscover/autodiscover.xml': xml(outlookAutodiscover('postmaster@example.com', s)),
    } } });
    assert.deepEqual(await autoconfigChecks(host, [domain], facts([https]), deps), []);
  });

  it('a wrong host, a port not open, an error status, a document clients cannot read', async () => {
    const wrongHost = TB.replace(/mail\.example\.com/g, 'dovecot');
    const closedPort = AD.replace('<Port>993</Port>', '<Port>143</Port>');
    const deps = fakeNetwork({ 443: { http: {
      'autoconfig.example.com /mail/config-v1.1.xml': xml(wrongHost),
      'autodiscover.example.com /autodiscover/autodiscover.xml': xml(closedPort),
    } } });
    assert.deepEqual(brief(await autoconfigChecks(host, [domain], facts([https]), deps)), ['K02 error the configuration sends clients to dovecot', 'K02 error the configuration names port 143 for imap, which is not open']);
    const broken = fakeNetwork({ 443: { http: {
      'autoconfig.example.com /mail/config-v1.1.xml': xml('not found', 404, 'text/plain'),
      'autodiscover.example.com /autodiscover/autodiscover.xml': xml('<html></html>'),
    } } });
    assert.deepEqual(brief(await autoconfigChecks(host, [domain], facts([https]), broken)), ['K02 error autoconfiguration answers HTTP 404', 'K02 error Outlook cannot read this autodiscover answer']);
  });

  it('no HTTPS listener: nothing to check here (A01 says what is off)', async () => {
    assert.deepEqual(await autoconfigChecks(host, [domain], facts([]), fakeNetwork({})), []);
  });
});
