import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapHashSizes } from '../../src/plan/plan.js';
import { QuoteError } from '../../src/text/quote.js';
import { mapHost } from '../../src/render/templates.js';
import { renderSpec } from '../support/render.js';
import { nginxTest } from '../support/nginx.js';
import { makePki } from '../support/pki.js';

const render = (spec: string) => renderSpec(spec, 'gwctl-plan-');

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

test('SSL contexts grow with TLS profiles, not with routes, hosts or upstreams', async () => {
  const pki = await makePki(mkdtempSync(join(tmpdir(), 'gwctl-plan-pki-')));
  const a = pki.root('Plan Root A');
  const b = pki.root('Plan Root B');
  const client = pki.leaf(a, { cn: 'gw-client', client: true });
  const upstreams = Array.from({ length: 12 }, (_, i) => {
    const store = i % 3 === 2 ? 'b' : 'a';
    const mtls = i % 4 === 3 ? ', clientCertificate: gw' : '';
    return `  u${i}: { servers: ["127.0.0.1:${30000 + i}"], tls: { trustStore: ${store}, serverName: u${i}.internal, verifyDepth: 1${mtls} } }`;
  });
  const routes = Array.from(
    { length: 300 },
    (_, r) => `  - { path: /u${r % 12}/r${r}/, upstream: u${r % 12}${r % 7 ? `, host: h${r % 7}.example.com` : ''} }`,
  );
  const { dir, conf } = await render(`version: 1
runtime: { flavor: nginx }
listen: [{ port: 18080 }, { port: 18081 }]
trustStores:
  a: { certificates: ["${a.cert}"] }
  b: { certificates: ["${b.cert}"] }
clientCertificates:
  gw: { certificate: "${client.chain}", key: "${client.key}" }
upstreams:
${upstreams.join('\n')}
routes:
${routes.join('\n')}
`);
  // Profiles: (a), (b), (a + client certificate), (b + client certificate).
  assert.equal(count(conf, /location @tls_[0-9a-f]+ \{/g), 4);
  assert.equal(count(conf, /proxy_ssl_trusted_certificate /g), 4);
  assert.equal(count(conf, /^\s*server \{/gm), 1, 'every host in one server block');
  assert.equal(count(conf, /^\s*upstream up_u\d+ \{/gm), 12, 'one upstream block per spec upstream');
  assert.equal(count(conf, /^\s*location "/gm), 301, 'one location per route path, plus "/"');
  assert.equal(count(conf, /proxy_pass /g), 4, 'proxy_pass only in the profile locations');
  const t = nginxTest(dir);
  assert.ok(t.ok, t.output);
});

test('plain listeners join the first TLS listener group; each listener certificate has its own server block', async () => {
  const pki = await makePki(mkdtempSync(join(tmpdir(), 'gwctl-plan-pki-')));
  const root = pki.root('Listener Root');
  const one = pki.leaf(root, { cn: 'one.test', dns: ['one.test'] });
  const two = pki.leaf(root, { cn: 'two.test', dns: ['two.test'] });
  const { dir, conf } = await render(`version: 1
runtime: { flavor: nginx }
listen:
  - { port: 18080 }
  - { port: 18443, tls: { certificate: "${one.chain}", key: "${one.key}" } }
  - { port: 18444, tls: { certificate: "${two.chain}", key: "${two.key}" } }
  - { port: 18081 }
upstreams:
  web: { servers: ["127.0.0.1:30000"] }
routes:
  - { path: /, upstream: web }
`);
  const servers = conf.split(/^\s*server \{/m).slice(1);
  assert.equal(servers.length, 2);
  const listens = servers.map((s) =>
    [...s.matchAll(/listen (\S+)( ssl)? default_server;/g)].map((m) => `${m[1]}${m[2] ?? ''}`),
  );
  assert.deepEqual(listens.flat().sort(), ['18080', '18081', '18443 ssl', '18444 ssl']);
  assert.ok(
    listens.some((l) => l.includes('18080') && l.includes('18081') && l.some((x) => x.endsWith('ssl'))),
    `plain listeners share a TLS server block: ${JSON.stringify(listens)}`,
  );
  const t = nginxTest(dir);
  assert.ok(t.ok, t.output);
});

test('host names that are map keywords are written as literal keys', async () => {
  const hosts = ['default', 'include', 'hostnames', 'volatile', '*.default'];
  const { dir, conf } = await render(`version: 1
listen: [{ port: 18080 }]
upstreams:
  web: { servers: ["127.0.0.1:30000"] }
routes:
${hosts.map((h, i) => `  - { path: /p${i}/, upstream: web, host: "${h}" }`).join('\n')}
`);
  for (const h of hosts) assert.match(conf, new RegExp(`^\\s*\\\\\\\\${h.replace('*', '\\*')} h\\d+;$`, 'm'));
  const t = nginxTest(dir);
  assert.ok(t.ok, t.output);
});

test('mapHost refuses anything but a lowercase host name or *.wildcard', () => {
  assert.equal(mapHost('api.example.com'), '\\\\api.example.com');
  assert.equal(mapHost('*.example.com'), '\\\\*.example.com');
  assert.equal(mapHost('news.example.com'), '\\\\news.example.com', 'doubled: nginx reads a single "\\n" as a newline');
  for (const bad of ['', 'Api.example.com', 'a b', 'a;b', '~regex', '$host', '"q"', 'a\nb', '.example.com'])
    assert.throws(() => mapHost(bad), QuoteError, `${JSON.stringify(bad)}`);
});

test('map hash sizes grow with the tables and the longest key, so nginx can build them', async () => {
  assert.deepEqual(mapHashSizes(10, 20), { maxSize: 2048, bucketSize: 64 });
  assert.deepEqual(mapHashSizes(10_000, 20), { maxSize: 65536, bucketSize: 64 });
  assert.deepEqual(mapHashSizes(10, 200), { maxSize: 2048, bucketSize: 256 });
  const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example.com`;
  const routes = Array.from(
    { length: 5000 },
    (_, r) => `  - { path: /r${r}/, upstream: u${r % 50}${r % 2 ? `, host: "h${r % 9}.${long}"` : ''} }`,
  );
  const upstreams = Array.from({ length: 50 }, (_, i) => `  u${i}: { servers: ["127.0.0.1:${30000 + i}"] }`);
  const { dir } = await render(`version: 1
listen: [{ port: 18080 }]
upstreams:
${upstreams.join('\n')}
routes:
${routes.join('\n')}
`);
  const t = nginxTest(dir);
  assert.ok(t.ok, t.output);
});

test('rendering is deterministic', async () => {
  const spec = `version: 1
listen: [{ port: 18080 }]
upstreams:
  a: { servers: ["127.0.0.1:30000"] }
  b: { servers: ["127.0.0.1:30001"] }
routes:
  - { path: /b/, upstream: b, host: y.test }
  - { path: /a/, upstream: a }
  - { path: /a/, upstream: b, host: x.test, preserveHost: true }
`;
  const one = await render(spec);
  const two = await render(spec);
  assert.equal(one.conf, two.conf);
  assert.match(one.conf, /^\s*r2 \$gw_client_host;$/m, 'preserveHost route sends the client Host');
});
