/*
 * Mail client autoconfiguration documents, built from what this server
 * offers: Thunderbird's autoconfig (clientConfig version 1.1, fetched
 * from https://autoconfig.<domain>/mail/config-v1.1.xml and
 * https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml) and
 * Outlook's autodiscover "POX" (a POST of an Autodiscover request to
 * https://autodiscover.<domain>/autodiscover/autodiscover.xml, answered
 * with the outlook response schema 2006a).
 *
 * Both point clients at the domain's client host name and the ports the
 * listeners actually use; implicit TLS is listed first (RFC 8314), then
 * STARTTLS; passwords go only over TLS (every service offered is TLS or
 * STARTTLS, and AUTH is offered only after it).
 *
 * Exports: thunderbirdConfig, outlookAutodiscover, autodiscoverEmail,
 * ClientServices.
 * Security: the domain and address in a request are untrusted: the caller
 * checks the domain is hosted; everything put in a document is XML-escaped.
 * Standards: Mozilla's autoconfig file format (clientConfig 1.1);
 * Microsoft's Autodiscover POX schemas (requestschema/2006, responseschema/2006
 * and outlook/responseschema/2006a); RFC 8314.
 */

/** The ports this server offers clients; absent: that service is off. */
export interface ClientServices {
  host: string;
  imaps?: number;
  imap?: number;
  pop3s?: number;
  pop3?: number;
  submissions?: number;
  submission?: number;
  /** ManageSieve: in the DNS plan's _sieve._tcp SRV record (RFC 5804 1.8); autoconfig and autodiscover have no place for it. */
  sieve?: number;
}

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

function server(tag: 'incomingServer' | 'outgoingServer', type: string, host: string, port: number, socketType: 'SSL' | 'STARTTLS'): string {
  return [
    `    <${tag} type="${type}">`,
    `      <hostname>${escapeXml(host)}</hostname>`,
    `      <port>${port}</port>`,
    `      <socketType>${socketType}</socketType>`,
    '      <authentication>password-cleartext</authentication>',
    '      <username>%EMAILADDRESS%</username>',
    `    </${tag}>`,
  ].join('\n');
}

/** Thunderbird's config-v1.1.xml for domain. */
export function thunderbirdConfig(domain: string, s: ClientServices): string {
  const d = escapeXml(domain);
  const servers = [
    s.imaps && server('incomingServer', 'imap', s.host, s.imaps, 'SSL'),
    s.imap && server('incomingServer', 'imap', s.host, s.imap, 'STARTTLS'),
    s.pop3s && server('incomingServer', 'pop3', s.host, s.pop3s, 'SSL'),
    s.pop3 && server('incomingServer', 'pop3', s.host, s.pop3, 'STARTTLS'),
    s.submissions && server('outgoingServer', 'smtp', s.host, s.submissions, 'SSL'),
    s.submission && server('outgoingServer', 'smtp', s.host, s.submission, 'STARTTLS'),
  ].filter(Boolean);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<clientConfig version="1.1">',
    `  <emailProvider id="${d}">`,
    `    <domain>${d}</domain>`,
    `    <displayName>${d}</displayName>`,
    `    <displayShortName>${d}</displayShortName>`,
    ...servers,
    '  </emailProvider>',
    '</clientConfig>',
    '',
  ].join('\n');
}

/** The address in an Autodiscover request body, or undefined. */
export function autodiscoverEmail(body: string): string | undefined {
  const m = /<EMailAddress>\s*([^<\s]{1,320})\s*<\/EMailAddress>/i.exec(body);
  return m ? m[1] : undefined;
}

function protocol(type: 'IMAP' | 'POP3' | 'SMTP', host: string, port: number, address: string, tls: 'ssl' | 'starttls'): string {
  return [
    '      <Protocol>',
    `        <Type>${type}</Type>`,
    `        <Server>${escapeXml(host)}</Server>`,
    `        <Port>${port}</Port>`,
    '        <DomainRequired>off</DomainRequired>',
    `        <LoginName>${escapeXml(address)}</LoginName>`,
    '        <SPA>off</SPA>',
    tls === 'ssl' ? '        <SSL>on</SSL>' : '        <Encryption>TLS</Encryption>',
    '        <AuthRequired>on</AuthRequired>',
    ...(type === 'SMTP' ? ['        <UsePOPAuth>off</UsePOPAuth>', '        <SMTPLast>off</SMTPLast>'] : []),
    '      </Protocol>',
  ].join('\n');
}

/** Outlook's POX answer for address. */
export function outlookAutodiscover(address: string, s: ClientServices): string {
  const protocols = [
    s.imaps ? protocol('IMAP', s.host, s.imaps, address, 'ssl') : s.imap ? protocol('IMAP', s.host, s.imap, address, 'starttls') : undefined,
    s.pop3s ? protocol('POP3', s.host, s.pop3s, address, 'ssl') : s.pop3 ? protocol('POP3', s.host, s.pop3, address, 'starttls') : undefined,
    s.submissions ? protocol('SMTP', s.host, s.submissions, address, 'ssl') : s.submission ? protocol('SMTP', s.host, s.submission, address, 'starttls') : undefined,
  ].filter(Boolean);
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">',
    '  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">',
    '    <Account>',
    '      <AccountType>email</AccountType>',
    '      <Action>settings</Action>',
    ...protocols,
    '    </Account>',
    '  </Response>',
    '</Autodiscover>',
    '',
  ].join('\n');
}
