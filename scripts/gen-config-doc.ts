// Regenerates docs/CONFIGURATION.md from the configuration schema.
import { writeFileSync } from 'node:fs';
import { renderConfigMarkdown } from '../src/config/template.js';

writeFileSync(new URL('../docs/CONFIGURATION.md', import.meta.url), renderConfigMarkdown());
