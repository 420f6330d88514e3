/*
 * The host's own headroom and the role addresses every domain owes the
 * world (doctor.md A09, A11): free disk on the data directory's file
 * system and free memory, and postmaster@ (RFC 5321 4.5.1: required) and
 * abuse@ (RFC 2142: expected by blocklist operators and feedback loops)
 * delivering somewhere for each hosted domain.
 *
 * Exports: hostChecks, DISK_ERROR_BYTES, DISK_WARNING_RATIO.
 * Security: none; the facts are gathered by the caller.
 * Interpretations: a mail server whose disk fills refuses mail with 452
 * (Petrel) or loses it (others), so under 1 GiB or 5% free is an error and
 * under 15% a warning; under 256 MiB of available memory is a warning (the
 * stores and TLS need some, clamd wants about a gigabyte).
 */
import { finding, type Finding } from '../types.js';
import type { NetworkCheck } from './types.js';

export const DISK_ERROR_BYTES = 1024 ** 3;
const DISK_ERROR_RATIO = 0.05;
export const DISK_WARNING_RATIO = 0.15;
const MEMORY_WARNING_BYTES = 256 * 1024 ** 2;

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
const percent = (part: number, whole: number) => `${whole > 0 ? Math.round((100 * part) / whole) : 0}%`;

export const hostChecks: NetworkCheck = async (host, domains, net) => {
  const out: Finding[] = [];
  const { freeBytes, totalBytes } = net.disk;
  const seen = `${gib(freeBytes)} free of ${gib(totalBytes)} (${percent(freeBytes, totalBytes)})`;
  if (freeBytes < DISK_ERROR_BYTES || freeBytes < totalBytes * DISK_ERROR_RATIO) {
    out.push(finding('A09', 'error', 'disk (data directory)', 'the disk is almost full', seen, 'at least 15% and 1 GiB free', 'When it fills, Petrel answers 452 and mail waits on the senders\' queues. Free space (petrel queue list shows deferred mail; old logs) or move the data directory to a larger disk.'));
  } else if (freeBytes < totalBytes * DISK_WARNING_RATIO) {
    out.push(finding('A09', 'warning', 'disk (data directory)', 'the disk is filling up', seen, 'at least 15% free', 'Plan more space before it fills: mailboxes only grow.'));
  }
  if (net.memory.freeBytes < MEMORY_WARNING_BYTES) {
    out.push(finding('A09', 'warning', host.hostname, 'little memory is available', `${Math.round(net.memory.freeBytes / 1024 ** 2)} MiB available of ${gib(net.memory.totalBytes)}`, 'at least 256 MiB available', 'Stop what else runs on this machine or add memory: under pressure the kernel may kill the server.'));
  }
  for (const d of domains) {
    const roles = net.roleAddresses[d.domain];
    if (!roles) continue;
    if (!roles.postmaster) {
      out.push(finding('A11', 'error', d.domain, `postmaster@${d.domain} delivers nowhere`, 'no account, alias or [directory] postmaster for it', `postmaster@${d.domain} delivered to a person`, `Every domain must accept mail for postmaster (RFC 5321 4.5.1), and DMARC and TLS reports go there by default. Run petrel alias add postmaster@${d.domain} YOU@${d.domain}, or add a user to the domain.`));
    }
    if (!roles.abuse) {
      out.push(finding('A11', 'warning', d.domain, `abuse@${d.domain} does not exist`, 'no account or alias', `abuse@${d.domain} delivered to a person`, `Blocklist operators and other providers write to abuse@ (RFC 2142). Run petrel alias add abuse@${d.domain} postmaster@${d.domain}.`));
    }
  }
  return out;
};
