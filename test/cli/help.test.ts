import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, gwctlProcess } from '../support/gwctl.js';
import { run } from './fixtures.js';

const COMMANDS = ['validate', 'verify-chain', 'render', 'test'];

test('every command explains itself: --help with examples, exit 0, on stdout', async () => {
  for (const cmd of COMMANDS) {
    const r = await run([cmd, '--help'], REPO_ROOT);
    assert.equal(r.exitCode, 0, cmd);
    assert.match(r.stdout, new RegExp(`^Usage: gwctl ${cmd} `), cmd);
    assert.match(r.stdout, /\nExamples:\n {2}gwctl /, `${cmd} --help has examples`);
  }
  const top = await run(['--help'], REPO_ROOT);
  assert.equal(top.exitCode, 0);
  for (const cmd of COMMANDS) assert.match(top.stdout, new RegExp(`\n {2}${cmd} `), `top-level help lists ${cmd}`);
  assert.match(top.stdout, /--format <format> .*human.*json.*github.*sarif/s);
  assert.match(top.stdout, /\nExamples:\n/);
  assert.match(top.stdout, /Exit codes: 0 all good; 1 findings/);
});

test('--version prints the package version', () => {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const r = gwctlProcess(['--version']);
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, `${version}\n`);
});

test('a mistyped command or option gets a suggestion and exit 2', async () => {
  const cmd = await run(['valdate', 'gw.yaml'], REPO_ROOT);
  assert.equal(cmd.exitCode, 2);
  assert.match(cmd.stderr, /unknown command 'valdate'\n\(Did you mean validate\?\)/);
  const opt = await run(['render', 'gw.yaml', '--out', 'o', '--chek'], REPO_ROOT);
  assert.equal(opt.exitCode, 2);
  assert.match(opt.stderr, /unknown option '--chek'\n\(Did you mean --check\?\)/);
  assert.match(opt.stderr, /add --help for usage and examples/);
  const value = await run(['--format', 'sarf', 'validate', 'gw.yaml'], REPO_ROOT);
  assert.equal(value.exitCode, 2);
  assert.match(value.stderr, /Allowed choices are human, json, github, sarif/);
});

test('gwctl with no arguments prints the help to stderr and exits 2', () => {
  const r = gwctlProcess([]);
  assert.equal(r.exitCode, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^Usage: gwctl /);
});
