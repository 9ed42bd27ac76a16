import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapNginxMessages, parseNginxOutput, traceLine } from '../../src/check/map-errors.js';
import { type RenderManifest, readManifest } from '../../src/output/manifest.js';
import { SPEC, exampleCopy, run } from '../cli/fixtures.js';

test('nginx -t lines: level, message, and the trailing " in FILE:LINE" even when the message says " in "', () => {
  const out = [
    'nginx: [emerg] invalid port in upstream "127.0.0.1:99999" in /tmp/o/nginx.conf:23',
    'nginx: [warn] conflicting server name "a" on 0.0.0.0:8080, ignored',
    'nginx: [emerg] unknown directive "x" in /tmp/with space/nginx.conf:7',
    'nginx: configuration file /tmp/o/nginx.conf test failed',
  ].join('\n');
  assert.deepEqual(parseNginxOutput(out), [
    { level: 'emerg', text: 'invalid port in upstream "127.0.0.1:99999"', file: '/tmp/o/nginx.conf', line: 23 },
    { level: 'warn', text: 'conflicting server name "a" on 0.0.0.0:8080, ignored' },
    { level: 'emerg', text: 'unknown directive "x"', file: '/tmp/with space/nginx.conf', line: 7 },
  ]);
});

/** The example rendered for real, with its manifest. */
async function renderedExample(): Promise<{ dir: string; conf: string; lines: string[]; manifest: RenderManifest }> {
  const dir = exampleCopy('gwctl-map-');
  const r = await run(['render', SPEC, '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  const conf = readFileSync(join(dir, 'out/nginx.conf'), 'utf8');
  const manifest = readManifest(join(dir, 'out'));
  assert.ok(manifest, 'render wrote a manifest');
  return { dir, conf, lines: conf.split('\n'), manifest };
}

const lineOf = (lines: string[], re: RegExp, from = 0) => lines.findIndex((l, i) => i >= from && re.test(l)) + 1;

test('the manifest of the rendered example: upstream, route and TLS profile blocks whose first and last lines open and close them', async () => {
  const { lines, manifest } = await renderedExample();
  const blocks = manifest.sources.filter((s) => s.lines[0] !== s.lines[1]);
  assert.deepEqual([...new Set(blocks.map((b) => b.kind))].sort(), ['route', 'tls-profile', 'upstream']);
  for (const b of blocks) {
    assert.match(lines[b.lines[0] - 1], /\{\s*$/, `block opens at ${b.lines[0]}`);
    assert.match(lines[b.lines[1] - 1], /^\s*\}\s*$/, `block closes at ${b.lines[1]}`);
  }
  const orders = blocks.find((b) => b.kind === 'route' && b.from[0][1] === 0);
  assert.equal(lines[orders!.lines[0] - 1], '        location "/orders/" {');
});

test('rendered lines trace back to the spec field they came from', async () => {
  const { lines, manifest } = await renderedExample();
  const spec = {
    routes: [
      { path: '/orders/', upstream: 'orders' },
      { path: '/status', upstream: 'status' },
    ],
    upstreams: {},
  };
  const depth = lineOf(lines, /proxy_ssl_verify_depth/);
  assert.deepEqual(traceLine(manifest, depth, spec), {
    path: ['upstreams', 'orders', 'tls', 'verifyDepth'],
    what: 'the TLS settings of upstream "orders" (tls.verifyDepth)',
  });
  const key = lineOf(lines, /proxy_ssl_certificate_key/);
  assert.deepEqual(traceLine(manifest, key, spec)?.path, ['upstreams', 'orders', 'tls', 'clientCertificate']);
  const sni = lineOf(lines, /proxy_ssl_server_name/);
  assert.deepEqual(traceLine(manifest, sni, spec)?.path, ['upstreams', 'orders', 'tls']);
  const upstreamBlock = lineOf(lines, /^\s*upstream \S*status\S* \{/);
  const server = lineOf(lines, /^\s*server 127\.0\.0\.1:9080;/, upstreamBlock - 1);
  assert.deepEqual(traceLine(manifest, server, spec), {
    path: ['upstreams', 'status', 'servers', 0],
    what: 'upstream "status" (servers[0])',
  });
  assert.deepEqual(traceLine(manifest, upstreamBlock, spec)?.path, ['upstreams', 'status']);
  const location = lineOf(lines, /^\s*location "\/status"/);
  assert.deepEqual(traceLine(manifest, location, spec), {
    path: ['routes', 1, 'path'],
    what: 'routes[1] (/status -> "status")',
  });
  assert.deepEqual(traceLine(manifest, location + 1, spec)?.path, ['routes', 1]);
  const sslName = lineOf(lines, /^\s*up_orders "orders\.internal";/, lineOf(lines, /map \$gw_upstream \$gw_ssl_name/));
  assert.deepEqual(traceLine(manifest, sslName, spec), {
    path: ['upstreams', 'orders', 'tls', 'serverName'],
    what: 'upstream "orders" (tls.serverName)',
  });
  assert.equal(
    traceLine(manifest, lineOf(lines, /^\s*worker_processes/), spec),
    undefined,
    'top-level lines have no spec origin',
  );
  assert.equal(traceLine(manifest, lineOf(lines, /^\s*location "\/" \{/), spec), undefined, 'the 404 location');
  assert.equal(
    traceLine(manifest, lineOf(lines, /^\s*# spec upstream "orders"/), spec),
    undefined,
    'comments are free text',
  );
});

test('an SSL error without " in FILE:LINE" is placed at the directive naming the file; the spec pointer is info', async () => {
  const { dir, conf, lines, manifest } = await renderedExample();
  const trusted = /proxy_ssl_trusted_certificate "([^"]+)"/.exec(conf)![1];
  const out = join(dir, 'out');
  const ds = mapNginxMessages(
    parseNginxOutput(
      `nginx: [emerg] SSL_CTX_load_verify_locations("${join(out, trusted)}") failed (SSL: no such file)`,
    ),
    {
      dir: out,
      conf,
      cwd: dir,
      spec: { file: join(dir, SPEC), data: { routes: [], upstreams: {} } },
      manifest,
    },
  );
  assert.equal(ds.length, 2);
  assert.equal(ds[0].code, 'nginx.rejected');
  assert.equal(ds[0].severity, 'error');
  assert.equal(ds[0].file, join(out, 'nginx.conf'));
  assert.equal(ds[0].line, lineOf(lines, /proxy_ssl_trusted_certificate/));
  assert.deepEqual(
    { code: ds[1].code, severity: ds[1].severity, path: ds[1].path, file: ds[1].file },
    {
      code: 'nginx.source',
      severity: 'info',
      path: ['upstreams', 'orders', 'tls', 'trustStore'],
      file: join(dir, SPEC),
    },
  );
  assert.match(
    ds[1].message,
    /^out\/nginx\.conf:\d+, rendered from the TLS settings of upstream "orders" \(tls\.trustStore\)/,
  );
  const without = mapNginxMessages(parseNginxOutput(`nginx: [emerg] unknown directive "x" in ${out}/nginx.conf:3`), {
    dir: out,
    conf,
    cwd: dir,
    spec: { file: join(dir, SPEC), data: {} },
  });
  assert.deepEqual(
    without.map((d) => d.code),
    ['nginx.rejected'],
    'without a manifest nothing is traced (comments are not read)',
  );
});

test('nginx -t fails in a TLS profile serving nine upstreams: the spec pointer names a real upstream, the message lists eight and counts the rest', async () => {
  const dir = exampleCopy('gwctl-map-');
  const names = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8', 'u9'];
  const spec = [
    'version: 1',
    'listen: [{ port: 8080 }]',
    'trustStores: { internal: { certificates: [pki/demo-root-ca.crt] } }',
    'upstreams:',
    ...names.map(
      (n, i) =>
        `  ${n}: { servers: ["127.0.0.1:${9443 + i}"], tls: { trustStore: internal, serverName: orders.internal, presentedChain: pki/orders-chain.crt } }`,
    ),
    'routes:',
    ...names.map((n) => `  - { path: /${n}/, upstream: ${n} }`),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'gw/many.yaml'), spec);
  const r = await run(['render', 'gw/many.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  const conf = readFileSync(join(dir, 'out/nginx.conf'), 'utf8');
  assert.match(conf, /# TLS profile for upstream\(s\): u1, u2, u3, u4, u5, u6, u7, u8, … and 1 more\n/);
  const trust = readdirSync(join(dir, 'out/tls')).find((n) => n.startsWith('trust-'))!;
  rmSync(join(dir, 'out/tls', trust));

  const t = await run(['test', 'out', '--spec', 'gw/many.yaml', '--format', 'json'], dir);
  assert.equal(t.exitCode, 1, t.stderr);
  const ds = (JSON.parse(t.stdout) as { diagnostics: { code: string; path?: string; message: string }[] }).diagnostics;
  const source = ds.filter((d) => d.code === 'nginx.source');
  assert.equal(source.length, 1, JSON.stringify(ds));
  const line = conf.split('\n').findIndex((l) => l.includes(`"tls/${trust}"`)) + 1;
  assert.equal(source[0].path, '$.upstreams.u1.tls.trustStore');
  assert.ok(
    source[0].message.startsWith(
      `out/nginx.conf:${line}, rendered from the TLS settings of upstream "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", … and 1 more (tls.trustStore), fails nginx -t: `,
    ),
    source[0].message,
  );
});
