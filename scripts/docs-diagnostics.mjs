// Writes docs/diagnostics.md from the check registry (src/checks/). Run after `npm run build`.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DIAGNOSTICS_DOC, diagnosticsMarkdown } from '../dist/src/checks/docs.js';

const target = fileURLToPath(new URL(`../${DIAGNOSTICS_DOC}`, import.meta.url));
writeFileSync(target, diagnosticsMarkdown());
console.log(`wrote ${DIAGNOSTICS_DOC}`);
