// Build step after tsc: writes nginx.conf's Handlebars templates compiled, next to the compiled
// renderer, so `gwctl render` does not compile them on every run (docs/startup.md).
import { writeFileSync } from 'node:fs';

const { PRECOMPILED_TEMPLATES, precompiledTemplatesSource } = await import('../dist/src/render/templates.js');
writeFileSync(new URL(`../dist/src/render/${PRECOMPILED_TEMPLATES}`, import.meta.url), precompiledTemplatesSource());
