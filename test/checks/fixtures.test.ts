import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHECKS } from '../../src/checks/index.js';
import { FIXTURES } from './fixtures/index.js';
import { runCase } from './harness.js';

for (const check of CHECKS) {
  const fixture = FIXTURES[check.code];
  if (!fixture) continue; // registry.test.ts names every check without fixtures
  test(`${check.code}: the trigger reports exactly its diagnostics`, async () => {
    const got = await runCase(fixture.trigger);
    assert.deepEqual(got, fixture.trigger.expect);
    assert.ok(
      got.some((g) => g.startsWith(`${check.severity} ${check.code} `)),
      `the trigger must report ${check.code} at its registered severity`,
    );
  });
  test(`${check.code}: the near miss does not trigger it`, async () => {
    const got = await runCase(fixture.nearMiss);
    assert.deepEqual(got, fixture.nearMiss.expect);
    assert.ok(!got.some((g) => g.split(' ')[1] === check.code));
  });
}
