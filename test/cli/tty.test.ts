import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gwctlProcess } from '../support/gwctl.js';
import { SPEC, exampleCopy, misspellServerName } from './fixtures.js';

const BIN = fileURLToPath(new URL('../../../bin/gwctl.js', import.meta.url));
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
/** A missing `script` fails these tests rather than skipping them: `npm test` skips nothing. */
const needScript = () => assert.ok(hasScript, 'util-linux `script` is not installed (apt-get install bsdutils)');
const ESC = '\u001b[';

/** Runs gwctl on a pseudo-terminal (util-linux `script`): what a person at a terminal sees. */
function onTerminal(args: string[], cwd: string, env: Record<string, string | undefined>) {
  const base = { ...process.env };
  for (const k of ['CI', 'GITHUB_ACTIONS', 'BUILD_NUMBER', 'NO_COLOR']) delete base[k];
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
    cwd,
    encoding: 'utf8',
    env: { ...base, TERM: 'xterm', ...env } as NodeJS.ProcessEnv,
  });
  return { exitCode: r.status, output: r.stdout };
}

test('colour on a terminal, none with NO_COLOR, none through a pipe', () => {
  needScript();
  const dir = exampleCopy('gwctl-tty-');
  misspellServerName(dir);
  const tty = onTerminal(['validate', SPEC], dir, {});
  assert.equal(tty.exitCode, 1);
  assert.ok(tty.output.includes(`${ESC}31merror`), JSON.stringify(tty.output));
  const noColor = onTerminal(['validate', SPEC], dir, { NO_COLOR: '1' });
  assert.equal(noColor.exitCode, 1);
  assert.match(noColor.output, /error +unknown key "servrName"/);
  assert.ok(!noColor.output.includes(ESC), JSON.stringify(noColor.output));
  const piped = gwctlProcess(['validate', SPEC], { cwd: dir, env: { NO_COLOR: '' } });
  assert.ok(!piped.stderr.includes(ESC), 'not a terminal: no colour');
});

test('progress on a terminal only: not in CI, not for machine formats, and its line is cleared', () => {
  needScript();
  const dir = exampleCopy('gwctl-tty-');
  const tty = onTerminal(['render', SPEC, '--out', 'out'], dir, { NO_COLOR: '1' });
  assert.equal(tty.exitCode, 0, tty.output);
  assert.match(tty.output, /\r\u001b\[2Kverifying the upstream chains of gw\/gateway\.yaml/);
  assert.match(tty.output, /\r\u001b\[2Kout: wrote nginx\.conf/, 'the progress line is cleared before the result');
  for (const [env, args] of [
    [{ CI: 'true' }, []],
    [{ GITHUB_ACTIONS: 'true' }, []],
    [{}, ['--format', 'json']],
    [{}, ['--format', 'github']],
  ] as const) {
    const r = onTerminal(['render', SPEC, '--out', 'out', ...args], dir, { NO_COLOR: '1', ...env });
    assert.equal(r.exitCode, 0, r.output);
    assert.ok(!r.output.includes(`${ESC}2K`), `no progress with ${JSON.stringify(env)} ${args.join(' ')}`);
  }
  const piped = gwctlProcess(['render', SPEC, '--out', 'out'], { cwd: dir });
  assert.ok(!piped.stderr.includes(ESC), 'not a terminal: no progress');
});
