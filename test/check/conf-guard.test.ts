import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SPEC, exampleCopy } from '../cli/fixtures.js';
import { nginxTest } from '../support/nginx.js';
import { runBin } from '../security/support.js';
import { readNginxConf } from '../../src/check/nginx-conf-reader.js';

/**
 * A shared object whose constructor leaves a file behind: loading it is running it (dlopen runs
 * constructors before nginx even looks for a module in it).
 */
function evilModule(dir: string, name: string, marker: string): string {
  mkdirSync(dir, { recursive: true });
  const src = join(dir, 'evil.c');
  writeFileSync(
    src,
    `#include <stdio.h>\n__attribute__((constructor)) static void ran(void) { FILE *f = fopen(${JSON.stringify(marker)}, "w"); if (f) { fputs("ran", f); fclose(f); } }\n`,
  );
  const so = join(dir, name);
  execFileSync('gcc', ['-shared', '-fPIC', '-o', so, src]);
  chmodSync(so, 0o755);
  return so;
}

async function renderedExample(flavor: 'nginx' | 'openresty' = 'nginx'): Promise<string> {
  const dir = exampleCopy('gwctl-guard-');
  const spec = join(dir, SPEC);
  writeFileSync(spec, readFileSync(spec, 'utf8').replace('flavor: openresty', `flavor: ${flavor}`));
  const r = await runBin(['render', SPEC, '--out', 'out'], { cwd: dir });
  assert.equal(r.exitCode, 0, r.stderr);
  return dir;
}

const codesOf = (stdout: string) =>
  (JSON.parse(stdout).diagnostics as { code: string; line: number }[]).map((d) => `${d.code}:${d.line}`);

test('gwctl test: a committed nginx.conf cannot make nginx -t load a shared object or read what gwctl never writes; real nginx would have run it', async () => {
  const dir = await renderedExample();
  const marker = join(dir, 'PWNED');
  const evil = evilModule(join(dir, 'evil'), 'ngx_http_lua_module.so', marker);
  const other = evilModule(join(dir, 'evil'), 'evil.so', marker);
  const conf = join(dir, 'out/nginx.conf');
  const good = readFileSync(conf, 'utf8');
  writeFileSync(join(dir, 'out/extra.conf'), `load_module "${other}";\n`);
  // Each edit puts its line first (line 1), or after the first line of the http block.
  const http = (line: string) => good.replace('http {\n', `http {\n${line}\n`);
  const httpLine = good.split('\n').indexOf('http {') + 2;
  const cases: [string, string, string[]][] = [
    [
      'a module named like the Lua module, from the checkout',
      `load_module "${evil}";\n${good}`,
      ['test.untrusted-module:1'],
    ],
    ['a module relative to the prefix', `load_module ../evil/evil.so;\n${good}`, ['test.untrusted-module:1']],
    ['include of a file that loads one', `include extra.conf;\n${good}`, ['test.untrusted-directive:1']],
    [
      'include inside a map block',
      http('map $host $x { include extra.conf; }'),
      [`test.untrusted-directive:${httpLine}`],
    ],
    ['ssl_engine', `ssl_engine evil;\n${good}`, ['test.untrusted-directive:1']],
    [
      'perl',
      http('perl_modules evil; perl_require evil.pm;'),
      [`test.untrusted-directive:${httpLine}`, `test.untrusted-directive:${httpLine}`],
    ],
    ['an engine key', http('ssl_certificate_key engine:evil:key;'), [`test.untrusted-directive:${httpLine}`]],
    [
      'a log outside the prefix',
      http(`access_log ${join(dir, 'outside.log')};`),
      [`test.untrusted-directive:${httpLine}`],
    ],
    ['a quote glued to a word', `load_module "${other}"x;\n${good}`, ['test.unreadable-conf:1']],
  ];
  for (const [what, text, codes] of cases) {
    writeFileSync(conf, text);
    // The threat is real: nginx -t itself runs the module (where the case loads one directly).
    if (what.startsWith('a module') || what.startsWith('include of')) {
      rmSync(marker, { force: true });
      nginxTest(join(dir, 'out'));
      assert.ok(existsSync(marker), `${what}: nginx -t ran the module`);
      rmSync(marker);
    }
    const r = await runBin(['--format', 'json', 'test', 'out'], { cwd: dir });
    assert.equal(r.exitCode, 1, `${what}: ${r.stdout}${r.stderr}`);
    assert.deepEqual(codesOf(r.stdout), codes, what);
    assert.ok(!existsSync(marker), `${what}: gwctl test did not run it`);
    assert.ok(!existsSync(join(dir, 'outside.log')), `${what}: nothing created outside DIR`);
  }
  writeFileSync(conf, good);
  const ok = await runBin(['test', 'out'], { cwd: dir });
  assert.equal(ok.exitCode, 0, ok.stderr);
  // Lua blocks are directives gwctl writes, so their code is not checked: what lets that be is
  // that lua-nginx-module runs no Lua under nginx -t (init_by_lua* is skipped when ngx_test_config
  // is set). Measured here on real nginx; this fails if a Lua module ever runs it.
  writeFileSync(
    conf,
    http(`init_by_lua_block { local f = io.open(${JSON.stringify(marker)}, "w") f:write("lua") f:close() }`),
  );
  const lua = await runBin(['test', 'out'], { cwd: dir });
  assert.equal(lua.exitCode, 0, lua.stderr);
  assert.ok(!existsSync(marker), 'nginx -t ran no Lua');
});

test('render --test / --check --test: a spec modulesPath outside the trusted directories is refused, DIR untouched; GWCTL_TRUSTED_MODULES lets the operator trust one', async () => {
  const dir = await renderedExample();
  const marker = join(dir, 'PWNED');
  const mods = join(dir, 'gw/mods');
  for (const name of ['ndk_http_module.so', 'ngx_http_lua_module.so']) evilModule(mods, name, marker);
  const spec = join(dir, SPEC);
  writeFileSync(spec, readFileSync(spec, 'utf8').replace('flavor: nginx', 'flavor: nginx\n  modulesPath: mods'));
  const r = await runBin(['--format', 'json', 'render', SPEC, '--out', 'new', '--test'], { cwd: dir });
  assert.equal(r.exitCode, 1, r.stderr);
  assert.deepEqual(
    (JSON.parse(r.stdout).diagnostics as { code: string }[]).map((d) => d.code),
    ['test.untrusted-module', 'test.untrusted-module', 'render.kept'],
  );
  assert.ok(!existsSync(join(dir, 'new')), 'nothing written');
  assert.ok(!existsSync(marker), 'the module was not loaded');
  // --check --test on an up-to-date DIR rendered from that spec.
  assert.equal((await runBin(['render', SPEC, '--out', 'checked'], { cwd: dir })).exitCode, 0);
  const c = await runBin(['--format', 'json', 'render', SPEC, '--out', 'checked', '--check', '--test'], { cwd: dir });
  assert.equal(c.exitCode, 1, c.stderr);
  assert.deepEqual(
    (JSON.parse(c.stdout).diagnostics as { code: string }[]).map((d) => d.code),
    ['test.untrusted-module', 'test.untrusted-module'],
  );
  assert.ok(!existsSync(marker));
  // The person running CI (not the spec) may trust a directory: then nginx -t loads from it.
  const trusted = await runBin(['render', SPEC, '--out', 'checked', '--check', '--test'], {
    cwd: dir,
    env: { GWCTL_TRUSTED_MODULES: mods },
  });
  assert.equal(trusted.exitCode, 1, 'the fake module is no nginx module');
  assert.ok(existsSync(marker), 'loaded from the directory the operator trusted');
  // Symlinks into the system's module directory resolve there: trusted.
  rmSync(mods, { recursive: true });
  mkdirSync(mods);
  for (const m of ['ndk_http_module.so', 'ngx_http_lua_module.so'])
    symlinkSync(join('/usr/lib/nginx/modules', m), join(mods, m));
  const real = await runBin(['render', SPEC, '--out', 'linked', '--test'], { cwd: dir });
  assert.equal(real.exitCode, 0, real.stderr);
});

test("gwctl's own output passes the guard, both flavors; Lua blocks are read as lua-nginx-module reads them", async () => {
  for (const flavor of ['nginx', 'openresty'] as const) {
    const dir = await renderedExample(flavor);
    const r = await runBin(['test', 'out'], { cwd: dir });
    assert.equal(r.exitCode, 0, `${flavor}: ${r.stderr}`);
  }
  // Braces and quotes inside Lua strings, long strings and comments do not end the block.
  const statements = readNginxConf(
    'http { init_by_lua_block { local a = "}" -- }\n local b = [==[ } ]==] --[[ } ]] local c = \'{\' } server { listen 1; } }',
  );
  assert.deepEqual(
    statements[0].block!.map((s) => s.words[0]),
    ['init_by_lua_block', 'server'],
  );
});
