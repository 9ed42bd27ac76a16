import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderSpec } from '../support/render.js';
import { nginxTest } from '../support/nginx.js';
import { makePki } from '../support/pki.js';
import { SCHEMA } from '../../src/validate/schema.js';
import { DEFAULT_KEEPALIVE } from '../../src/plan/plan.js';
import {
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_NON_IDEMPOTENT,
  DEFAULT_TIMEOUT,
  DEFAULT_TRIES,
} from '../../src/plan/traffic.js';

const render = (spec: string) => renderSpec(spec, 'gwctl-traffic-');

/** The body of `location NAME { … }` as its directive lines, comments and Lua bodies left out. */
function location(conf: string, name: string): string[] {
  const start = conf.indexOf(`location ${name} {`);
  assert.ok(start >= 0, `no location ${name}`);
  const lines: string[] = [];
  let depth = 0;
  for (const raw of conf.slice(start).split('\n').slice(1)) {
    const line = raw.trim();
    if (line === '}' && depth === 0) break;
    if (line.endsWith('{')) depth++;
    if (line === '}') depth--;
    if (line.startsWith('#') || line === '') continue;
    if (depth === 0 && line !== '}') lines.push(line);
  }
  return lines;
}

const directive = (lines: string[], name: string) =>
  lines.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1, -1));

/** The entries of `map SOURCE $VAR { … }`. */
function map(conf: string, variable: string): string[] {
  const m = new RegExp(`map [^\\n]* \\$${variable} \\{\\n([^}]*)\\}`).exec(conf);
  assert.ok(m, `no map for $${variable}`);
  return m[1]
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

const names = (conf: string) => [...conf.matchAll(/location (@[a-z_0-9]+) \{/g)].map((m) => m[1]);

test('a spec without traffic settings: one location per upstream kind, nginx defaults written out, idempotent-only retries', async () => {
  const { dir, conf } = await render(`version: 1
runtime: { flavor: nginx }
listen: [{ port: 18080 }]
upstreams:
  one: { servers: ["127.0.0.1:18081"] }
  two: { servers: ["127.0.0.1:18082", "127.0.0.1:18083"] }
routes:
  - { path: /one/, upstream: one }
  - { path: /two/, upstream: two }
`);
  assert.match(conf, /\n {4}client_max_body_size 1m;\n/);
  // "two" can retry, so its POST, PATCH and LOCK go to a twin that never retries; "one" cannot.
  const twin = map(conf, 'gw_target');
  assert.equal(twin.length, 4);
  assert.equal(twin[0], 'default $gw_route_target;');
  // "one" and "two" have the same settings, so they share @gw_http (a POST to "one" cannot be
  // retried anyway: it has one server).
  const target = '@gw_http';
  const [, once] = /^"@gw_http\|LOCK" (@gw_http_[0-9a-f]+);$/.exec(twin[1]) ?? [];
  assert.ok(once, twin[1]);
  assert.deepEqual(twin.slice(1), [
    `"${target}|LOCK" ${once};`,
    `"${target}|PATCH" ${once};`,
    `"${target}|POST" ${once};`,
  ]);
  assert.deepEqual(map(conf, 'gw_upstream_target'), ['default @gw_not_found;', 'up_one @gw_http;', 'up_two @gw_http;']);
  assert.deepEqual(map(conf, 'gw_route_target'), ['default $gw_upstream_target;']);
  assert.deepEqual(names(conf).sort(), ['@gw_http', '@gw_not_found', once].sort());

  const plain = location(conf, '@gw_http');
  assert.deepEqual(
    plain.filter((l) =>
      /^(proxy_(connect|read|send)_timeout|proxy_next_upstream|client_max|proxy_(request_)?buffering)/.test(l),
    ),
    [
      'proxy_connect_timeout 60s;',
      'proxy_read_timeout 60s;',
      'proxy_send_timeout 60s;',
      'proxy_next_upstream error timeout;',
      'proxy_next_upstream_tries 3;',
      'proxy_next_upstream_timeout 0;',
      'client_max_body_size 1m;',
      'proxy_request_buffering on;',
      'proxy_buffering on;',
    ],
  );
  // The twin differs from its sibling in the retry rule only.
  const a = location(conf, target);
  const b = location(conf, once);
  assert.deepEqual(
    a.filter((l) => !b.includes(l)),
    ['proxy_next_upstream error timeout;'],
  );
  assert.deepEqual(
    b.filter((l) => !a.includes(l)),
    ['proxy_next_upstream off;'],
  );
  // WebSocket on every proxying location, keepalive otherwise.
  for (const name of [target, once]) {
    const l = location(conf, name);
    assert.deepEqual(directive(l, 'proxy_set_header').slice(1, 3), [
      'Upgrade $http_upgrade',
      'Connection $gw_connection',
    ]);
    assert.deepEqual(directive(l, 'proxy_http_version'), ['1.1']);
  }
  assert.deepEqual(map(conf, 'gw_connection'), ['default upgrade;', '"" "";']);
  const t = nginxTest(dir);
  assert.ok(t.ok, t.output);
});

test('server objects, timeouts and retry render as nginx server parameters and location directives', async () => {
  const { dir, conf } = await render(`version: 1
runtime: { flavor: nginx }
listen: [{ port: 18080 }]
upstreams:
  api:
    servers:
      - "127.0.0.1:18081"
      - { address: "127.0.0.1:18082", weight: 5, maxFails: 2, failTimeout: 30 }
      - { address: "127.0.0.1:18083", maxFails: 0, failTimeout: 1m, backup: true }
    timeouts: { connect: 2s, read: 500ms, send: 10s }
    retry: { tries: 2, timeout: 15s, nonIdempotent: always }
routes:
  - { path: /api/, upstream: api }
`);
  assert.match(
    conf,
    /upstream up_api \{\n {8}server 127\.0\.0\.1:18081;\n {8}server 127\.0\.0\.1:18082 weight=5 max_fails=2 fail_timeout=30s;\n {8}server 127\.0\.0\.1:18083 max_fails=0 fail_timeout=1m backup;\n {8}keepalive 16;\n {4}\}/,
  );
  const [target] = map(conf, 'gw_upstream_target')
    .slice(1)
    .map((l) => l.split(' ')[1].slice(0, -1));
  const l = location(conf, target);
  assert.deepEqual(directive(l, 'proxy_connect_timeout'), ['2s']);
  assert.deepEqual(directive(l, 'proxy_read_timeout'), ['500ms']);
  assert.deepEqual(directive(l, 'proxy_send_timeout'), ['10s']);
  assert.deepEqual(directive(l, 'proxy_next_upstream'), ['error timeout non_idempotent']);
  assert.deepEqual(directive(l, 'proxy_next_upstream_tries'), ['2']);
  assert.deepEqual(directive(l, 'proxy_next_upstream_timeout'), ['15s']);
  // nonIdempotent: always retries POST too: no twin.
  assert.deepEqual(map(conf, 'gw_target'), ['default $gw_route_target;']);
  const t = nginxTest(dir);
  assert.ok(t.ok, t.output);
});

test('route settings: only routes that differ get a location of their own; a shared route location allows the largest body and the stricter route checks Content-Length', async () => {
  const { dir, conf } = await render(`version: 1
runtime: { flavor: nginx }
limits: { maxBodySize: 10m }
listen: [{ port: 18080 }]
upstreams:
  files: { servers: ["127.0.0.1:18081"] }
routes:
  - { path: /files/, upstream: files }
  - { path: /upload/, upstream: files, maxBodySize: 2g, buffering: { request: false }, stripPath: true }
  - { path: /events/, upstream: files, buffering: { response: false } }
  - { path: /shared/, upstream: files, maxBodySize: 0 }
  - { path: /shared/, upstream: files, host: small.example.com, maxBodySize: 1k }
`);
  assert.match(conf, /\n {4}client_max_body_size 10m;\n/);
  const routeTargets = map(conf, 'gw_route_target');
  assert.deepEqual(
    routeTargets.map((l) => l.split(' ')[0]),
    ['default', 'r1', 'r2', 'r3', 'r4'],
  );
  const target = (route: string) =>
    routeTargets
      .find((l) => l.startsWith(`${route} `))!
      .split(' ')[1]
      .slice(0, -1);
  const upload = location(conf, target('r1'));
  assert.deepEqual(directive(upload, 'client_max_body_size'), ['2g']);
  assert.deepEqual(directive(upload, 'proxy_request_buffering'), ['off']);
  assert.deepEqual(directive(upload, 'proxy_buffering'), ['on']);
  assert.match(
    conf,
    new RegExp(
      `location ${target('r1')} \\{[^}]*rewrite_by_lua_block \\{[^}]*ngx\\.req\\.set_uri\\(rest, false, true\\)`,
    ),
  );
  assert.deepEqual(map(conf, 'gw_strip'), ['default 0;', 'r1 8;']);
  const events = location(conf, target('r2'));
  assert.deepEqual(directive(events, 'proxy_buffering'), ['off']);
  assert.deepEqual(directive(events, 'proxy_request_buffering'), ['on']);
  assert.doesNotMatch(conf, new RegExp(`location ${target('r2')} \\{[^}]*_by_lua_block`));
  // Route locations: the largest limit of the routes they serve, where it is not http{}'s.
  assert.deepEqual(directive(location(conf, '"/upload/"'), 'client_max_body_size'), ['2g']);
  assert.deepEqual(directive(location(conf, '"/shared/"'), 'client_max_body_size'), ['0']);
  assert.deepEqual(directive(location(conf, '"/files/"'), 'client_max_body_size'), []);
  assert.deepEqual(directive(location(conf, target('r4')), 'client_max_body_size'), ['1k']);
  assert.match(conf, new RegExp(`location ${target('r4')} \\{[^}]*rewrite_by_lua_block \\{[^}]*length > 1024 then`));
  assert.doesNotMatch(conf, new RegExp(`location ${target('r3')} \\{[^}]*_by_lua_block`));
  const t = nginxTest(dir);
  assert.ok(t.ok, t.output);
});

test('nginxVersion decides the default protocols: below 1.23.4 gwctl writes TLSv1.2 TLSv1.3 (nginx would offer no TLSv1.3), from 1.23.4 (or with no version) the nginx default stands', async () => {
  const pki = await makePki(mkdtempSync(join(tmpdir(), 'gwctl-traffic-pki-')));
  const root = pki.root('Traffic Root');
  const listener = pki.leaf(root, { cn: 'gw.example.com', dns: ['gw.example.com'] });
  const spec = (version: string | undefined, protocols = '') => `version: 1
runtime: { flavor: nginx${version ? `, nginxVersion: "${version}"` : ''} }
listen: [{ port: 18080 }, { port: 18443, tls: { certificate: "${listener.chain}", key: "${listener.key}" } }]
trustStores: { internal: { certificates: ["${root.cert}"] } }
upstreams:
  api: { servers: ["127.0.0.1:18081"], tls: { trustStore: internal, serverName: api.internal${protocols} } }
routes:
  - { path: /api/, upstream: api }
`;
  const old = await render(spec('1.22.1'));
  const current = await render(spec('1.25.5'));
  const unset = await render(spec(undefined));
  const explicit = await render(spec('1.22.1', ', protocols: [TLSv1.3]'));
  const tls = (conf: string) => location(conf, (/location (@tls_[0-9a-f]+) \{/.exec(conf) ?? [])[1]);
  assert.deepEqual(directive(tls(old.conf), 'proxy_ssl_protocols'), ['TLSv1.2 TLSv1.3']);
  assert.match(old.conf, /\n {8}ssl_protocols TLSv1\.2 TLSv1\.3;\n/);
  assert.deepEqual(directive(tls(current.conf), 'proxy_ssl_protocols'), []);
  assert.doesNotMatch(current.conf, /ssl_protocols/);
  // No version: gwctl cannot know, writes nothing version-dependent; the running nginx's defaults apply.
  assert.deepEqual(directive(tls(unset.conf), 'proxy_ssl_protocols'), []);
  assert.doesNotMatch(unset.conf, /ssl_protocols/);
  assert.deepEqual(directive(tls(explicit.conf), 'proxy_ssl_protocols'), ['TLSv1.3']);
  // The boundary: 1.23.3 is the last release without TLSv1.3 in nginx's default.
  const last = await render(spec('1.23.3'));
  const first = await render(spec('1.23.4'));
  assert.deepEqual(directive(tls(last.conf), 'proxy_ssl_protocols'), ['TLSv1.2 TLSv1.3']);
  assert.match(last.conf, /\n {8}ssl_protocols TLSv1\.2 TLSv1\.3;\n/);
  assert.doesNotMatch(first.conf, /ssl_protocols/);
  // Both are accepted by the nginx here (1.22.1 runs the newer output with its own defaults).
  for (const r of [old, current, unset, explicit]) {
    const t = nginxTest(r.dir);
    assert.ok(t.ok, t.output);
  }
});

/** Every `default` in a schema, by field path (`*`: any name, an item of a list adds nothing). */
function schemaDefaults(
  node: unknown,
  path: string[] = [],
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  if (!node || typeof node !== 'object') return out;
  const n = node as Record<string, unknown>;
  if ('default' in n) out[path.join('.')] = n.default;
  for (const [key, child] of Object.entries((n.properties as Record<string, unknown>) ?? {}))
    schemaDefaults(child, [...path, key], out);
  if (n.additionalProperties && typeof n.additionalProperties === 'object')
    schemaDefaults(n.additionalProperties, [...path, '*'], out);
  for (const child of [n.items, ...((n.oneOf as unknown[]) ?? [])]) schemaDefaults(child, path, out);
  return out;
}

test('the schema states every traffic default, and each is the value gwctl renders when the field is absent', () => {
  assert.deepEqual(schemaDefaults(SCHEMA), {
    'runtime.flavor': 'openresty',
    'limits.maxBodySize': DEFAULT_MAX_BODY_SIZE,
    'upstreams.*.servers.weight': 1,
    'upstreams.*.servers.maxFails': 1,
    'upstreams.*.servers.failTimeout': '10s',
    'upstreams.*.servers.backup': false,
    'upstreams.*.timeouts.connect': DEFAULT_TIMEOUT,
    'upstreams.*.timeouts.read': DEFAULT_TIMEOUT,
    'upstreams.*.timeouts.send': DEFAULT_TIMEOUT,
    'upstreams.*.retry.tries': DEFAULT_TRIES,
    'upstreams.*.retry.nonIdempotent': DEFAULT_NON_IDEMPOTENT,
    'upstreams.*.keepalive': DEFAULT_KEEPALIVE,
    'routes.buffering.request': true,
    'routes.buffering.response': true,
    'routes.stripPath': false,
  });
});
