/*
 * `petrel serve`: runs the server in the foreground until SIGTERM.
 */
import { startServer } from '../app/server.js';
import { createLogger } from '../telemetry/logger.js';
import type { CommandContext } from './context.js';

export async function serve(ctx: CommandContext): Promise<number> {
  const loaded = ctx.loadConfig();
  const logger = createLogger({ level: loaded.config.log.level });
  const server = await startServer(loaded, logger);
  const { io } = ctx;
  io.out('');
  io.out(`Petrel is running as ${loaded.config.hostname}; data in ${server.stores.paths.root}${loaded.file ? `; configuration ${loaded.file}` : ' (built-in development defaults)'}`);
  for (const l of server.listening) io.out(`  ${l.role.padEnd(12)} ${l.address}`);
  const domains = await server.stores.directory.listDomains();
  if (domains.length === 0) {
    io.out('');
    io.out('No domains yet. In another terminal, in this directory:');
    io.out('  npx petrel domain add example.com');
    io.out('  npx petrel user add alice@example.com');
    io.out('Then send a message, for example with swaks:');
    const mx = server.listening.find((l) => l.role === 'mx');
    if (mx) io.out(`  swaks --server ${mx.address} --to alice@example.com`);
    const imaps = server.listening.find((l) => l.role === 'imaps');
    if (imaps) io.out(`and read it over IMAP with TLS at ${imaps.address} (user alice@example.com, the certificate is self-signed):\n  curl -k --user alice@example.com 'imaps://${imaps.address}/INBOX;UID=1'`);
  }
  io.out('');

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info('signal', { signal });
      server.stop().then(
        () => resolve(0),
        (err) => {
          logger.error('stop failed', { reason: err instanceof Error ? err.message : String(err) });
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGUSR2', () => {
      logger.info('signal', { signal: 'SIGUSR2' });
      server.outbound?.kick();
      server.quarantine.kick();
    });
    process.on('SIGHUP', () => {
      logger.info('signal', { signal: 'SIGHUP' });
      void server.reload();
    });
  });
}
