import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gwctl, gwctlProcess } from '../support/gwctl.js';
import { nginxTest } from '../support/nginx.js';
import { exampleCopy } from '../cli/fixtures.js';
import { snapshot, snapshotDiff } from '../security/support.js';
import { makePki } from '../support/pki.js';

test('rendering the same spec twice gives identical bytes, and nginx -t accepts it', async () => {
  const dir = exampleCopy();
  const a = await gwctl(['render', 'gw/gateway.yaml', '--out', 'a'], dir);
  const b = await gwctl(['render', 'gw/gateway.yaml', '--out', 'b'], dir);
  assert.equal(a.exitCode, 0, a.stderr);
  assert.equal(b.exitCode, 0, b.stderr);
  const sa = snapshot(join(dir, 'a'));
  assert.deepEqual(sa, snapshot(join(dir, 'b')));
  assert.ok(readFileSync(join(dir, 'a/nginx.conf'), 'utf8').includes('proxy_ssl_verify on;'));
  assert.ok(statSync(join(dir, 'a/logs')).isDirectory(), 'logs/ exists for nginx');
  const t = nginxTest(join(dir, 'a'));
  assert.ok(t.ok, t.output);
});

test('--check exits 0 on fresh output and 1 after any change, without touching the output', async () => {
  const dir = exampleCopy();
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir)).exitCode, 0);
  const fresh = await gwctl(['render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir);
  assert.equal(fresh.exitCode, 0, fresh.stderr);

  const conf = join(dir, 'out/nginx.conf');
  writeFileSync(conf, readFileSync(conf, 'utf8').replace('proxy_ssl_verify on;', 'proxy_ssl_verify off;'));
  const before = snapshot(join(dir, 'out'));
  const drifted = await gwctl(['render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir);
  assert.equal(drifted.exitCode, 1);
  assert.match(drifted.stderr, /nginx\.conf: differs/);
  assert.deepEqual(snapshot(join(dir, 'out')), before, '--check changed the output');

  // A changed spec is drift too.
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir)).exitCode, 0);
  const spec = join(dir, 'gw/gateway.yaml');
  writeFileSync(spec, readFileSync(spec, 'utf8').replace('path: /orders/', 'path: /orders/v2/'));
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir)).exitCode, 1);
});

test('a file gwctl wrote and no longer uses is drift and is removed, and render says "removed"; logs and the user\'s own files are neither', async () => {
  const dir = exampleCopy();
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir)).exitCode, 0);
  writeFileSync(join(dir, 'out/logs/error.log'), 'nginx was here\n');
  writeFileSync(join(dir, 'out/tls/mine.key'), "the user's own file\n");
  // Named like gwctl's files, but no nginx.conf of gwctl's ever referred to it: the user's.
  writeFileSync(join(dir, 'out/tls/trust-old-0123456789ab.pem'), 'precious\n');
  assert.equal(
    (await gwctl(['render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir)).exitCode,
    0,
    "the user's files are not drift",
  );
  const [oldListener] = readdirSync(join(dir, 'out/tls')).filter((n) => n.startsWith('listener-'));

  // A new listener certificate: the old listener file is gwctl's, and no longer used.
  const spec = join(dir, 'gw/gateway.yaml');
  writeFileSync(
    spec,
    readFileSync(spec, 'utf8').replace(
      '{ certificate: pki/gateway.crt, key: pki/gateway.key }',
      '{ certificate: pki/orders-server.crt, key: pki/orders-server.key }',
    ),
  );
  const drift = await gwctl(['render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir);
  assert.equal(drift.exitCode, 1);
  assert.match(drift.stderr, new RegExp(`tls/${oldListener.replace('.', '\\.')}: not part of the rendered output`));
  assert.doesNotMatch(drift.stderr, /trust-old-0123456789ab|mine\.key/);
  const r = await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(
    r.stdout,
    new RegExp(
      `^out: wrote tls/listener-[0-9a-f]{12}\\.pem, gwctl-manifest\\.json, nginx\\.conf; removed tls/${oldListener.replace('.', '\\.')}\n$`,
    ),
  );
  assert.ok(!existsSync(join(dir, 'out/tls', oldListener)));
  assert.equal(
    readFileSync(join(dir, 'out/tls/trust-old-0123456789ab.pem'), 'utf8'),
    'precious\n',
    "a user's file named like gwctl's is never removed",
  );
  assert.equal(readFileSync(join(dir, 'out/tls/mine.key'), 'utf8'), "the user's own file\n");
  assert.equal(readFileSync(join(dir, 'out/logs/error.log'), 'utf8'), 'nginx was here\n');
  const json = JSON.parse((await gwctl(['--format', 'json', 'render', 'gw/gateway.yaml', '--out', 'out'], dir)).stdout);
  assert.deepEqual({ changed: json.changed, removed: json.removed }, { changed: [], removed: [] });
});

test("render refuses an existing directory that is not gwctl's (exit 2, nothing changed), and --check does not advise rendering into it", async () => {
  const dir = exampleCopy();
  mkdirSync(join(dir, 'home/projects'), { recursive: true });
  writeFileSync(join(dir, 'home/notes.txt'), 'my notes\n');
  const before = snapshot(dir);
  for (const out of ['home', 'gw', '.']) {
    for (const check of [[], ['--check']]) {
      const r = gwctlProcess(['render', 'gw/gateway.yaml', '--out', out, ...check], { cwd: dir });
      assert.equal(r.exitCode, 2, `${out} ${check}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /^gwctl: \S+ is not empty and holds no nginx\.conf written by gwctl: .*choose a new directory for --out\n$/,
      );
      assert.doesNotMatch(r.stderr, /run gwctl render/);
    }
  }
  assert.deepEqual(snapshotDiff(before, snapshot(dir)), []);
});

test('--out "" (an unset variable) is a usage error, not the current directory', async () => {
  const dir = exampleCopy();
  const before = snapshot(dir);
  for (const args of [
    ['render', 'gw/gateway.yaml', '--out', ''],
    ['render', 'gw/gateway.yaml', '--out', '', '--check'],
    ['test', ''],
  ]) {
    const r = gwctlProcess(args, { cwd: dir });
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(r.stderr, /^gwctl: (--out|the directory to test) is empty: name /);
  }
  // The same spec in the current directory (as a CI job has it): nothing rendered into it either.
  const r = gwctlProcess(['render', 'gateway.yaml', '--out', ''], { cwd: join(dir, 'gw') });
  assert.equal(r.exitCode, 2);
  assert.deepEqual(snapshotDiff(before, snapshot(dir)), []);
});

test('a symlinked tls/ in DIR is refused with exit 2; the directory it points at is untouched', async () => {
  const dir = exampleCopy();
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir)).exitCode, 0);
  mkdirSync(join(dir, 'victim'));
  writeFileSync(join(dir, 'victim/user.txt'), 'user data\n');
  writeFileSync(join(dir, 'victim/trust-mine-0123456789ab.pem'), 'mine\n');
  rmSync(join(dir, 'out/tls'), { recursive: true });
  symlinkSync('../victim', join(dir, 'out/tls'));
  const before = snapshot(dir);
  const r = gwctlProcess(['render', 'gw/gateway.yaml', '--out', 'out'], { cwd: dir });
  assert.equal(r.exitCode, 2, r.stderr);
  assert.match(r.stderr, /out\/tls is a symlink \(to \.\.\/victim\); gwctl writes under tls\/ and will not follow it/);
  assert.deepEqual(snapshotDiff(before, snapshot(dir)), []);
});

test('--out through a symlink: a key given as a path is rendered absolute (never relative to DIR, so a copied DIR still names it), with a note, and nginx -t passes', async () => {
  const dir = exampleCopy();
  mkdirSync(join(dir, 'deploy/releases/r1'), { recursive: true });
  symlinkSync('deploy/releases/r1', join(dir, 'current'));
  const r = await gwctl(['render', 'gw/gateway.yaml', '--out', 'current'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  const conf = readFileSync(join(dir, 'current/nginx.conf'), 'utf8');
  assert.ok(
    conf.includes(
      `        # the spec names this key by a path of the machine that rendered this file: the gateway host needs it at this same path (key: { hostPath: ... } names the host's own path)\n        ssl_certificate_key "${join(dir, 'gw/pki/gateway.key')}";\n`,
    ),
    conf,
  );
  assert.doesNotMatch(conf, /"\.\.\//, 'no path climbs out of DIR');
  assert.ok(lstatSync(join(dir, 'current')).isSymbolicLink(), 'the link is left in place');
  const t = nginxTest(join(dir, 'current'));
  assert.ok(t.ok, t.output);
});

test('a typo in a key fails validation with exit 1 and points at its line', () => {
  const dir = exampleCopy();
  const spec = join(dir, 'gw/gateway.yaml');
  const text = readFileSync(spec, 'utf8').replace('serverName: orders.internal', 'servrName: orders.internal');
  writeFileSync(spec, text);
  const line = text.split('\n').findIndex((l) => l.includes('servrName')) + 1;
  for (const cmd of [
    ['validate', 'gw/gateway.yaml'],
    ['render', 'gw/gateway.yaml', '--out', 'out'],
  ]) {
    const r = gwctlProcess(cmd, { cwd: dir });
    assert.equal(r.exitCode, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`gw/gateway\\.yaml:${line}:7 +error +unknown key "servrName": did you mean "serverName"\\?`),
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.ok(!existsSync(join(dir, 'out')), 'render wrote nothing');
});

test('render refuses to overwrite an nginx.conf it did not write', async () => {
  const dir = exampleCopy();
  const out = join(dir, 'out');
  cpSync(join(dir, 'gw'), out, { recursive: true });
  writeFileSync(join(out, 'nginx.conf'), 'events {}\n');
  const r = await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /not written by gwctl/);
  assert.equal(readFileSync(join(out, 'nginx.conf'), 'utf8'), 'events {}\n');
});

test('the rendered file is a complete prefix: no daemon or master_process, pid and logs under logs/', async () => {
  const dir = exampleCopy();
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir)).exitCode, 0);
  const conf = readFileSync(join(dir, 'out/nginx.conf'), 'utf8');
  assert.doesNotMatch(conf, /^\s*(daemon|master_process)\b/m);
  assert.match(conf, /^pid logs\/nginx\.pid;$/m);
  assert.match(conf, /^error_log logs\/error\.log\b/m);
});

test('an upstream without presentedChain is rendered as declared, with a warning', async () => {
  const dir = exampleCopy();
  const spec = join(dir, 'gw/gateway.yaml');
  writeFileSync(spec, readFileSync(spec, 'utf8').replace(/\n\s*presentedChain: [^\n]*/, ''));
  const r = await gwctl(['--format', 'json', 'render', 'gw/gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stdout);
  const warned = JSON.parse(r.stdout).diagnostics.find((d: { code: string }) => d.code === 'chain.not-checked');
  assert.ok(warned, r.stdout);
  assert.equal(warned.severity, 'warning');
  assert.match(readFileSync(join(dir, 'out/nginx.conf'), 'utf8'), /proxy_ssl_verify on;/);
});

test('render refuses, exit 1, when a presentedChain fails verification, and DIR stays exactly as it was', async () => {
  const dir = exampleCopy();
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir)).exitCode, 0);
  const before = snapshot(join(dir, 'out'));
  const spec = join(dir, 'gw/gateway.yaml');
  // The example's chain is leaf + issuing CA under the demo root; a depth of 0 allows no intermediate.
  writeFileSync(
    spec,
    readFileSync(spec, 'utf8').replace(
      'serverName: orders.internal',
      'serverName: orders.internal\n      verifyDepth: 0',
    ),
  );
  const r = gwctlProcess(['render', 'gw/gateway.yaml', '--out', 'out'], { cwd: dir });
  assert.equal(r.exitCode, 1, r.stderr);
  assert.match(r.stderr, /chain\.depth-exceeded/);
  assert.deepEqual(snapshot(join(dir, 'out')), before);
});

test('output is the same bytes whatever the locale, time zone, clock and working directory', async () => {
  const dir = exampleCopy();
  // Names whose order differs between locales ("aa" sorts after "z" in Danish) and code points.
  const spec = join(dir, 'gw/gateway.yaml');
  writeFileSync(
    spec,
    `${readFileSync(spec, 'utf8')
      .replace(
        'upstreams:\n',
        'upstreams:\n  aa: { servers: ["127.0.0.1:9081"] }\n  b: { servers: ["127.0.0.1:9082"] }\n  Z: { servers: ["127.0.0.1:9083"] }\n',
      )
      .replace(
        'routes:\n',
        'routes:\n  - { path: /aa/, upstream: aa }\n  - { path: /b/, upstream: b }\n  - { path: /z/, upstream: Z }\n',
      )}`,
  );
  const da = gwctlProcess(['render', 'gateway.yaml', '--out', '../da'], {
    cwd: join(dir, 'gw'),
    env: { LANG: 'da_DK.UTF-8', LC_ALL: 'da_DK.UTF-8', TZ: 'Pacific/Kiritimati' },
  });
  assert.equal(da.exitCode, 0, da.stderr);
  const c = gwctlProcess(['render', 'gw/gateway.yaml', '--out', 'c'], {
    cwd: dir,
    env: { LANG: 'C', LC_ALL: 'C', TZ: 'UTC' },
  });
  assert.equal(c.exitCode, 0, c.stderr);
  const later = await gwctl(['render', 'gw/gateway.yaml', '--out', 'later'], dir, new Date(Date.now() + 86400_000));
  assert.equal(later.exitCode, 0, later.stderr);
  const reference = snapshot(join(dir, 'c'));
  assert.deepEqual(snapshot(join(dir, 'da')), reference, 'another locale, time zone and working directory');
  assert.deepEqual(snapshot(join(dir, 'later')), reference, 'a day later');
  const order = [...readFileSync(join(dir, 'c/nginx.conf'), 'utf8').matchAll(/^\s*upstream (up_\w+) \{/gm)].map(
    (m) => m[1],
  );
  assert.deepEqual(order, [...order].sort(), 'upstream blocks in code-point order');
});

test('runtime.flavor: openresty loads no module; nginx loads the Lua module from modulesPath, relative to the spec like every path (rendered absolute)', async () => {
  const dir = exampleCopy();
  const spec = join(dir, 'gw/gateway.yaml');
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'resty'], dir)).exitCode, 0);
  assert.doesNotMatch(readFileSync(join(dir, 'resty/nginx.conf'), 'utf8'), /load_module/);
  // The real modules, reached through a directory beside the spec.
  mkdirSync(join(dir, 'gw/mods'));
  for (const m of ['ndk_http_module.so', 'ngx_http_lua_module.so'])
    symlinkSync(join('/usr/lib/nginx/modules', m), join(dir, 'gw/mods', m));
  writeFileSync(spec, readFileSync(spec, 'utf8').replace('flavor: openresty', 'flavor: nginx\n  modulesPath: mods'));
  const r = await gwctl(['render', 'gw/gateway.yaml', '--out', 'stock'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  const conf = readFileSync(join(dir, 'stock/nginx.conf'), 'utf8');
  assert.deepEqual(
    [...conf.matchAll(/^load_module "([^"]+)";$/gm)].map((m) => m[1]),
    [join(dir, 'gw/mods/ndk_http_module.so'), join(dir, 'gw/mods/ngx_http_lua_module.so')],
  );
  const t = nginxTest(join(dir, 'stock'));
  assert.ok(t.ok, t.output);
});

test("contract: a verifyDepth left out is derived from presentedChain and rendered (not nginx's default 1)", async () => {
  const dir = exampleCopy();
  const pki = await makePki(join(dir, 'pki2'));
  const root = pki.root('Deep Root');
  const leaf = pki.leaf(pki.intermediate(pki.intermediate(root, 'Deep Int 1'), 'Deep Int 2'), {
    dns: ['deep.internal'],
  });
  const spec = join(dir, 'gw/gateway.yaml');
  writeFileSync(
    spec,
    readFileSync(spec, 'utf8')
      .replace('trustStores:\n', `trustStores:\n  deep: { certificates: ["${root.cert}"] }\n`)
      .replace(
        'upstreams:\n',
        `upstreams:\n  deep:\n    servers: ["127.0.0.1:9444"]\n    tls: { trustStore: deep, serverName: deep.internal, presentedChain: "${leaf.chain}" }\n`,
      )
      .replace('routes:\n', 'routes:\n  - { path: /deep/, upstream: deep }\n'),
  );
  const r = await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  const depths = [...readFileSync(join(dir, 'out/nginx.conf'), 'utf8').matchAll(/proxy_ssl_verify_depth (\d+);/g)]
    .map((m) => Number(m[1]))
    .sort();
  assert.deepEqual(depths, [1, 2], "the example's upstream keeps 1, the deep one gets the 2 its chain needs");
});

test('contract: --check writes nothing, even when DIR does not exist yet; a changed or missing tls/ file is drift', async () => {
  const dir = exampleCopy();
  const missing = await gwctl(['render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir);
  assert.equal(missing.exitCode, 1, missing.stderr);
  assert.ok(!existsSync(join(dir, 'out')), '--check created DIR');
  assert.equal((await gwctl(['render', 'gw/gateway.yaml', '--out', 'out'], dir)).exitCode, 0);
  const [file] = readdirSync(join(dir, 'out/tls'));
  const path = join(dir, 'out/tls', file);
  const original = readFileSync(path);
  writeFileSync(
    path,
    Buffer.concat([original.subarray(0, 40), Buffer.from([original[40] ^ 1]), original.subarray(41)]),
  );
  const before = snapshot(join(dir, 'out'));
  const changed = await gwctl(['render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir);
  assert.equal(changed.exitCode, 1);
  assert.match(changed.stderr, new RegExp(`tls/${file}`));
  assert.deepEqual(snapshot(join(dir, 'out')), before);
  rmSync(path);
  assert.equal(
    (await gwctl(['render', 'gw/gateway.yaml', '--out', 'out', '--check'], dir)).exitCode,
    1,
    'a missing file is drift',
  );
});

test('contract: validate writes nothing; render without --out is a usage error (exit 2)', async () => {
  const dir = exampleCopy();
  const before = snapshot(dir);
  assert.equal((await gwctl(['validate', 'gw/gateway.yaml'], dir)).exitCode, 0);
  assert.equal((await gwctl(['verify-chain', 'gw/gateway.yaml'], dir)).exitCode, 0);
  assert.deepEqual(snapshotDiff(before, snapshot(dir)), []);
  const r = await gwctl(['render', 'gw/gateway.yaml'], dir);
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /--out/);
  assert.deepEqual(snapshotDiff(before, snapshot(dir)), []);
});
