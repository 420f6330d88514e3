/*
 * Listen addresses from the configuration: "host:port", "[v6]:port" or
 * "unix:/path".
 */
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import type { Server } from 'node:net';

export type ListenAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export function parseListen(text: string): ListenAddress {
  if (text.startsWith('unix:')) return { kind: 'unix', path: text.slice(5) };
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) throw new Error(`not a listen address: ${text}`);
  return { kind: 'tcp', host: m[1]!, port: Number(m[2]) };
}

export function formatListen(address: ListenAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/**
 * Binds a server to a listen address and waits until it listens. A unix
 * socket file left by a process that was killed is removed first, or
 * listen would fail.
 */
export async function bindServer(server: Server, address: ListenAddress): Promise<void> {
  if (address.kind === 'unix') await rm(address.path, { force: true });
  const listening = once(server, 'listening');
  if (address.kind === 'unix') server.listen(address.path);
  else server.listen(address.port, address.host);
  await listening;
}
