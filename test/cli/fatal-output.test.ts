import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SPEC, exampleCopy, misspellServerName, run } from './fixtures.js';

// A pipeline parses stdout (JSON) or uploads it (SARIF): when gwctl stops (exit 2) it must still
// get a document that says so, not empty input.

test('exit 2 in json, github and sarif: a document on stdout that carries the error, and the message on stderr', async () => {
  const dir = exampleCopy('gwctl-fatal-');
  for (const args of [
    ['validate', 'missing.yaml'],
    ['render', 'missing.yaml', '--out', 'out'],
    ['verify-chain', SPEC, '--at', '2024-02-30'],
  ]) {
    const json = await run([...args, '--format', 'json'], dir);
    assert.equal(json.exitCode, 2, args.join(' '));
    const body = JSON.parse(json.stdout) as {
      ok: boolean;
      fatal: { message: string }[];
      diagnostics: unknown[];
      upstreams?: unknown[];
    };
    assert.equal(body.ok, false);
    assert.equal(body.fatal.length, 1);
    assert.match(body.fatal[0].message, /missing\.yaml: cannot read the spec \(ENOENT\)|--at/);
    assert.deepEqual(body.diagnostics, []);
    if (args[0] === 'verify-chain') assert.deepEqual(body.upstreams, [], 'verify-chain keeps its contract shape');
    assert.match(json.stderr, /missing\.yaml|--at/);

    const github = await run([...args, '--format', 'github'], dir);
    assert.equal(github.exitCode, 2);
    assert.match(
      github.stdout,
      /^::error (file=missing\.yaml,)?title=gwctl\.fatal::.*(missing\.yaml: cannot read the spec|--at)/m,
    );

    const sarif = await run([...args, '--format', 'sarif'], dir);
    assert.equal(sarif.exitCode, 2);
    const invocation = (
      JSON.parse(sarif.stdout) as {
        runs: {
          invocations: {
            executionSuccessful: boolean;
            toolExecutionNotifications: { level: string; message: { text: string } }[];
          }[];
        }[];
      }
    ).runs[0].invocations[0];
    assert.equal(invocation.executionSuccessful, false);
    assert.equal(invocation.toolExecutionNotifications[0].level, 'error');
  }
});

test("several specs, one unreadable: the others' findings are reported beside its error, and the run exits 2", async () => {
  const dir = exampleCopy('gwctl-fatal-');
  writeFileSync(join(dir, 'scalar.yaml'), '42\n');
  const line = misspellServerName(dir);
  const specs = ['scalar.yaml', 'missing.yaml', SPEC];

  const json = await run(['validate', ...specs, '--format', 'json'], dir);
  assert.equal(json.exitCode, 2);
  const body = JSON.parse(json.stdout) as {
    fatal: { spec: string; message: string }[];
    diagnostics: { code: string; file: string; line: number }[];
  };
  assert.deepEqual(
    body.fatal.map((f) => f.spec),
    ['missing.yaml'],
  );
  assert.deepEqual(
    body.diagnostics.filter((d) => d.code !== 'ref.unused').map((d) => [d.code, d.file]),
    [
      ['schema.bad-type', join(dir, 'scalar.yaml')],
      ['schema.unknown-key', join(dir, SPEC)],
    ],
  );

  const human = await run(['validate', ...specs], dir);
  assert.equal(human.exitCode, 2);
  assert.match(human.stderr, /^scalar\.yaml:1:1 +error/m);
  assert.match(human.stderr, new RegExp(`^gw/gateway\\.yaml:${line}:\\d+ +error`, 'm'));
  assert.match(human.stderr, /^gwctl: missing\.yaml: cannot read the spec \(ENOENT\)$/m);

  const chain = await run(['verify-chain', ...specs, '--format', 'json'], dir);
  assert.equal(chain.exitCode, 2);
  const chainBody = JSON.parse(chain.stdout) as { fatal: { spec: string }[]; diagnostics: { code: string }[] };
  assert.deepEqual(
    chainBody.fatal.map((f) => f.spec),
    ['missing.yaml'],
  );
  assert.ok(chainBody.diagnostics.some((d) => d.code === 'schema.unknown-key'));
  assert.ok(chainBody.diagnostics.some((d) => d.code === 'schema.bad-type'));
});
