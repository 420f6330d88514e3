/*
 * Loading the configuration: read the TOML file, substitute ${NAME} from the
 * environment (so secrets need not be written in the file), validate against
 * the schema, and report every problem with its key and reason.
 *
 * Security: the file is operator input. An unset ${NAME} is an error, never
 * an empty string, so a missing secret cannot silently become no secret.
 * Standards: TOML 1.0 (smol-toml).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { configSchema, type Config } from './schema.js';

export interface ConfigProblem {
  key: string;
  reason: string;
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`${source}: ${problems.map((p) => `${p.key}: ${p.reason}`).join('; ')}`);
    this.name = 'ConfigError';
  }

  /** One line per problem, the way `petrel config check` prints them. */
  describe(): string {
    return this.problems.map((p) => `${this.source}: ${p.key}: ${p.reason}`).join('\n');
  }
}

export type Env = Record<string, string | undefined>;

function interpolate(value: unknown, path: string, env: Env, problems: ConfigProblem[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const found = env[name];
      if (found === undefined) {
        problems.push({ key: path, reason: `environment variable ${name} is not set` });
        return '';
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, `${path}[${i}]`, env, problems));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, path ? `${path}.${k}` : k, env, problems);
    return out;
  }
  return value;
}

/** Validates an already-parsed document. */
export function validateConfig(document: unknown, source: string, env: Env = process.env): Config {
  const problems: ConfigProblem[] = [];
  const expanded = interpolate(document ?? {}, '', env, problems);
  if (problems.length > 0) throw new ConfigError(source, problems);
  const result = configSchema.safeParse(expanded);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const base = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) problems.push({ key: base ? `${base}.${k}` : k, reason: 'unknown key (check the spelling against `petrel init`)' });
      } else {
        problems.push({ key: base || '(top level)', reason: issue.message });
      }
    }
    throw new ConfigError(source, problems);
  }
  return result.data;
}

/** Parses TOML text and validates it. */
export function parseConfig(text: string, source: string, env: Env = process.env): Config {
  let document: unknown;
  try {
    document = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      throw new ConfigError(source, [{ key: `line ${err.line}, column ${err.column}`, reason: err.message.split('\n')[0] ?? 'TOML syntax error' }]);
    }
    throw err;
  }
  return validateConfig(document, source, env);
}

export interface LoadOptions {
  /** Path of the TOML file; none means the embedded defaults. */
  file?: string | undefined;
  /** Overrides data_dir (the --data flag). */
  dataDir?: string | undefined;
  env?: Env;
}

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file read, if any. */
  file: string | undefined;
  /** Absolute data directory. */
  dataDir: string;
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env.PETREL_CONFIG;
  let config: Config;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(file, [{ key: '(file)', reason: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((err as Error).message) }]);
    }
    config = parseConfig(text, file, env);
  } else {
    config = validateConfig({}, '(defaults)', env);
  }
  if (options.dataDir) config = { ...config, data_dir: options.dataDir };
  return { config, file: file ? resolve(file) : undefined, dataDir: resolve(config.data_dir) };
}
