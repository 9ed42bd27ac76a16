import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labelledBlocks, mapNginxMessages, parseNginxOutput, traceLine } from '../../src/check/map-errors.js';
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

/** The example rendered for real: the labels are whatever the templates write today. */
async function renderedExample(): Promise<{ dir: string; conf: string; lines: string[] }> {
  const dir = exampleCopy('gwctl-map-');
  const r = await run(['render', SPEC, '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  const conf = readFileSync(join(dir, 'out/nginx.conf'), 'utf8');
  return { dir, conf, lines: conf.split('\n') };
}

const lineOf = (lines: string[], re: RegExp, from = 0) => lines.findIndex((l, i) => i >= from && re.test(l)) + 1;

test('the rendered example has labelled upstream, route and TLS profile blocks whose braces match', async () => {
  const { conf, lines } = await renderedExample();
  const blocks = labelledBlocks(conf);
  const kinds = new Set(blocks.map((b) => b.kind));
  assert.deepEqual([...kinds].sort(), ['profile', 'route', 'upstream']);
  for (const b of blocks) {
    assert.match(lines[b.start - 1], /\{\s*$/, `block opens at ${b.start}`);
    assert.match(lines[b.end - 1], /^\s*\}\s*$/, `block closes at ${b.end}`);
  }
  assert.ok(blocks.some((b) => b.kind === 'route' && b.locationPath === '/orders/' && b.upstreams[0] === 'orders'));
});

test('rendered lines trace back to the spec field they came from', async () => {
  const { conf, lines } = await renderedExample();
  const spec = {
    routes: [
      { path: '/orders/', upstream: 'orders' },
      { path: '/status', upstream: 'status' },
    ],
    upstreams: {},
  };
  const depth = lineOf(lines, /proxy_ssl_verify_depth/);
  assert.deepEqual(traceLine(conf, depth, spec)?.path, ['upstreams', 'orders', 'tls', 'verifyDepth']);
  const key = lineOf(lines, /proxy_ssl_certificate_key/);
  assert.deepEqual(traceLine(conf, key, spec)?.path, ['upstreams', 'orders', 'tls', 'clientCertificate']);
  const upstreamBlock = lineOf(lines, /^\s*upstream \S*status\S* \{/);
  const server = lineOf(lines, /^\s*server 127\.0\.0\.1:9080;/, upstreamBlock - 1);
  assert.deepEqual(traceLine(conf, server, spec)?.path, ['upstreams', 'status', 'servers', 0]);
  const location = lineOf(lines, /^\s*location "\/status"/);
  assert.deepEqual(traceLine(conf, location, spec)?.path, ['routes', 1, 'path']);
  assert.deepEqual(traceLine(conf, location + 1, spec)?.path, ['routes', 1]);
  assert.equal(
    traceLine(conf, lineOf(lines, /^\s*worker_processes/), spec),
    undefined,
    'top-level lines have no spec origin',
  );
});

test('an SSL error without " in FILE:LINE" is placed at the directive naming the file; the spec pointer is info', async () => {
  const { dir, conf, lines } = await renderedExample();
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
});

test('synthetic config: old-style route labels, per-upstream map entries, unlabelled lines', () => {
  const conf = [
    'http {', // 1
    '    # spec upstream "orders": its own block', // 2
    '    upstream up_orders {', // 3
    '        server 10.0.0.1:8443;', // 4
    '        server 10.0.0.2:8443;', // 5
    '    }', // 6
    '    map $gw_upstream $gw_ssl_name {', // 7
    '        default "";', // 8
    '        up_orders "orders.internal";', // 9
    '    }', // 10
    '    server {', // 11
    '        # route -> upstream "orders"', // 12
    '        location "/v2/{x}" {', // 13
    '            set $a "}";', // 14
    '        }', // 15
    '        location / { return 404; }', // 16
    '    }', // 17
    '}', // 18
  ].join('\n');
  const spec = {
    routes: [
      { path: '/v1/', upstream: 'orders' },
      { path: '/v2/{x}', upstream: 'orders' },
    ],
  };
  assert.deepEqual(traceLine(conf, 5, spec)?.path, ['upstreams', 'orders', 'servers', 1]);
  assert.deepEqual(traceLine(conf, 9, spec)?.path, ['upstreams', 'orders', 'tls', 'serverName']);
  assert.equal(traceLine(conf, 8, spec), undefined, 'the default entry belongs to no upstream');
  assert.deepEqual(
    traceLine(conf, 13, spec)?.path,
    ['routes', 1, 'path'],
    'matched by path among routes to the same upstream',
  );
  assert.deepEqual(traceLine(conf, 14, spec)?.path, ['routes', 1], 'a quoted brace does not end the block');
  assert.equal(traceLine(conf, 16, spec), undefined);
});
