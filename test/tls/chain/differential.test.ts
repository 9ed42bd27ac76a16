import { after, before, test } from 'node:test';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import assert from 'node:assert/strict';
import { buildScenarios, type Scenario } from './scenarios.js';
import { compare } from './harness.js';

/**
 * The differential matrix: every scenario × verify depth × name, through gwctl and through
 * libcrypto under nginx's profile. gwctl must reach the same verdict and the same code, build the
 * same path, and report the same sequence of (error, depth) to the verify callback.
 */
const DEPTHS = [0, 1, 2, 3, 100];
let scenarios: Scenario[] = [];
let pkiDir = '';

before(async () => {
  const built = await buildScenarios();
  scenarios = built.scenarios;
  pkiDir = built.pki.dir;
});

after(() => rmSync(dirname(pkiDir), { recursive: true, force: true }));

test('gwctl agrees with OpenSSL on every scenario, depth and name', (t) => {
  const at = new Date();
  let runs = 0;
  const disagreements: string[] = [];
  for (const s of scenarios) {
    for (const depth of DEPTHS) {
      for (const name of s.names) {
        const c = compare(`${s.name} | depth ${depth} | name ${name ?? '(none)'}`, s.trusted, s.chain, depth, name, at);
        runs++;
        const same =
          c.gwctl.ok === c.openssl.ok &&
          c.gwctl.code === c.openssl.code &&
          JSON.stringify(c.gwctl.chain) === JSON.stringify(c.openssl.chain) &&
          JSON.stringify(c.gwctl.seen) === JSON.stringify(c.openssl.seen);
        if (!same)
          disagreements.push(`${c.label}: gwctl ${JSON.stringify(c.gwctl)} openssl ${JSON.stringify(c.openssl)}`);
      }
    }
  }
  t.diagnostic(
    `matrix: ${runs - disagreements.length}/${runs} agree (${scenarios.length} scenarios × ${DEPTHS.length} depths × names)`,
  );
  assert.deepEqual(disagreements, []);
});

test('the matrix exercises every error it is meant to cover', () => {
  const at = new Date();
  const codes = new Set<number | string | null>();
  for (const s of scenarios)
    for (const depth of [1, 100])
      for (const name of s.names) codes.add(compare(s.name, s.trusted, s.chain, depth, name, at).openssl.code);
  for (const want of [null, 2, 7, 9, 10, 18, 19, 20, 21, 25, 26, 34, 46, 47, 48, 62, 66, 67, 68, 79]) {
    assert.ok(codes.has(want), `no scenario yields ${want}; seen ${[...codes].join(',')}`);
  }
});
