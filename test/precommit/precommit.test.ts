import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../support/gwctl.js';
import { copyExample } from '../support/example.js';

/*
 * The real `pre-commit` against this repository as a hook provider, from a consumer repository
 * made on the spot. pre-commit installs the hook repo into a node env (npm install, which runs
 * our `prepare` build, then npm pack and npm install -g of the tarball) for every try-repo, so
 * each test here takes a while (about 10-20 s each on a 2-core machine).
 */

const hasPreCommit = spawnSync('pre-commit', ['--version'], { encoding: 'utf8' }).status === 0;
/** A missing pre-commit fails these tests rather than skipping them: `npm test` skips nothing. */
function needPreCommit(): void {
  assert.ok(hasPreCommit, 'pre-commit is not installed (apt-get install pre-commit, or pip install pre-commit)');
}
const TIMEOUT = 600_000;

/** The environment for pre-commit: none of the npm_* variables `npm test` sets for its scripts. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'INIT_CWD' || k === 'NODE_OPTIONS' || k === 'NODE_TEST_CONTEXT') continue;
    env[k] = v;
  }
  return {
    ...env,
    GIT_AUTHOR_NAME: 'gwctl test',
    GIT_AUTHOR_EMAIL: 'test@example.invalid',
    GIT_COMMITTER_NAME: 'gwctl test',
    GIT_COMMITTER_EMAIL: 'test@example.invalid',
    ...extra,
  };
}

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: TIMEOUT });
}

function git(cwd: string, ...args: string[]): string {
  const r = sh('git', ['-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], cwd);
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

let hookRepoPath: string | undefined;
/**
 * This working tree as a committed repository, as a consumer would clone it. Files are taken from
 * the working tree (tracked and untracked, minus .gitignore'd ones), so the test checks the code
 * under test, not the last commit; try-repo on a dirty tree would leave out untracked files.
 */
function hookRepo(): string {
  if (hookRepoPath) return hookRepoPath;
  const dir = join(mkdtempSync(join(tmpdir(), 'gwctl-hookrepo-')), 'gwctl');
  mkdirSync(dir);
  const list = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  assert.equal(list.status, 0, `git ls-files in ${REPO_ROOT}: ${list.stderr}`);
  for (const f of list.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(REPO_ROOT, f))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(REPO_ROOT, f), join(dir, f));
  }
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'gwctl under test');
  hookRepoPath = dir;
  return dir;
}

/** A consumer repository holding the example spec and its certificates, committed. */
function consumer(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-consumer-'));
  copyExample(dir);
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'gateway');
  return dir;
}

function preCommit(cwd: string, args: string[], home: string): { status: number | null; output: string } {
  const r = sh('pre-commit', args, cwd, cleanEnv({ PRE_COMMIT_HOME: home, PRE_COMMIT_COLOR: 'never' }));
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test('pre-commit try-repo gwctl-validate passes on the example spec', { timeout: TIMEOUT }, () => {
  needPreCommit();
  const repo = consumer();
  const r = preCommit(
    repo,
    ['try-repo', hookRepo(), 'gwctl-validate', '--all-files', '--verbose'],
    mkdtempSync(join(tmpdir(), 'gwctl-pc-home-')),
  );
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /gwctl validate\.+Passed/);
  assert.match(r.output, /gateway\.yaml: valid/);
});

test('pre-commit try-repo gwctl-validate fails on a misspelt key, naming line and fix', { timeout: TIMEOUT }, () => {
  needPreCommit();
  const repo = consumer();
  const spec = join(repo, 'gateway.yaml');
  const text = readFileSync(spec, 'utf8').replace('serverName: orders.internal', 'servrName: orders.internal');
  writeFileSync(spec, text);
  const line = text.split('\n').findIndex((l) => l.includes('servrName')) + 1;
  const r = preCommit(
    repo,
    ['try-repo', hookRepo(), 'gwctl-validate', '--all-files'],
    mkdtempSync(join(tmpdir(), 'gwctl-pc-home-')),
  );
  assert.equal(r.status, 1, r.output);
  assert.match(r.output, /gwctl validate\.+Failed/);
  assert.match(
    r.output,
    new RegExp(`gateway\\.yaml:${line}:7 +error +unknown key "servrName": did you mean "serverName"\\?`),
  );
});

test('a .pre-commit-config.yaml with verify-chain and render-check: passes, then catches drift in the rendered output', {
  timeout: TIMEOUT,
}, () => {
  needPreCommit();
  const repo = consumer();
  const render = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'bin/gwctl.js'), 'render', 'gateway.yaml', '--out', 'rendered'],
    { cwd: repo, encoding: 'utf8' },
  );
  assert.equal(render.status, 0, render.stderr);
  const rev = git(hookRepo(), 'rev-parse', 'HEAD');
  writeFileSync(
    join(repo, '.pre-commit-config.yaml'),
    [
      'repos:',
      `  - repo: ${hookRepo()}`,
      `    rev: ${rev}`,
      '    hooks:',
      '      - id: gwctl-verify-chain',
      '      - id: gwctl-render-check',
      '        args: [gateway.yaml, --out, rendered]',
      '',
    ].join('\n'),
  );
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'rendered output and hooks');
  const home = mkdtempSync(join(tmpdir(), 'gwctl-pc-home-'));

  const clean = preCommit(repo, ['run', '--all-files'], home);
  assert.equal(clean.status, 0, clean.output);
  assert.match(clean.output, /gwctl verify-chain\.+Passed/);
  assert.match(clean.output, /gwctl render --check\.+Passed/);
  // language_version: system — pre-commit linked the machine's Node.js instead of downloading one.
  const envs = readdirSync(home)
    .filter((d) => d.startsWith('repo'))
    .flatMap((d) => readdirSync(join(home, d)));
  assert.ok(envs.includes('node_env-system'), `node envs: ${envs.join(', ')}`);

  const conf = join(repo, 'rendered/nginx.conf');
  writeFileSync(conf, readFileSync(conf, 'utf8').replace('proxy_ssl_verify on;', 'proxy_ssl_verify off;'));
  const drift = preCommit(repo, ['run', '--all-files'], home);
  assert.equal(drift.status, 1, drift.output);
  assert.match(drift.output, /gwctl verify-chain\.+Passed/);
  assert.match(drift.output, /gwctl render --check\.+Failed/);
  assert.match(drift.output, /rendered\/nginx\.conf: differs \(run gwctl render gateway\.yaml --out rendered\)/);
});

/** The first ```yaml block of docs/pre-commit.md: the set-up users paste. */
function documentedConfig(repo: string, rev: string): string {
  const doc = readFileSync(join(REPO_ROOT, 'docs/pre-commit.md'), 'utf8');
  const block = /```yaml\n([\s\S]*?)```/.exec(doc);
  assert.ok(block, 'docs/pre-commit.md shows a .pre-commit-config.yaml');
  const text = block[1];
  assert.match(text, /^ {4}rev: [0-9a-f]{40} /m, 'the documented rev is a full commit, not a tag that does not exist');
  return text.replace(/^( {2}- repo: )\S+/m, `$1${repo}`).replace(/^( {4}rev: )\S+/m, `$1${rev}`);
}

/** Environment files beside the base (docs/environments.md): more than pre-commit puts in one batch. */
const ENVIRONMENTS = ['staging', 'production', 'dr', 'canary', 'perf'];

test('the set-up docs/pre-commit.md shows, pinned to a real commit: passes, and reports a typo once, even in a base that environment files extend', {
  timeout: TIMEOUT,
}, () => {
  needPreCommit();
  const repo = consumer();
  const base = join(repo, 'gateway.yaml');
  writeFileSync(
    base,
    readFileSync(base, 'utf8').replace(
      'version: 1\n',
      'version: 1\nenvironments:\n  overridable: [upstreams.*.servers]\n',
    ),
  );
  // Six files: pre-commit splits them over parallel runs (4 a batch, one per CPU) unless the
  // hook is require_serial, and each run would report the base's typo again.
  for (const [i, name] of ENVIRONMENTS.entries())
    writeFileSync(
      join(repo, `gateway.${name}.yaml`),
      `extends: gateway.yaml\noverrides:\n  upstreams:\n    orders:\n      servers: ["127.0.0.1:${9500 + i}"]\n`,
    );
  writeFileSync(
    join(repo, '.pre-commit-config.yaml'),
    documentedConfig(hookRepo(), git(hookRepo(), 'rev-parse', 'HEAD')),
  );
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'hooks as documented');
  const home = mkdtempSync(join(tmpdir(), 'gwctl-pc-home-'));
  const clean = preCommit(repo, ['run', '--all-files', '--verbose'], home);
  assert.equal(clean.status, 0, clean.output);
  for (const name of ENVIRONMENTS) assert.match(clean.output, new RegExp(`gateway\\.${name}\\.yaml: orders: ok`));

  writeFileSync(base, readFileSync(base, 'utf8').replace('serverName: orders.internal', 'servrName: orders.internal'));
  const typo = preCommit(repo, ['run', '--all-files'], home);
  assert.equal(typo.status, 1, typo.output);
  assert.equal(typo.output.match(/unknown key "servrName"/g)?.length, 1, typo.output);
});
