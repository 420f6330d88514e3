/*
 * The doctor's network checks, in the order they are reported: the host's
 * headroom and role addresses, the listeners and their behaviour,
 * reachability on the public addresses and outwards on port 25, TLS on
 * every port and name, autoconfiguration over HTTPS, and the DKIM round
 * trip.
 *
 * Exports: networkChecks, and the types of ./types.js.
 */
import { autoconfigChecks } from './autoconfig.js';
import { dkimProbeChecks } from './dkim-probe.js';
import { hostChecks } from './host.js';
import { reachabilityChecks } from './reachability.js';
import { listenerChecks, serviceChecks } from './services.js';
import { tlsChecks } from './tls.js';
import type { NetworkCheck } from './types.js';

export { listenerChecks };
export type { HttpAnswer, NetworkCheck, NetworkDeps, NetworkFacts, ServiceEndpoint, TlsProbeOptions } from './types.js';

/** The checks after listenerChecks (A01), which are given only the endpoints that answered. */
export const networkChecks: readonly NetworkCheck[] = [hostChecks, serviceChecks, reachabilityChecks, tlsChecks, autoconfigChecks, dkimProbeChecks];
