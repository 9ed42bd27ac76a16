import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gwctl } from '../support/gwctl.js';
import { block } from '../import/kong/support.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { makePki } from '../support/pki.js';
import { peerStatus, waitFor } from '../support/status.js';
import { request, startUpstream } from '../support/upstream.js';

/**
 * A Kong declarative config, imported, rendered and run on real nginx (with the Lua module)
 * against real TLS upstreams on loopback; requests are routed as Kong routes them:
 *   /keep/   strip_path false: the path goes upstream as sent
 *   /strip/  strip_path unset (Kong strips by default): the prefix leaves the path
 *   /v1-keep/, /v1-strip/  a service url with a path (/v1): it goes before the forwarded path,
 *            joined as Kong's path_handling v0 joins it
 *   /host    on api.example.com with preserve_host: the client's Host goes upstream
 *   /orders/ an upstream entity (host_header, two targets, active https checks with
 *            verification): one target is down, the checks take it out; SNI and Host as Kong sends them
 *   /deep1/  tls_verify_depth 1 against a chain with two intermediates: refused, as Kong's nginx refuses it
 *   /deep2/  tls_verify_depth 2, the same chain: accepted
 *   /mtls/   client_certificate: the upstream requires it and gets it
 *   /off/    tls_verify false against a certificate from an unknown CA: proxied, unverified
 */
let nginx: RunningNginx;
let gatewayPort: number;
let statusPort: number;
let ordersDown: string;
let ordersUp: string;
let dir: string;
const closers: (() => Promise<void>)[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-kong-e2e-'));
  const pki = await makePki(join(dir, 'pki'));
  const root = pki.root('Kong E2E Root');
  const issuing = pki.intermediate(root, 'Kong E2E Issuing');
  const deepOne = pki.intermediate(root, 'Kong E2E Deep One');
  const deepTwo = pki.intermediate(deepOne, 'Kong E2E Deep Two');
  const clientCa = pki.root('Kong E2E Client CA');
  const rogueRoot = pki.root('Rogue Root');
  const orders = pki.leaf(issuing, { cn: 'orders.internal', dns: ['orders.internal'] });
  const deep = pki.leaf(deepTwo, { cn: 'deep.internal', dns: ['deep.internal'] });
  const mtls = pki.leaf(issuing, { cn: 'mtls.internal', dns: ['mtls.internal'] });
  const client = pki.leaf(clientCa, { cn: 'kong-client', client: true });
  const rogue = pki.leaf(rogueRoot, { cn: 'off.internal', dns: ['off.internal'] });

  const port = async () => freePort();
  gatewayPort = await port();
  statusPort = await port();
  const p = {
    plain: await port(),
    orders: await port(),
    down: await port(),
    deep: await port(),
    mtls: await port(),
    off: await port(),
  };
  ordersUp = `127.0.0.1:${p.orders}`;
  ordersDown = `127.0.0.1:${p.down}`;
  for (const u of [
    startUpstream({ label: 'plain', port: p.plain }),
    startUpstream({ label: 'orders', port: p.orders, chainFile: orders.chain, keyFile: orders.key }),
    startUpstream({ label: 'deep', port: p.deep, chainFile: deep.chain, keyFile: deep.key }),
    startUpstream({
      label: 'mtls',
      port: p.mtls,
      chainFile: mtls.chain,
      keyFile: mtls.key,
      clientCaFile: clientCa.cert,
    }),
    startUpstream({ label: 'off', port: p.off, chainFile: rogue.chain, keyFile: rogue.key }),
  ])
    closers.push((await u).close);

  const ROOT_ID = '5b0c8f5e-0000-4000-8000-000000000001';
  const CLIENT_ID = '5b0c8f5e-0000-4000-8000-000000000002';
  const kong = `_format_version: "3.0"
services:
- name: plain
  url: http://127.0.0.1:${p.plain}
  routes:
  - name: keep
    paths: [/keep/]
    strip_path: false
  - name: strip
    paths: [/strip/]
  - name: by-host
    hosts: [api.example.com]
    paths: [/host]
    strip_path: false
    preserve_host: true
- name: based
  url: http://127.0.0.1:${p.plain}/v1
  routes:
  - name: v1-keep
    paths: [/v1-keep]
    strip_path: false
  - name: v1-strip
    paths: [/v1-strip/]
- name: orders
  host: orders-up
  protocol: https
  tls_verify: true
  ca_certificates: [${ROOT_ID}]
  routes:
  - paths: [/orders/]
    strip_path: false
- name: deep1
  host: deep-up
  protocol: https
  tls_verify: true
  tls_verify_depth: 1
  ca_certificates: [${ROOT_ID}]
  routes:
  - paths: [/deep1/]
- name: deep2
  host: deep-up
  protocol: https
  tls_verify: true
  tls_verify_depth: 2
  ca_certificates: [${ROOT_ID}]
  routes:
  - paths: [/deep2/]
- name: mtls
  url: https://mtls-up
  tls_verify: true
  ca_certificates: [${ROOT_ID}]
  client_certificate: { id: ${CLIENT_ID} }
  routes:
  - paths: [/mtls/]
- name: off
  url: https://off-up
  tls_verify: false
  routes:
  - paths: [/off/]
upstreams:
- name: orders-up
  host_header: orders.internal
  healthchecks:
    active:
      type: https
      http_path: /healthz
      timeout: 0.5
      https_verify_certificate: true
      healthy: { interval: 1, successes: 1 }
      unhealthy: { interval: 1, tcp_failures: 1, http_failures: 1, timeouts: 1 }
  targets:
  - target: ${ordersUp}
  - target: ${ordersDown}
- name: deep-up
  host_header: deep.internal
  targets: [{ target: "127.0.0.1:${p.deep}" }]
- name: mtls-up
  host_header: mtls.internal
  targets: [{ target: "127.0.0.1:${p.mtls}" }]
- name: off-up
  host_header: off.internal
  targets: [{ target: "127.0.0.1:${p.off}" }]
ca_certificates:
- id: ${ROOT_ID}
  cert: ${block(readFileSync(root.cert, 'utf8'), 2)}
certificates:
- id: ${CLIENT_ID}
  cert: ${block(readFileSync(client.chain, 'utf8'), 2)}
  key: ${block(readFileSync(client.key, 'utf8'), 2)}
`;
  writeFileSync(join(dir, 'kong.yml'), kong);
  const imported = await gwctl(
    [
      'import',
      'kong',
      'kong.yml',
      '--out',
      'gateway',
      '--listen',
      `127.0.0.1:${gatewayPort}`,
      '--status-listen',
      `127.0.0.1:${statusPort}`,
      '--flavor',
      'nginx',
    ],
    dir,
  );
  assert.equal(imported.exitCode, 0, imported.stderr);
  const rendered = await gwctl(['render', 'gateway/gateway.yaml', '--out', 'out'], dir);
  assert.equal(rendered.exitCode, 0, rendered.stderr);
  nginx = await startNginx(join(dir, 'out'), gatewayPort);
});

after(async () => {
  await nginx?.stop();
  for (const close of closers) await close();
});

test('strip_path false passes the path as sent; Host is the service host:port Kong sends', async () => {
  const r = await request(gatewayPort, '/keep/a/b?x=1');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json?.server, 'plain');
  assert.equal(r.json?.url, '/keep/a/b?x=1');
  assert.match(String(r.json?.headers.host), /^127\.0\.0\.1:\d+$/);
});

test("strip_path unset strips the route's prefix, as Kong's default does", async () => {
  const r = await request(gatewayPort, '/strip/a/b?x=1');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json?.url, '/a/b?x=1');
});

test('a service path goes before the forwarded path: the request as sent (strip_path false) or its rest (strip_path)', async () => {
  const keep = await request(gatewayPort, '/v1-keep/a%2Fb%20c?x=1&y=%2F');
  assert.equal(keep.status, 200, keep.body);
  assert.equal(keep.json?.url, '/v1/v1-keep/a%2Fb%20c?x=1&y=%2F');
  const stripped = await request(gatewayPort, '/v1-strip/a%20b?x=1');
  assert.equal(stripped.status, 200, stripped.body);
  assert.equal(stripped.json?.url, '/v1/a%20b?x=1');
  // Kong v0: nothing left after the prefix keeps the request's trailing slash
  assert.equal((await request(gatewayPort, '/v1-strip/')).json?.url, '/v1/');
});

test('preserve_host on a host route sends the client Host; another host does not match it', async () => {
  const r = await request(gatewayPort, '/host', { host: 'api.example.com' });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json?.headers.host, 'api.example.com');
  const other = await request(gatewayPort, '/host', { host: 'other.example.com' });
  assert.equal(other.status, 404);
});

test('an upstream entity: SNI and Host from host_header, verified against ca_certificates; the dead target is taken out', async () => {
  await waitFor('the dead target to be unhealthy', async () => {
    const peer = await peerStatus(statusPort, 'orders', ordersDown);
    return peer.healthy ? undefined : peer;
  });
  assert.equal((await peerStatus(statusPort, 'orders', ordersUp)).healthy, true);
  for (let i = 0; i < 4; i++) {
    const r = await request(gatewayPort, '/orders/x');
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json?.server, 'orders');
    assert.equal(r.json?.sni, 'orders.internal');
    assert.equal(r.json?.headers.host, `orders.internal:${ordersUp.split(':')[1]}`);
  }
});

test('tls_verify_depth 1 refuses a chain with two intermediates, as Kong does; depth 2 accepts it', async () => {
  const refused = await request(gatewayPort, '/deep1/x');
  assert.equal(refused.status, 502);
  // nginx reports the depth limit as a missing issuer (20), not as "chain too long" (22), and so
  // does gwctl's prediction for the imported depth.
  assert.match(
    nginx.errorLog(),
    /upstream SSL certificate verify error: \(20:unable to get local issuer certificate\)/,
  );
  // gwctl probe on the imported spec tells a Kong user the same before any request is sent.
  const probed = await gwctl(['--format', 'json', 'probe', 'gateway/gateway.yaml', '--upstream', 'deep1'], dir);
  assert.equal(probed.exitCode, 1, probed.stderr);
  assert.deepEqual(JSON.parse(probed.stdout).upstreams[0].nginx, {
    code: 20,
    reason: 'unable to get local issuer certificate',
  });
  const probedDeep2 = await gwctl(['--format', 'json', 'probe', 'gateway/gateway.yaml', '--upstream', 'deep2'], dir);
  assert.equal(probedDeep2.exitCode, 0, probedDeep2.stderr);
  const accepted = await request(gatewayPort, '/deep2/x');
  assert.equal(accepted.status, 200, accepted.body);
  assert.equal(accepted.json?.sni, 'deep.internal');
  assert.equal(accepted.json?.url, '/x');
});

test('client_certificate is presented to an upstream that requires it', async () => {
  const r = await request(gatewayPort, '/mtls/x');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json?.clientCertificate, 'kong-client');
});

test('tls_verify false proxies to a certificate no CA vouches for', async () => {
  const r = await request(gatewayPort, '/off/x');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json?.server, 'off');
});
