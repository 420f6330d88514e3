/*
 * One ACME order, from names to a certificate chain (RFC 8555 7.4):
 * create the order; read its authorizations; for each one still pending,
 * choose a challenge (DNS-01 for wildcards), put every answer in place
 * (then, for DNS-01, wait for the zone's secondaries), tell the CA; poll
 * the order until it is ready; finalize with a CSR for the given key; poll
 * until valid; download the chain and check it before anyone serves it:
 * the leaf matches our key, covers every name asked, and loads the way the
 * certificate registry loads it. Answers are removed whatever happens;
 * authorizations left pending by a failure are deactivated.
 *
 * Exports: orderCertificate, OrderDeps.
 *
 * Security: every object comes from the CA. The number of authorizations
 * and challenges is bounded; an authorization for a name we did not ask
 * for stops the order before any record is written (a CA cannot make us
 * publish TXT records or tokens for names of its choosing); polling is
 * bounded in total time; failure details quoted from the CA are cut short.
 * Standards: RFC 8555 sections 7.1.3 (order status), 7.1.4 (wildcard
 * authorizations carry the base name), 7.1.6 (status changes), 7.4
 * (finalize with a CSR), 7.4.2 (download), 7.5 (authorizations), 7.5.1
 * (responding to challenges), 7.5.2 (deactivation), 8.3, 8.4.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import acme from 'acme-client';
import { loadCertificate, splitPemCertificates } from '../certificate.js';
import { chooseChallenge, provisionChallenge, type ChallengeDeps, type Provisioned } from './challenges.js';
import { MAX_AUTHORIZATIONS, MAX_CHALLENGES_PER_AUTHORIZATION, MAX_ORDER_POLL_MS, POLL_MAX_MS, POLL_MIN_MS } from './limits.js';
import type { ChallengeType } from './types.js';

export interface OrderDeps extends ChallengeDeps {
  client: acme.Client;
  challenge: ChallengeType;
  sleep: (ms: number) => Promise<void>;
  /** Wait after DNS-01 records are added, before the CA is asked to look. */
  dnsPropagationMs: number;
}

/** A CSR's subject CN holds at most 64 characters (RFC 5280 ub-common-name); longer first names go in the SAN only. */
const MAX_COMMON_NAME = 64;
/** Characters of a CA's error detail quoted in our errors. */
const MAX_QUOTED_DETAIL = 300;

type Authorization = Awaited<ReturnType<acme.Client['getAuthorizations']>>[number];
type Order = Awaited<ReturnType<acme.Client['createOrder']>>;

function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  return text.length > MAX_QUOTED_DETAIL ? `${text.slice(0, MAX_QUOTED_DETAIL)}...` : text;
}

/** The requested name an authorization is for (`*.` + base for a wildcard), or why it is not one of ours. */
function authorizedName(authz: Authorization, wanted: ReadonlySet<string>): string {
  const id = authz.identifier;
  if (id?.type !== 'dns' || typeof id.value !== 'string') throw new Error(`the CA sent an authorization for a ${quote(id?.type)} identifier`);
  const name = `${authz.wildcard ? '*.' : ''}${id.value.toLowerCase()}`;
  if (!wanted.has(name)) throw new Error(`the CA sent an authorization for ${quote(name)}, which was not requested`);
  return name;
}

/** Polls the order until `done(status)` or invalid, within MAX_ORDER_POLL_MS of waiting. */
async function pollOrder(deps: OrderDeps, order: Order, done: (status: Order['status']) => boolean): Promise<Order> {
  let delay = POLL_MIN_MS;
  let waited = 0;
  for (;;) {
    const current = await deps.client.getOrder(order);
    if (current.status === 'invalid' || done(current.status)) return current;
    if (waited >= MAX_ORDER_POLL_MS) throw new Error(`the order is still ${quote(current.status)} after ${Math.round(waited / 1000)} s`);
    await deps.sleep(delay);
    waited += delay;
    delay = Math.min(delay * 2, POLL_MAX_MS);
  }
}

/** Why an order went invalid: the failed challenges' errors, or the order's own. */
async function whyInvalid(deps: OrderDeps, order: Order): Promise<string> {
  const reasons: string[] = [];
  try {
    for (const authz of await deps.client.getAuthorizations(order)) {
      if (authz.status === 'valid') continue;
      const failed = (authz.challenges ?? []).slice(0, MAX_CHALLENGES_PER_AUTHORIZATION).filter((c) => c.error !== undefined);
      const name = `${authz.wildcard ? '*.' : ''}${String(authz.identifier?.value ?? '?')}`;
      const detail = failed.map((c) => `${c.type}: ${quote((c.error as { detail?: unknown }).detail ?? c.error)}`).join('; ');
      reasons.push(`${quote(name)} ${quote(authz.status)}${detail ? ` (${detail})` : ''}`);
      if (reasons.length >= 5) break;
    }
  } catch (err) {
    reasons.push(`(the authorizations could not be read: ${quote((err as Error).message)})`);
  }
  if (reasons.length === 0 && order.error) reasons.push(quote((order.error as { detail?: unknown }).detail ?? order.error));
  return reasons.join('; ') || 'no reason given';
}

/** Orders a certificate for `names` (normalized A-labels) with the key `keyPem`; resolves with the PEM chain, leaf first, checked. */
export async function orderCertificate(deps: OrderDeps, names: readonly string[], keyPem: string): Promise<string> {
  const { client, logger } = deps;
  const wanted = new Set(names);
  let order = await client.createOrder({ identifiers: names.map((value) => ({ type: 'dns', value })) });
  const urls = order.authorizations ?? [];
  if (!Array.isArray(urls) || urls.length === 0 || urls.length > Math.min(MAX_AUTHORIZATIONS, names.length)) {
    throw new Error(`the CA answered an order for ${names.length} names with ${Array.isArray(urls) ? urls.length : 'no'} authorizations`);
  }
  for (const id of order.identifiers ?? []) {
    const name = typeof id?.value === 'string' ? id.value.toLowerCase() : '';
    if (!wanted.has(name) && !wanted.has(`*.${name}`)) throw new Error(`the CA's order names ${quote(name)}, which was not requested`);
  }
  logger.info('acme order created', { names: names.join(','), authorizations: urls.length });

  const authorizations = await client.getAuthorizations(order);
  const pending: { authz: Authorization; challenge: Authorization['challenges'][number] }[] = [];
  for (const authz of authorizations) {
    const name = authorizedName(authz, wanted);
    if (authz.status === 'valid') continue;
    if (authz.status !== 'pending') throw new Error(`the authorization for ${name} is ${quote(authz.status)}`);
    const type = chooseChallenge(deps.challenge, name.startsWith('*.'));
    const offered = Array.isArray(authz.challenges) ? authz.challenges : [];
    if (offered.length > MAX_CHALLENGES_PER_AUTHORIZATION) throw new Error(`the CA offers ${offered.length} challenges for ${name}`);
    const challenge = offered.find((c) => c.type === type);
    if (!challenge) throw new Error(`the CA offers no ${type} challenge for ${name} (offered: ${offered.map((c) => quote(c.type)).join(', ') || 'none'})`);
    pending.push({ authz, challenge });
  }

  const provisioned: Provisioned[] = [];
  const completed = new Set<Authorization>();
  let succeeded = false;
  try {
    for (const { authz, challenge } of pending) {
      const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
      provisioned.push(await provisionChallenge(deps, { type: challenge.type as ChallengeType, token: challenge.token }, authz.identifier.value.toLowerCase(), keyAuthorization));
    }
    if (provisioned.some((p) => p.type === 'dns-01') && deps.dnsPropagationMs > 0) await deps.sleep(deps.dnsPropagationMs);
    for (const { authz, challenge } of pending) {
      await client.completeChallenge(challenge);
      completed.add(authz);
    }

    order = await pollOrder(deps, order, (s) => s === 'ready' || s === 'valid' || s === 'processing');
    if (order.status === 'invalid') throw new Error(`the CA did not validate: ${await whyInvalid(deps, order)}`);

    if (order.status === 'ready') {
      const commonName = names[0] !== undefined && names[0].length <= MAX_COMMON_NAME ? names[0] : undefined;
      const [, csr] = await acme.crypto.createCsr({ ...(commonName ? { commonName } : {}), altNames: [...names] }, keyPem);
      order = await client.finalizeOrder(order, csr);
    }
    order = await pollOrder(deps, order, (s) => s === 'valid');
    if (order.status === 'invalid') throw new Error(`the CA refused to issue: ${await whyInvalid(deps, order)}`);
    const chain = await client.getCertificate(order);
    succeeded = true;
    return checkChain(chain, names, keyPem);
  } finally {
    await Promise.all(provisioned.map((p) => p.undo()));
    if (!succeeded) {
      for (const { authz } of pending) {
        if (completed.has(authz)) continue;
        await client.deactivateAuthorization(authz).catch((err: Error) => logger.debug('acme authorization deactivation failed', { error: err.message }));
      }
    }
  }
}

/** The chain as fullchain.pem holds it, after checking the leaf against our key and names. */
function checkChain(chain: unknown, names: readonly string[], keyPem: string): string {
  if (typeof chain !== 'string') throw new Error('the CA sent no PEM certificate chain');
  const blocks = splitPemCertificates(chain);
  if (blocks.length === 0) throw new Error('the CA sent no PEM certificate');
  const leaf = new X509Certificate(blocks[0]!);
  if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('the certificate the CA sent is not for our key');
  const pem = blocks.join('\n') + '\n';
  const loaded = loadCertificate({ certPem: pem, keyPem, source: 'acme', sourceId: 'acme' });
  const covered = new Set(loaded.info.names);
  const missing = names.filter((n) => !covered.has(n));
  if (missing.length > 0) throw new Error(`the certificate the CA sent does not cover ${missing.join(', ')}`);
  return pem;
}
