import { test } from 'node:test';
import assert from 'node:assert/strict';
import { securityBits, securityLevelOf } from '../../src/tls/security-level.js';

test("the level a cipher list leaves: the last well-formed @SECLEVEL, else Debian's default 2", () => {
  const cases: [string | undefined, number][] = [
    [undefined, 2],
    ['DEFAULT', 2],
    ['HIGH:!aNULL', 2],
    ['DEFAULT@SECLEVEL=1', 1],
    ['DEFAULT:@SECLEVEL=0', 0],
    ['DEFAULT:@SECLEVEL=5', 5],
    ['DEFAULT:@SECLEVEL=1:@SECLEVEL=3', 3],
    ['DEFAULT:@STRENGTH:@SECLEVEL=4', 4],
  ];
  assert.deepEqual(
    cases.map(([c]) => securityLevelOf(c)),
    cases.map(([, l]) => l),
  );
});

test('minimum security bits per level (x509_vfy.c minbits_table)', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(securityBits), [0, 80, 112, 128, 192, 256]);
});
