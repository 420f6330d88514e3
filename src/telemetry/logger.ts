/*
 * The logger: one line per event, key=value pairs after a fixed prefix, so
 * that one grep for a session id, queue id or Message-ID follows a message
 * from connect to delivery, as operators do with Postfix logs:
 *
 *   2026-11-27T23:40:00.123Z info smtp[mx] session=Ab12 queue=0M4x... accepted from=<a@example.net> size=4120 nrcpt=2
 *
 * Security: values come from peers. Control characters (CR, LF, ESC...) are
 * escaped so a peer cannot forge log lines; callers never pass passwords or
 * tokens.
 */

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type FieldValue = string | number | boolean | bigint | null | undefined;
export type Fields = Record<string, FieldValue>;

export interface Logger {
  debug(event: string, fields?: Fields): void;
  info(event: string, fields?: Fields): void;
  warn(event: string, fields?: Fields): void;
  error(event: string, fields?: Fields): void;
  /** A logger whose lines carry these fields (session, queue...) first. */
  child(fields: Fields, module?: string): Logger;
}

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level?: Level;
  module?: string;
  write?: (line: string) => void;
  now?: () => Date;
}

// Anything below 0x20 (but tab), DEL and the C1 range is escaped.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

export function escapeValue(value: string): string {
  const quote = value === '' || /[\s"]/.test(value);
  let escaped = quote ? value.replace(/["\\]/g, (c) => `\\${c}`) : value;
  escaped = escaped.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return quote ? `"${escaped}"` : escaped;
}

function format(fields: Fields): string {
  let out = '';
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value === undefined) continue;
    out += ` ${key}=${value === null ? '-' : escapeValue(String(value))}`;
  }
  return out;
}

export function createLogger(options: LoggerOptions = {}, bound: Fields = {}): Logger {
  const threshold = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const now = options.now ?? (() => new Date());
  const module = options.module ?? 'petrel';
  // Formatted at the first line written: a session's or message's child logger often writes none.
  let prefix: string | undefined;

  const emit = (level: Level, event: string, fields?: Fields): void => {
    prefix ??= format(bound);
    write(`${now().toISOString()} ${level} ${module}${prefix} ${escapeValue(event)}${fields ? format(fields) : ''}`);
  };
  // Levels below the threshold are a shared no-op, so a quiet server pays nothing for them.
  const at = (level: Level) => (ORDER[level] < threshold ? noop : (event: string, fields?: Fields) => emit(level, event, fields));

  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields, childModule) => createLogger({ ...options, module: childModule ?? module }, { ...bound, ...fields }),
  };
}

const noop = (): void => {};

/** A logger that keeps its lines in memory, for tests. */
export function createMemoryLogger(level: Level = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level, write: (l) => lines.push(l) });
  return Object.assign(logger, { lines });
}

export const silentLogger: Logger = createLogger({ write: () => {} });
