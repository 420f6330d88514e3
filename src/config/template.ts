/*
 * Renders a commented TOML configuration from the schema: every key with its
 * sentence and its value. `petrel init` writes it with production values;
 * docs/CONFIGURATION.md is generated from the same walk.
 *
 * Security: none (operator tooling).
 */
import { z } from 'zod';
import { stringify } from 'smol-toml';
import { configSchema } from './schema.js';

export interface SchemaKey {
  path: string[];
  doc: string;
  defaultValue: unknown;
}

export interface SchemaSection {
  path: string[];
  doc: string;
  keys: SchemaKey[];
}

/** The schema as a flat list of sections (the first has path [] for top-level keys). */
export function describeSchema(): SchemaSection[] {
  const sections: SchemaSection[] = [];
  const walk = (shape: Record<string, z.ZodType>, path: string[], doc: string): void => {
    const current: SchemaSection = { path, doc, keys: [] };
    sections.push(current);
    for (const [name, field] of Object.entries(shape)) {
      if (field instanceof z.ZodPrefault && field.unwrap() instanceof z.ZodObject) {
        const inner = field.unwrap() as unknown as z.ZodObject;
        walk(inner.shape as Record<string, z.ZodType>, [...path, name], field.description ?? '');
      } else if (field instanceof z.ZodPrefault) {
        current.keys.push({ path: [...path, name], doc: field.description ?? '', defaultValue: field._zod.def.defaultValue });
      } else if (field instanceof z.ZodDefault) {
        current.keys.push({ path: [...path, name], doc: field.description ?? '', defaultValue: field._zod.def.defaultValue });
      }
    }
  };
  walk(configSchema.shape as Record<string, z.ZodType>, [], '');
  // Sections without own keys (containers) are dropped; top-level first.
  return sections.filter((s) => s.keys.length > 0);
}

function wrap(text: string, prefix: string, width = 78): string[] {
  const lines: string[] = [];
  let line = prefix;
  for (const word of text.split(/\s+/)) {
    if (line.length + word.length + 1 > width && line !== prefix) {
      lines.push(line);
      line = prefix;
    }
    line += (line === prefix ? '' : ' ') + word;
  }
  if (line !== prefix) lines.push(line);
  return lines;
}

function tomlValue(value: unknown): string {
  // smol-toml stringifies tables; wrap the value to render it inline.
  const text = stringify({ v: value as never }).trim();
  if (text.startsWith('v = ')) return text.slice(4);
  // An array of tables renders as [[v]] blocks; render inline instead.
  if (Array.isArray(value)) return `[${value.map((v) => `{ ${Object.entries(v as object).map(([k, x]) => `${k} = ${tomlValue(x)}`).join(', ')} }`).join(', ')}]`;
  return text;
}

/**
 * A commented configuration. `values` overrides defaults by dotted path
 * ("mx.listen"); keys left at their default are written commented out.
 */
export function renderConfigTemplate(values: Record<string, unknown>, header: string[] = []): string {
  const out: string[] = header.map((h) => (h ? `# ${h}` : '#'));
  for (const section of describeSchema()) {
    out.push('');
    if (section.path.length > 0) {
      out.push(...wrap(section.doc, '# '));
      out.push(`[${section.path.join('.')}]`);
    }
    for (const k of section.keys) {
      const dotted = k.path.join('.');
      out.push(...wrap(k.doc, '# '));
      const name = k.path[k.path.length - 1]!;
      if (Object.prototype.hasOwnProperty.call(values, dotted)) {
        out.push(`${name} = ${tomlValue(values[dotted])}`);
      } else {
        out.push(`# ${name} = ${tomlValue(k.defaultValue)}`);
      }
    }
  }
  return out.join('\n') + '\n';
}

/** docs/CONFIGURATION.md: every section and key with its default and sentence. */
export function renderConfigMarkdown(): string {
  const out = [
    '# Configuration',
    '',
    'Petrel reads one TOML file (`petrel serve --config FILE`, or `$PETREL_CONFIG`). Without one it runs on the built-in',
    'development defaults below: every role on 127.0.0.1 on the "+1000" ports, data under `./data`.',
    '`petrel init` writes a commented production file; `petrel config check FILE` names the key and the reason of every error.',
    'Any string value may contain `${NAME}`, replaced by the environment variable NAME (an unset variable is an error), so',
    'secrets need not be written in the file. Sizes take units (`512K`, `50M`, `2G`); durations too (`250ms`, `30s`, `5m`, `1h`, `2d`).',
    '',
    'This page is generated from `src/config/schema.ts` (`npm run docs:config`); a test fails when they differ.',
  ];
  for (const section of describeSchema()) {
    out.push('');
    out.push(section.path.length > 0 ? `## [${section.path.join('.')}]` : '## Top level');
    if (section.doc) out.push('', section.doc);
    out.push('', '| key | default | what it does |', '|---|---|---|');
    for (const k of section.keys) {
      const value = tomlValue(k.defaultValue).replace(/\|/g, '\\|');
      out.push(`| \`${k.path[k.path.length - 1]}\` | \`${value}\` | ${k.doc.replace(/\|/g, '\\|')} |`);
    }
  }
  return out.join('\n') + '\n';
}
