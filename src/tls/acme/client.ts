/*
 * acme-client, bounded, and the ACME account.
 *
 * acme-client (5.4) signs requests (JWS), follows the directory and
 * retries bad nonces (at most five); its HTTP goes through one shared axios
 * instance whose own retry of 429 and 5xx answers sleeps whatever the
 * Retry-After header says. Each client made here has its HTTP calls
 * bounded: a timeout and an abort signal per request, the response body
 * capped (MAX_ACME_RESPONSE_BYTES), no redirects, no axios retries (a
 * failed issuance is tried again by the schedule, with back-off), and
 * the CA's TLS certificate checked against the system's roots or, for a
 * private CA or a test, against `ca`. This wraps the client's HttpClient
 * request method (an internal of acme-client, checked at construction so
 * another version fails loudly rather than unbounded).
 *
 * The account: one per CA directory, its key (ECDSA P-256) kept in the
 * AcmeStore. A new key is saved before it is registered, so a crash
 * between registration and saving the URL loses nothing (registering the
 * same key again returns the existing account, RFC 8555 7.3.1). A changed
 * contact address is sent as an account update.
 *
 * Exports: createAcmeClient, openAccount, AcmeAccount.
 *
 * Security: the CA's answers are untrusted input; see the bounds above.
 * The account key is a private key; it goes only to the store and to
 * acme-client for signing. Agreeing to the CA's terms of service is
 * implied by the operator turning [acme] on.
 * Standards: RFC 8555 sections 6.1 (HTTPS), 6.5 (nonces), 7.3 (accounts),
 * 7.3.2 (contact update).
 */
import { Agent } from 'node:https';
import acme from 'acme-client';
import type { AcmeStore } from '../../store/types.js';
import type { Logger } from '../../telemetry/index.js';
import { generateAccountKey } from './keys.js';
import { ACME_REQUEST_TIMEOUT_MS, MAX_ACME_RESPONSE_BYTES } from './limits.js';

type RequestFn = (url: string, method: string, opts?: Record<string, unknown>) => Promise<unknown>;

/** An acme-client Client whose every HTTP request is bounded (see the header). */
export function createAcmeClient(options: { directoryUrl: string; accountKey: string; accountUrl?: string; ca?: string }): acme.Client {
  const client = new acme.Client({
    directoryUrl: options.directoryUrl,
    accountKey: options.accountKey,
    ...(options.accountUrl ? { accountUrl: options.accountUrl } : {}),
    // Only waitForValidStatus uses these, which the manager does not call; kept small anyway.
    backoffAttempts: 3,
    backoffMin: 1000,
    backoffMax: 5000,
  });
  const http = (client as unknown as { http?: { request?: RequestFn } }).http;
  if (typeof http?.request !== 'function') throw new Error('acme-client has no http.request: an incompatible version is installed');
  const request = http.request.bind(http);
  const httpsAgent = options.ca ? new Agent({ ca: options.ca, keepAlive: false }) : undefined;
  http.request = async (url, method, opts = {}) => {
    const signal = AbortSignal.timeout(ACME_REQUEST_TIMEOUT_MS);
    try {
      return await request(url, method, {
        ...opts,
        ...(httpsAgent ? { httpsAgent } : {}),
        timeout: ACME_REQUEST_TIMEOUT_MS,
        signal,
        maxContentLength: MAX_ACME_RESPONSE_BYTES,
        maxBodyLength: MAX_ACME_RESPONSE_BYTES,
        maxRedirects: 0,
        // acme-client's axios interceptor retries while retryAttempt <= its maximum (5): start past it.
        retryAttempt: Number.MAX_SAFE_INTEGER - 1,
      });
    } catch (err) {
      // A transport failure reaches acme-client's interceptor without a response, and it fails reading one: say what happened instead.
      const message = err instanceof Error ? err.message : String(err);
      const detail = signal.aborted
        ? `no answer within ${ACME_REQUEST_TIMEOUT_MS / 1000} s`
        : /reading 'config'/.test(message)
          ? `no usable answer (connection failed, TLS refused, or a body over ${MAX_ACME_RESPONSE_BYTES} bytes)`
          : message;
      throw new Error(`ACME ${method.toUpperCase()} ${url}: ${detail}`);
    }
  };
  return client;
}

export interface AcmeAccount {
  client: acme.Client;
  accountUrl: string;
  /** Registered with the CA by this call. */
  created: boolean;
}

const contact = (email: string): string[] => (email ? [`mailto:${email}`] : []);

/** The account for this directory: loaded from the store, or created (key saved first) and registered once. */
export async function openAccount(options: { store: AcmeStore; directoryUrl: string; email: string; ca?: string; logger: Logger }): Promise<AcmeAccount> {
  const { store, directoryUrl, email, logger } = options;
  let saved = await store.account(directoryUrl);
  if (saved?.accountUrl) {
    const client = createAcmeClient({ directoryUrl, accountKey: saved.accountKey, accountUrl: saved.accountUrl, ca: options.ca });
    if ((saved.email ?? '') !== email) {
      await client.updateAccount({ contact: contact(email) });
      await store.saveAccount(directoryUrl, { ...saved, email });
      logger.info('acme account contact updated', { directory: directoryUrl, email: email || null });
    }
    return { client, accountUrl: saved.accountUrl, created: false };
  }
  if (!saved) {
    saved = { accountKey: await generateAccountKey(), accountUrl: null, email };
    await store.saveAccount(directoryUrl, saved);
  }
  const client = createAcmeClient({ directoryUrl, accountKey: saved.accountKey, ca: options.ca });
  await client.createAccount({ termsOfServiceAgreed: true, contact: contact(email) });
  const accountUrl = client.getAccountUrl();
  await store.saveAccount(directoryUrl, { accountKey: saved.accountKey, accountUrl, email });
  logger.info('acme account registered', { directory: directoryUrl, account: accountUrl, email: email || null });
  return { client, accountUrl, created: true };
}
