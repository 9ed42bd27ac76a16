import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECKS, CODES } from '../../src/checks/index.js';
import { diagnosticsMarkdown } from '../../src/checks/docs.js';
import { FIXTURES } from './fixtures/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

/** File and host names, whose dots make them look like codes. */
const NOT_CODES =
  /\.(?:conf|js|cjs|mjs|ts|json|ya?ml|pem|crt|key|crl|hbs|md|log|pid|lua|so|txt|pass|sh|com|org|net|internal|local|test)$/;
/** Library error codes gwctl reads but never emits. */
const FOREIGN = new Set(['commander.help', 'commander.version']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every string literal in src/ shaped like a code (`area.name`, `chain.strict.name`), with the file it is in. */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sourceFiles(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/['"`]([a-z]+(?:\.[a-z][a-z0-9]*(?:-[a-z0-9]+)*)+)['"`]/g))
      if (!NOT_CODES.test(m[1]) && !FOREIGN.has(m[1])) found.set(m[1], file.slice(root.length + 1));
  }
  return found;
}

test('every code is registered once', () => {
  const seen = CODES.map((c) => c.code);
  assert.deepEqual(
    seen.filter((c, i) => seen.indexOf(c) !== i),
    [],
  );
});

test('every code emitted anywhere in src/ is registered (src/checks/index.ts or engine-codes.ts)', () => {
  const registered = new Set(CODES.map((c) => c.code));
  const missing = [...codesInSource()].filter(([code]) => !registered.has(code)).map(([c, f]) => `${c} (${f})`);
  assert.deepEqual(missing, []);
});

test('every registered code is emitted somewhere in src/ (no stale entries)', () => {
  const inSource = codesInSource();
  assert.deepEqual(
    CODES.map((c) => c.code).filter((c) => !inSource.has(c)),
    [],
  );
});

test('every check has a fixture pair: a trigger that reports it and a near miss that does not', () => {
  const problems: string[] = [];
  for (const check of CHECKS) {
    const f = FIXTURES[check.code];
    if (!f?.trigger) problems.push(`${check.code}: no trigger`);
    else if (!f.trigger.expect.some((e) => e.startsWith(`${check.severity} ${check.code} `)))
      problems.push(`${check.code}: the trigger does not expect it at severity ${check.severity}`);
    if (!f?.nearMiss) problems.push(`${check.code}: no near miss`);
    else if (f.nearMiss.expect.some((e) => e.split(' ')[1] === check.code))
      problems.push(`${check.code}: the near miss expects it`);
  }
  const checkCodes = new Set(CHECKS.map((c) => c.code));
  for (const code of Object.keys(FIXTURES)) if (!checkCodes.has(code)) problems.push(`${code}: fixtures for no check`);
  assert.deepEqual(problems, []);
});

test('every code has a one-line summary and help', () => {
  const bad = CODES.filter((c) => !c.summary.trim() || c.summary.includes('\n') || !c.help.trim()).map((c) => c.code);
  assert.deepEqual(bad, []);
});

test('docs/diagnostics.md is generated from the registry (npm run docs:diagnostics)', () => {
  const committed = readFileSync(join(root, 'docs', 'diagnostics.md'), 'utf8');
  assert.ok(committed === diagnosticsMarkdown(), 'docs/diagnostics.md is stale: run `npm run docs:diagnostics`');
});
