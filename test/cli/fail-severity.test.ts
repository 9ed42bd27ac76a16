import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SPEC, addUnusedTrustStore, exampleCopy, run } from './fixtures.js';

// The spec has one warning (an unused trust store) and no error.
function warned(): string {
  const dir = exampleCopy('gwctl-sev-');
  addUnusedTrustStore(dir);
  return dir;
}

test('validate: warnings pass by default, fail at --fail-severity warning or info', async () => {
  const dir = warned();
  assert.equal((await run(['validate', SPEC], dir)).exitCode, 0);
  assert.equal((await run(['validate', SPEC, '--fail-severity', 'error'], dir)).exitCode, 0);
  const w = await run(['validate', SPEC, '--fail-severity', 'warning', '--format', 'json'], dir);
  assert.equal(w.exitCode, 1);
  assert.equal((JSON.parse(w.stdout) as { ok: boolean }).ok, false);
  assert.equal((await run(['--fail-severity', 'info', 'validate', SPEC], dir)).exitCode, 1);
});

test('verify-chain honours --fail-severity, in every format', async () => {
  const dir = warned();
  for (const format of ['human', 'json', 'github', 'sarif']) {
    assert.equal((await run(['verify-chain', SPEC, '--format', format], dir)).exitCode, 0, format);
    assert.equal(
      (await run(['verify-chain', SPEC, '--format', format, '--fail-severity', 'warning'], dir)).exitCode,
      1,
      format,
    );
  }
  const j = JSON.parse(
    (await run(['verify-chain', SPEC, '--format', 'json', '--fail-severity', 'warning'], dir)).stdout,
  ) as { ok: boolean; upstreams: { ok: boolean }[] };
  assert.equal(j.ok, false, 'the run fails');
  assert.ok(
    j.upstreams.every((u) => u.ok),
    'while every chain verifies',
  );
});

test('render: a warning at --fail-severity warning fails the run and writes nothing', async () => {
  const dir = warned();
  const strict = await run(['render', SPEC, '--out', 'out', '--fail-severity', 'warning'], dir);
  assert.equal(strict.exitCode, 1);
  assert.match(strict.stderr, /warning +trust store "spare" is not used/);
  assert.ok(!existsSync(join(dir, 'out')));
  assert.equal((await run(['render', SPEC, '--out', 'out'], dir)).exitCode, 0);
  assert.equal((await run(['render', SPEC, '--out', 'out', '--check'], dir)).exitCode, 0);
  assert.equal((await run(['render', SPEC, '--out', 'out', '--check', '--fail-severity', 'warning'], dir)).exitCode, 1);
});

test('validate takes several specs (as a pre-commit hook passes them): one bad spec fails the run', async () => {
  const dir = exampleCopy('gwctl-sev-');
  const other = warned();
  const both = await run(['validate', SPEC, join(other, SPEC), '--format', 'json'], dir);
  assert.equal(both.exitCode, 0);
  const body = JSON.parse(both.stdout) as { specs: string[]; diagnostics: { code: string; file: string }[] };
  assert.deepEqual(body.specs, [join(dir, SPEC), join(other, SPEC)]);
  assert.deepEqual(
    body.diagnostics.map((d) => [d.code, d.file]),
    [['ref.unused', join(other, SPEC)]],
  );
  assert.equal((await run(['validate', SPEC, join(other, SPEC), '--fail-severity', 'warning'], dir)).exitCode, 1);
});
