/*
 * `petrel cert list | reload`. list reads the same certificate sources the
 * server reads and shows each certificate's names, issuer, expiry and the
 * listeners that serve it; reload signals the running server (SIGHUP
 * through <data>/petrel.pid), which re-reads every certificate.
 */
import { dataPaths } from '../app/paths.js';
import { readPidFile } from '../app/recovery.js';
import { tlsSettingsFor } from '../app/tls-settings.js';
import { createLogger } from '../telemetry/logger.js';
import { describeCertificates, openCertificateRegistry } from '../tls/index.js';
import { UsageError, type CommandContext } from './context.js';

const TLS_ROLES = ['mx', 'submission', 'submissions', 'lmtp'] as const;

export async function cert(ctx: CommandContext): Promise<number> {
  const [action] = ctx.args;
  const loaded = ctx.loadConfig();
  const { config } = loaded;
  const paths = dataPaths(loaded.dataDir, config);
  switch (action) {
    case 'list': {
      const registry = await openCertificateRegistry(
        tlsSettingsFor(config, paths),
        createLogger({ level: 'error', write: (l) => ctx.io.err(l) }),
        { watch: false },
      );
      try {
        for (const line of describeCertificates(registry.list()).split('\n')) ctx.io.out(line);
        const listeners = TLS_ROLES.filter((r) => config[r].enabled).flatMap((r) => config[r].listen.map((l) => `${r} ${l}${r === 'submissions' ? ' (implicit TLS)' : ' (STARTTLS)'}`));
        ctx.io.out('');
        ctx.io.out('Served by SNI on every TLS listener:');
        for (const l of listeners) ctx.io.out(`  ${l}`);
      } finally {
        registry.close();
      }
      return 0;
    }
    case 'reload': {
      const running = readPidFile(paths.pidFile);
      if (!running) {
        ctx.io.err(`no running server found (no ${paths.pidFile})`);
        return 1;
      }
      const { pid } = running;
      try {
        process.kill(pid, 'SIGHUP');
      } catch (err) {
        ctx.io.err(`could not signal process ${pid}: ${(err as Error).message}`);
        return 1;
      }
      ctx.io.out(`asked the server (pid ${pid}) to reload its configuration and certificates`);
      return 0;
    }
    default:
      throw new UsageError('usage: petrel cert list|reload');
  }
}
