import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadPrecompiledTemplates,
  precompiledTemplatesSource,
  templateOptions,
  templateSources,
} from '../../src/render/templates.js';
import { renderCommand } from '../../src/commands/render.js';
import { REPO_ROOT } from '../support/gwctl.js';

/**
 * nginx.conf's templates are compiled at build time (scripts/build-templates.mjs): the build's
 * file must be compiled from the texts in templates/, a file compiled from other texts must not be
 * used, and templates compiled either way must render the same bytes.
 */

test('the build compiled the templates from the texts in templates/', () => {
  assert.ok(
    loadPrecompiledTemplates(templateSources()),
    'dist/src/render/templates.precompiled.cjs is stale: run npm run build',
  );
});

test('templates compiled from other texts are not used', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-templates-'));
  try {
    const real = templateSources();
    const other = { ...real, main: `${real.main}\n# changed\n` };
    const file = join(dir, 'templates.precompiled.cjs');
    writeFileSync(file, precompiledTemplatesSource(other));
    assert.deepEqual(
      [loadPrecompiledTemplates(real, file) === undefined, loadPrecompiledTemplates(other, file) !== undefined],
      [true, true],
    );
    assert.equal(loadPrecompiledTemplates(real, join(dir, 'none.cjs')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('templates compiled at build time and at run time render the same nginx.conf and manifest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-templates-'));
  const specDir = join(REPO_ROOT, 'test/golden/every-partial');
  const ctx = {
    format: 'json' as const,
    failSeverity: 'error' as const,
    color: false,
    cwd: specDir,
    now: new Date('2027-01-01T00:00:00Z'),
  };
  try {
    const renders: string[][] = [];
    for (const precompiled of [true, false]) {
      templateOptions.precompiled = precompiled;
      const out = join(dir, 'out');
      const r = await renderCommand('gateway.yaml', { out, check: false, warnDays: 30 }, ctx);
      assert.equal(r.exitCode, 0, r.stderr);
      renders.push(['nginx.conf', 'gwctl-manifest.json'].map((f) => readFileSync(join(out, f), 'utf8')));
    }
    assert.ok(renders[0][0].length > 1000);
    assert.deepEqual(renders[1], renders[0]);
  } finally {
    templateOptions.precompiled = true;
    rmSync(dir, { recursive: true, force: true });
  }
});
