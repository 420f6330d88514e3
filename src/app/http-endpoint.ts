/*
 * The HTTP or HTTPS endpoint as this server runs it: ACME challenges from
 * the store, what every domain publishes (app/published.ts), our host
 * name. One constructor for `petrel serve` and for `petrel cert issue`
 * when it answers HTTP-01 itself with no server running.
 *
 * Exports: httpEndpointFor.
 * Security: see endpoints/http.
 */
import type { Config } from '../config/schema.js';
import { HttpEndpoint } from '../endpoints/http/endpoint.js';
import type { Logger } from '../telemetry/logger.js';
import type { CertificateRegistry } from '../tls/index.js';
import type { StoreContext } from './context.js';
import { publishedFor } from './published.js';

export function httpEndpointFor(secure: boolean, config: Config, stores: StoreContext, certificates: CertificateRegistry, logger: Logger): HttpEndpoint {
  const published = publishedFor(config);
  return new HttpEndpoint({
    secure,
    hostname: config.hostname,
    hosted: (domain) => stores.directory.isHosted(domain),
    challenge: (token) => stores.store.acme.challenge(token, Date.now()),
    mtaSts: published.mtaSts,
    services: published.services,
    certificates,
    logger,
  });
}
