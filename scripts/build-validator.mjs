// Build step after tsc: writes the spec schema's standalone ajv validator next to the compiled
// schema module, so `gwctl validate` does not compile the schema on every run (docs/startup.md).
import { writeFileSync } from 'node:fs';

const { SCHEMA } = await import('../dist/src/validate/schema.js');
const { PRECOMPILED_FILE, standaloneSource } = await import('../dist/src/validate/schema-validator.js');
writeFileSync(new URL(`../dist/src/validate/${PRECOMPILED_FILE}`, import.meta.url), standaloneSource(SCHEMA));
