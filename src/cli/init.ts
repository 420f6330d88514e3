/*
 * `petrel init`: writes a commented production configuration (standard
 * ports on all addresses, LMTP on loopback, data under /var/lib/petrel,
 * certificates from /etc/letsencrypt).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { renderConfigTemplate } from '../config/template.js';
import type { CommandContext } from './context.js';

export function productionValues(hostname: string): Record<string, unknown> {
  return {
    hostname,
    data_dir: '/var/lib/petrel',
    'mx.listen': ['0.0.0.0:25', '[::]:25'],
    'submission.listen': ['0.0.0.0:587', '[::]:587'],
    'submissions.listen': ['0.0.0.0:465', '[::]:465'],
    'lmtp.listen': ['127.0.0.1:24'],
    'imap.listen': ['0.0.0.0:143', '[::]:143'],
    'imaps.listen': ['0.0.0.0:993', '[::]:993'],
    'pop3.listen': ['0.0.0.0:110', '[::]:110'],
    'pop3s.listen': ['0.0.0.0:995', '[::]:995'],
    'managesieve.listen': ['0.0.0.0:4190', '[::]:4190'],
    'http.listen': ['0.0.0.0:80', '[::]:80'],
    'https.listen': ['0.0.0.0:443', '[::]:443'],
    'tls.certs_dir': '/etc/letsencrypt',
    'tls.default_name': hostname,
  };
}

export async function init(ctx: CommandContext): Promise<number> {
  const host = (ctx.options.hostname as string | undefined) ?? osHostname();
  const output = (ctx.options.output as string | undefined) ?? 'petrel.toml';
  const text = renderConfigTemplate(productionValues(host), [
    `Petrel configuration for ${host}, written by \`petrel init\`.`,
    'Every key is listed with what it does; commented-out keys show their default.',
    'Check it with `petrel config check FILE`; run with `petrel serve --config FILE`.',
    'A value may use ${NAME} to read an environment variable (for secrets).',
  ]);
  if (output === '-') {
    ctx.io.out(text.trimEnd());
    return 0;
  }
  if (existsSync(output) && !ctx.options.force) {
    ctx.io.err(`${output} exists; pass --force to overwrite it, or --output FILE`);
    return 1;
  }
  writeFileSync(output, text, { mode: 0o640 });
  ctx.io.out(`wrote ${output}`);
  return 0;
}
