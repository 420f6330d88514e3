export { configSchema, type Config, type ConfigInput } from './schema.js';
export { loadConfig, parseConfig, validateConfig, ConfigError, type ConfigProblem, type LoadedConfig, type LoadOptions } from './load.js';
export { parseSize, parseDuration, formatSize } from './units.js';
export { renderConfigTemplate, renderConfigMarkdown, describeSchema } from './template.js';
