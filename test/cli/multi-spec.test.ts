import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SPEC, exampleCopy, misspellServerName, run } from './fixtures.js';

// pre-commit passes every matching file to one invocation: `gwctl verify-chain a.yaml b.yaml`.
test('verify-chain takes several specs: each upstream names its spec, and one bad spec fails the run', async () => {
  const a = exampleCopy('gwctl-multi-');
  const b = exampleCopy('gwctl-multi-');
  const specB = join(b, SPEC);
  const ok = await run(['verify-chain', SPEC, specB, '--format', 'json'], a);
  assert.equal(ok.exitCode, 0, ok.stdout);
  const body = JSON.parse(ok.stdout) as { ok: boolean; upstreams: { name: string; spec?: string; ok: boolean }[] };
  assert.deepEqual(
    body.upstreams.map((u) => [u.spec, u.name, u.ok]),
    [
      [SPEC, 'orders', true],
      [specB, 'orders', true],
    ],
  );
  const human = await run(['verify-chain', SPEC, specB], a);
  assert.match(human.stdout, new RegExp(`^${SPEC.replace(/\./g, '\\.')}: orders: ok$`, 'm'));

  const single = JSON.parse((await run(['verify-chain', SPEC, '--format', 'json'], a)).stdout) as {
    upstreams: Record<string, unknown>[];
  };
  assert.ok(!('spec' in single.upstreams[0]), 'one spec: the contract shape, unchanged');

  misspellServerName(b);
  const bad = await run(['verify-chain', SPEC, specB, '--format', 'github'], a);
  assert.equal(bad.exitCode, 1);
  assert.match(bad.stdout, /title=schema\.unknown-key::unknown key "servrName"/);

  const both = await run(['verify-chain', SPEC, specB, '--upstream', 'orders'], a);
  assert.equal(both.exitCode, 2);
  assert.match(both.stderr, /--upstream goes with a single spec/);
});
