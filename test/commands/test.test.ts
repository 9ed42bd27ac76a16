import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testCommand } from '../../src/commands/test.js';
import type { CommandContext } from '../../src/commands/context.js';
import { gwctlProcess } from '../support/gwctl.js';
import { SPEC, exampleCopy, fakeNginx, run } from '../cli/fixtures.js';
import { BIN, snapshot, snapshotDiff } from '../security/support.js';

async function rendered(): Promise<string> {
  const dir = exampleCopy('gwctl-test-');
  const r = await run(['render', SPEC, '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  return dir;
}

function edit(file: string, from: string | RegExp, to: string): void {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  assert.notEqual(next, text, `${String(from)} not found in ${file}`);
  writeFileSync(file, next);
}

const lineOf = (file: string, needle: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(needle)) + 1;

test('a good rendered output passes nginx -t: exit 0', async () => {
  const dir = await rendered();
  const r = await run(['test', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /^out: \S*(nginx|openresty) -t passed\n$/);
  const j = await run(['test', 'out', '--format', 'json'], dir);
  const body = JSON.parse(j.stdout) as {
    ok: boolean;
    nginx: { args: string[]; exitCode: number };
    diagnostics: unknown[];
  };
  assert.equal(body.ok, true);
  assert.deepEqual(body.nginx.args, ['-p', `${join(dir, 'out')}/`, '-c', 'nginx.conf', '-e', 'logs/error.log', '-t']);
  assert.equal(body.nginx.exitCode, 0);
  assert.deepEqual(body.diagnostics, []);
});

test('a broken output fails with exit 1 at nginx.conf:LINE, and with --spec also points at the spec', async () => {
  const dir = await rendered();
  const conf = join(dir, 'out/nginx.conf');
  // (A directive gwctl never writes does not reach nginx at all: test/check/conf-guard.test.ts.)
  edit(conf, 'proxy_ssl_verify_depth 1;', 'proxy_ssl_verify_depth one;');
  const line = lineOf(conf, 'proxy_ssl_verify_depth one');
  const bare = await run(['test', 'out'], dir);
  assert.equal(bare.exitCode, 1);
  assert.match(
    bare.stderr,
    new RegExp(
      `^out/nginx\\.conf:${line}:1 +error +nginx -t: "proxy_ssl_verify_depth" directive invalid number +\\[nginx\\.rejected\\]`,
      'm',
    ),
  );

  const withSpec = await run(['test', 'out', '--spec', SPEC], dir);
  assert.equal(withSpec.exitCode, 1);
  // verifyDepth is not in the spec (derived): the pointer lands on upstream orders' tls block (its first key).
  const tlsLine = lineOf(join(dir, SPEC), 'trustStore: internal');
  assert.match(
    withSpec.stderr,
    new RegExp(
      `^gw/gateway\\.yaml:${tlsLine}:7 +info +out/nginx\\.conf:${line}, rendered from the TLS settings of upstream "orders" \\(tls\\.verifyDepth\\), fails nginx -t: "proxy_ssl_verify_depth" directive invalid number`,
      'm',
    ),
  );

  const gh = await run(['test', 'out', '--spec', SPEC, '--format', 'github'], dir);
  assert.match(
    gh.stdout,
    new RegExp(
      `^::error file=out/nginx\\.conf,line=${line},col=1,title=nginx\\.rejected::nginx -t: "proxy_ssl_verify_depth" directive invalid number`,
      'm',
    ),
  );
  assert.match(gh.stdout, /^::notice file=gw\/gateway\.yaml,line=\d+,col=\d+,title=nginx\.source::/m);
});

test('no nginx binary: exit 2 with a message that says how to fix it', async () => {
  const dir = await rendered();
  const ctx: CommandContext = {
    format: 'human',
    failSeverity: 'error',
    color: false,
    cwd: dir,
    now: new Date(),
    env: { PATH: join(dir, 'empty-bin') },
  };
  await assert.rejects(
    testCommand('out', { fallbacks: [] }, ctx),
    /no nginx or openresty binary found .*--nginx PATH or GWCTL_NGINX/,
  );

  const viaFlag = gwctlProcess(['test', 'out', '--nginx', '/nonexistent/nginx'], { cwd: dir });
  assert.equal(viaFlag.exitCode, 2);
  assert.equal(viaFlag.stderr, 'gwctl: --nginx /nonexistent/nginx: does not exist\n');
  const viaEnv = gwctlProcess(['test', 'out'], { cwd: dir, env: { GWCTL_NGINX: '/nonexistent/openresty' } });
  assert.equal(viaEnv.exitCode, 2);
  assert.match(viaEnv.stderr, /^gwctl: GWCTL_NGINX \/nonexistent\/openresty: does not exist\n$/);
});

test('a directory without nginx.conf is exit 2, not a failed test', async () => {
  const dir = exampleCopy('gwctl-test-');
  mkdirSync(join(dir, 'empty'));
  const r = await run(['test', 'empty'], dir);
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /no nginx\.conf to test \(render into the directory first/);
});

test('nginx warnings pass by default and fail with --fail-severity warning', async () => {
  const dir = await rendered();
  const conf = join(dir, 'out/nginx.conf');
  // A second server with the same name on the same port: nginx -t warns "conflicting server name".
  const text = readFileSync(conf, 'utf8');
  writeFileSync(
    conf,
    text.replace(
      /\}\s*$/,
      '    server {\n        listen 8080;\n        server_name "dup.example";\n    }\n    server {\n        listen 8080;\n        server_name "dup.example";\n    }\n}\n',
    ),
  );
  const lenient = await run(['test', 'out', '--format', 'json'], dir);
  assert.equal(lenient.exitCode, 0, lenient.stdout);
  const body = JSON.parse(lenient.stdout) as {
    ok: boolean;
    diagnostics: { severity: string; code: string; message: string }[];
  };
  assert.ok(
    body.diagnostics.some(
      (d) =>
        d.severity === 'warning' &&
        d.code === 'nginx.warning' &&
        /conflicting server name "dup\.example"/.test(d.message),
    ),
    lenient.stdout,
  );
  const strict = await run(['--fail-severity', 'warning', 'test', 'out'], dir);
  assert.equal(strict.exitCode, 1);
  assert.match(strict.stderr, /warning +nginx -t: conflicting server name/);
});

test('render --test runs nginx -t with the documented arguments on the staged output beside DIR; its failure is exit 1 traced to the spec, DIR untouched', async () => {
  const dir = exampleCopy('gwctl-test-');
  const ok = await run(['render', SPEC, '--out', 'out', '--test'], dir);
  assert.equal(ok.exitCode, 0, ok.stderr);
  assert.match(ok.stdout, /^out: wrote nginx\.conf.*\n\S*(nginx|openresty) -t passed\n$/);

  // A spec nginx -t rejects (the stand-in below rejects the server line of upstream "status").
  const spec = join(dir, SPEC);
  edit(spec, '"127.0.0.1:9080"', '"127.0.0.2:9080"');
  const log = join(dir, 'args.log');
  const fake = fakeNginx(
    dir,
    `echo "$@" >> ${log}\nline=$(grep -n 'server 127.0.0.2:9080;' "$2nginx.conf" | cut -d: -f1)\necho "nginx: [emerg] host not found in upstream \\"127.0.0.2:9080\\" in $2nginx.conf:$line" >&2\nexit 1`,
  );
  const before = snapshot(dir);
  const bad = await run(['render', SPEC, '--out', 'out', '--test', '--nginx', fake, '--format', 'json'], dir);
  assert.equal(bad.exitCode, 1, bad.stdout);
  const args = readFileSync(log, 'utf8');
  assert.match(
    args,
    new RegExp(`^-p ${dir}/\\.out\\.gwctl-staging-[0-9a-f]+/ -c nginx\\.conf -e logs/error\\.log -t\n$`),
    'nginx -t ran on the staged output beside DIR',
  );
  rmSync(log);
  assert.deepEqual(snapshotDiff(before, snapshot(dir)), [], 'DIR (and everything around it) exactly as it was');
  const body = JSON.parse(bad.stdout) as {
    ok: boolean;
    changed: string[];
    diagnostics: { code: string; file: string; line: number; path: string; severity: string; message: string }[];
  };
  assert.equal(body.ok, false);
  assert.deepEqual(body.changed, [], 'nothing written');
  const [rejected, source, kept] = body.diagnostics;
  assert.deepEqual(
    { code: rejected.code, file: rejected.file },
    { code: 'nginx.rejected', file: join(dir, 'out/nginx.conf') },
    'named as DIR/nginx.conf, not the staged copy',
  );
  assert.ok(rejected.line > 1);
  const specLine = lineOf(spec, '"127.0.0.2:9080"');
  assert.deepEqual(
    { code: source.code, severity: source.severity, path: source.path, file: source.file, line: source.line },
    { code: 'nginx.source', severity: 'info', path: '$.upstreams.status.servers[0]', file: spec, line: specLine },
  );
  assert.equal(kept.code, 'render.kept');
  assert.doesNotMatch(
    JSON.stringify(body.diagnostics),
    /gwctl-staging/,
    'messages never name the staged copy, which is gone',
  );
  // --check knows DIR is not what the spec renders.
  const check = await run(['render', SPEC, '--out', 'out', '--check'], dir);
  assert.equal(check.exitCode, 1);
  assert.match(check.stderr, /out\/nginx\.conf: differs/);
});

test('gwctl test refuses a file for DIR, and an nginx.conf that is a FIFO or a device, at once (exit 2)', () => {
  const dir = exampleCopy('gwctl-test-');
  mkdirSync(join(dir, 'fifo'));
  execFileSync('mkfifo', [join(dir, 'fifo/nginx.conf')]);
  mkdirSync(join(dir, 'zero'));
  symlinkSync('/dev/zero', join(dir, 'zero/nginx.conf'));
  const cases: [string, RegExp][] = [
    [SPEC, /gw\/gateway\.yaml: is not a directory; gwctl test takes the rendered output directory/],
    ['fifo', /fifo\/nginx\.conf: is not a regular file/],
    ['zero', /zero\/nginx\.conf: is not a regular file/],
  ];
  for (const [target, message] of cases) {
    // Without the check a FIFO blocks and /dev/zero fills memory: the child is then killed.
    const r = spawnSync(process.execPath, [BIN, 'test', target], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
    assert.equal(r.status, 2, `${target}: ${r.signal ?? ''} ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('render --check --test runs nginx only when the output is up to date', async () => {
  const dir = await rendered();
  const log = join(dir, 'args.log');
  const fake = fakeNginx(dir, `echo "$@" >> ${log}\nexit 0`);
  const fresh = await run(['render', SPEC, '--out', 'out', '--check', '--test', '--nginx', fake], dir);
  assert.equal(fresh.exitCode, 0, fresh.stderr);
  assert.ok(existsSync(log), 'nginx ran on the up-to-date output');
  writeFileSync(log, '');
  edit(join(dir, 'out/nginx.conf'), 'proxy_ssl_verify on;', 'proxy_ssl_verify off;');
  const drifted = await run(['render', SPEC, '--out', 'out', '--check', '--test', '--nginx', fake], dir);
  assert.equal(drifted.exitCode, 1);
  assert.equal(readFileSync(log, 'utf8'), '', 'nginx did not run on drifted output');
});

test('--nginx without --test is a usage error', async () => {
  const dir = exampleCopy('gwctl-test-');
  const r = await run(['render', SPEC, '--out', 'out', '--nginx', '/usr/sbin/nginx'], dir);
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /--nginx goes with --test/);
  assert.ok(!existsSync(join(dir, 'out')));
});

test('--spec that is no gateway spec (a scalar, binary, a system file) is reported, not silently ignored', async () => {
  const dir = await rendered();
  const nginx = fakeNginx(dir, 'exit 0');
  writeFileSync(join(dir, 'scalar.yaml'), '42\n');
  writeFileSync(join(dir, 'broken.yaml'), 'version: [1\n');
  for (const [spec, code] of [
    ['scalar.yaml', 'schema.bad-type'],
    ['broken.yaml', 'yaml.syntax'],
    ['/etc/passwd', 'schema.bad-type'],
  ]) {
    const r = await run(['test', 'out', '--nginx', nginx, '--spec', spec], dir);
    assert.equal(r.exitCode, 1, `${spec}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`  error +.+  \\[${code.replace('.', '\\.')}\\]`), spec);
    assert.doesNotMatch(r.stderr, /root:/, 'nothing of the file is echoed');
  }
});

test('a key that is not on this host: exit 1 at its nginx.conf line, and nginx -t not run, in words that read right in either order', async () => {
  const dir = exampleCopy('gwctl-test-');
  const missing = join(dir, 'host/etc/gateway/keys/gateway-client.key');
  edit(join(dir, SPEC), 'key: pki/gateway-client.key', `key: { hostPath: ${missing} }`);
  assert.equal((await run(['render', SPEC, '--out', 'out'], dir)).exitCode, 0);
  const line = lineOf(join(dir, 'out/nginx.conf'), 'proxy_ssl_certificate_key');
  const r = await run(['test', 'out'], dir);
  assert.equal(r.exitCode, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    [
      // Sorted by line: the note (line 1) comes before the key it is about.
      'out/nginx.conf:1:1  info     nginx -t was not run: it would stop at the first of the key problems reported here; fix them, then run gwctl test out again  [test.not-run]',
      `out/nginx.conf:${line}:1  error    ${missing}: does not exist  [file.missing]`,
      '1 error(s), 0 warning(s)',
      '',
    ].join('\n'),
  );
});
