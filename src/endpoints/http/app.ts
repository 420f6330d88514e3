/*
 * What Petrel answers over HTTP and HTTPS, as a Hono application: the
 * routes, each a few lines over injected lookups (no store or config
 * here).
 *
 *   both   GET /.well-known/acme-challenge/<token>   HTTP-01 key authorization (RFC 8555 8.3)
 *   http   anything else: 301 to the same name and path over HTTPS, for
 *          names this server answers for; 404 for any other Host
 *   https  GET /.well-known/mta-sts.txt              on mta-sts.<domain>: the policy (RFC 8461 3.3)
 *          GET /mail/config-v1.1.xml                 on autoconfig.<domain> (Thunderbird)
 *          GET /.well-known/autoconfig/mail/config-v1.1.xml   on <domain> (Thunderbird)
 *          POST /autodiscover/autodiscover.xml       on autodiscover.<domain> (Outlook POX)
 *          GET /health                               {"status":"ok"}
 *
 * Security: exposed to the Internet. Host headers and paths are
 * untrusted: a name is answered for only when it is this server's or a
 * hosted domain's (checked through `hosted`), tokens are looked up, never
 * interpolated; request bodies are capped (MAX_BODY_BYTES) and only
 * autodiscover reads one; every response says nosniff; nothing here sets
 * a cookie or changes state.
 * Standards: RFC 8461 section 3.3 (200 only, text/plain, no redirects),
 * RFC 8555 section 8.3, RFC 9110.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { MtaStsPublished } from '../../sender-auth/mta-sts-policy.js';
import { autodiscoverEmail, outlookAutodiscover, thunderbirdConfig, type ClientServices } from './autoconfig.js';
import { MAX_BODY_BYTES, MAX_TOKEN_LENGTH } from './limits.js';

export interface HttpAppDeps {
  /** The HTTPS listener (true) or the plain one. */
  secure: boolean;
  /** This server's host name. */
  hostname: string;
  /** Whether an A-label domain is hosted here (or an alias domain of one). */
  hosted(domain: string): Promise<boolean>;
  /** The HTTP-01 key authorization for a token, while a validation runs. */
  challenge(token: string): Promise<string | undefined>;
  mtaSts(domain: string): MtaStsPublished;
  services(domain: string): ClientServices;
  /** One line per request, for the log. */
  log(entry: { method: string; host: string; path: string; status: number }): void;
}

/** The Host header as a name: lower case, no port, no trailing dot; '' when absent or malformed. */
export function hostOf(header: string | undefined): string {
  const host = (header ?? '').trim().toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  return /^[a-z0-9](?:[a-z0-9.-]{0,252})$/.test(host) ? host : '';
}

/** The hosted domain behind name with prefix ("mta-sts." and so on), or undefined. */
async function hostedUnder(deps: HttpAppDeps, name: string, prefix: string): Promise<string | undefined> {
  if (!name.startsWith(prefix)) return undefined;
  const domain = name.slice(prefix.length);
  return domain && (await deps.hosted(domain)) ? domain : undefined;
}

export function httpApp(deps: HttpAppDeps): Hono {
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    deps.log({ method: c.req.method, host: hostOf(c.req.header('host')), path: c.req.path, status: c.res.status });
  });

  app.get('/.well-known/acme-challenge/:token', async (c) => {
    const token = c.req.param('token');
    if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) return c.notFound();
    const answer = await deps.challenge(token);
    return answer === undefined ? c.notFound() : c.text(answer, 200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
  });

  if (!deps.secure) {
    app.all('*', async (c) => {
      const host = hostOf(c.req.header('host'));
      const ours = host === deps.hostname || (await deps.hosted(host)) || /^(mail|mta-sts|autoconfig|autodiscover)\./.test(host) && (await deps.hosted(host.slice(host.indexOf('.') + 1)));
      if (!host || !ours) return c.notFound();
      return c.redirect(`https://${host}${c.req.path}`, 301);
    });
    return app;
  }

  app.get('/.well-known/mta-sts.txt', async (c) => {
    const domain = await hostedUnder(deps, hostOf(c.req.header('host')), 'mta-sts.');
    if (!domain) return c.notFound();
    const policy = deps.mtaSts(domain);
    return c.body(policy.text, 200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'max-age=300' });
  });

  const thunderbird = async (domain: string | undefined) => (domain ? thunderbirdConfig(domain, deps.services(domain)) : undefined);
  app.get('/mail/config-v1.1.xml', async (c) => {
    // Thunderbird adds ?emailaddress=; the domain is the one in the name it asked.
    const xml = await thunderbird(await hostedUnder(deps, hostOf(c.req.header('host')), 'autoconfig.'));
    return xml === undefined ? c.notFound() : c.body(xml, 200, { 'Content-Type': 'application/xml; charset=utf-8' });
  });
  app.get('/.well-known/autoconfig/mail/config-v1.1.xml', async (c) => {
    const host = hostOf(c.req.header('host'));
    const domain = host && (await deps.hosted(host)) ? host : await hostedUnder(deps, host, 'autoconfig.');
    const xml = await thunderbird(domain);
    return xml === undefined ? c.notFound() : c.body(xml, 200, { 'Content-Type': 'application/xml; charset=utf-8' });
  });

  // Outlook writes the path with capitals; both spellings are served.
  for (const path of ['/autodiscover/autodiscover.xml', '/Autodiscover/Autodiscover.xml']) {
    app.post(path, bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.text('request too large', 413) }), async (c) => {
      const address = autodiscoverEmail(await c.req.text());
      const domain = address?.slice(address.lastIndexOf('@') + 1).toLowerCase();
      if (!address || !domain || !(await deps.hosted(domain))) return c.notFound();
      return c.body(outlookAutodiscover(address, deps.services(domain)), 200, { 'Content-Type': 'application/xml; charset=utf-8' });
    });
  }

  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.notFound((c) => c.text('not found', 404));
  return app;
}
