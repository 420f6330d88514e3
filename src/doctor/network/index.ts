/*
 * The doctor's network checks, in the order they are reported: the host's
 * headroom and role addresses, the listeners and their behaviour, TLS on
 * every port and name, autoconfiguration over HTTPS, and the DKIM round
 * trip.
 *
 * Exports: networkChecks, and the types of ./types.js.
 */
import { autoconfigChecks } from './autoconfig.js';
import { dkimProbeChecks } from './dkim-probe.js';
import { hostChecks } from './host.js';
import { serviceChecks } from './services.js';
import { tlsChecks } from './tls.js';
import type { NetworkCheck } from './types.js';

export type { HttpAnswer, NetworkCheck, NetworkDeps, NetworkFacts, ServiceEndpoint, TlsProbeOptions } from './types.js';

export const networkChecks: readonly NetworkCheck[] = [hostChecks, serviceChecks, tlsChecks, autoconfigChecks, dkimProbeChecks];
