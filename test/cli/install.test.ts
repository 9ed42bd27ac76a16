import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/gwctl.js';

/*
 * The README's install, as written: `npm link` in the clone puts `gwctl` on PATH. npm's global
 * prefix is a directory of this test's own (npm_config_prefix), so nothing outside it changes.
 */
test('README set-up: after npm link, gwctl is on PATH and runs', { timeout: 120_000 }, () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const setUp = /## Set-up[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  assert.deepEqual(
    setUp
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/\s+#.*$/, '')),
    ['npm ci', 'npm link'],
    'two commands',
  );
  const prefix = mkdtempSync(join(tmpdir(), 'gwctl-prefix-'));
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      npm_config_prefix: prefix,
      npm_config_audit: 'false',
      npm_config_fund: 'false',
    };
    // --ignore-scripts: the suite already built dist/; a rebuild here would race the other tests.
    const link = spawnSync('npm', ['link', '--ignore-scripts'], { cwd: REPO_ROOT, env, encoding: 'utf8' });
    assert.equal(link.status, 0, link.stderr);
    const onPath = { ...env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };
    const which = spawnSync('sh', ['-c', 'command -v gwctl'], { env: onPath, encoding: 'utf8' });
    assert.equal(which.stdout.trim(), join(prefix, 'bin', 'gwctl'));
    const version = spawnSync('gwctl', ['--version'], { env: onPath, encoding: 'utf8' });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version);
    const validate = spawnSync('gwctl', ['validate', 'examples/mtls-upstream/gateway.yaml'], {
      cwd: REPO_ROOT,
      env: onPath,
      encoding: 'utf8',
    });
    assert.equal(validate.status, 0, validate.stderr);
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});
