import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gwctl } from '../support/gwctl.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { makePki } from '../support/pki.js';
import { peerStatus, waitFor } from '../support/status.js';
import { request, startUpstream, type EchoReply } from '../support/upstream.js';

/**
 * An upstream's basePath on real nginx: the exact request target each upstream receives, with and
 * without stripPath, for a basePath with and without a trailing slash, over plain http and TLS,
 * with %-encoded characters and query strings; health checks request their own path, without it.
 * Every expected path is the one Kong's path_handling v0 builds for a service path.
 */
let nginx: RunningNginx;
let gateway: number;
let status: number;
let tlsServer: string;
let tlsRequests: EchoReply[];
const closers: (() => Promise<void>)[] = [];

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-base-path-e2e-'));
  const pki = await makePki(join(dir, 'pki'));
  const root = pki.root('Base Path Root');
  const leaf = pki.leaf(root, { cn: 'api.internal', dns: ['api.internal'] });
  gateway = await freePort();
  status = await freePort();
  const plain = await freePort();
  const tls = await freePort();
  tlsServer = `127.0.0.1:${tls}`;
  const plainUp = await startUpstream({ label: 'plain', port: plain });
  const tlsUp = await startUpstream({ label: 'tls', port: tls, chainFile: leaf.chain, keyFile: leaf.key });
  tlsRequests = tlsUp.requests;
  closers.push(plainUp.close, tlsUp.close);
  writeFileSync(
    join(dir, 'gateway.yaml'),
    `version: 1
runtime: { flavor: nginx }
listen: [{ port: ${gateway}, address: 127.0.0.1 }]
status: { port: ${status}, address: 127.0.0.1 }
trustStores: { internal: { certificates: ["${root.cert}"] } }
upstreams:
  v1: { servers: ["127.0.0.1:${plain}"], basePath: /v1 }
  v1slash: { servers: ["127.0.0.1:${plain}"], basePath: /v1/ }
  api:
    servers: ["${tlsServer}"]
    basePath: "/api;v=2"
    tls: { trustStore: internal, serverName: api.internal }
    healthCheck: { path: "/healthz?deep=1", interval: 1s, timeout: 1s, healthyAfter: 1, unhealthyAfter: 1 }
routes:
  - { path: /, upstream: v1slash }
  - { path: /keep/, upstream: v1 }
  - { path: /strip/, upstream: v1, stripPath: true }
  - { path: /bare, upstream: v1, stripPath: true }
  - { path: /slash/, upstream: v1slash, stripPath: true }
  - { path: /tls/, upstream: api, stripPath: true }
  - { path: /tls-keep/, upstream: api }
`,
  );
  const r = await gwctl(['render', 'gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  nginx = await startNginx(join(dir, 'out'), gateway);
});

after(async () => {
  await nginx?.stop();
  for (const close of closers) await close();
});

/** The request target the upstream received for `path` sent to the gateway. */
async function upstreamUrl(path: string): Promise<string | undefined> {
  const r = await request(gateway, path);
  assert.equal(r.status, 200, `${path}: ${r.body}`);
  return r.json?.url;
}

test('without stripPath the request goes after basePath byte for byte: encoding and query untouched', async () => {
  assert.equal(await upstreamUrl('/keep/a%2Fb%20c/%41?x=1&y=%2F+z'), '/v1/keep/a%2Fb%20c/%41?x=1&y=%2F+z');
  assert.equal(await upstreamUrl('/keep/'), '/v1/keep/');
  // basePath "/v1/" and a path starting with "/": one slash between them
  assert.equal(await upstreamUrl('/other%20x?q'), '/v1/other%20x?q');
  // a request for "/" alone gets basePath as written (Kong v0: "/v1/" stays "/v1/")
  assert.equal(await upstreamUrl('/'), '/v1/');
  assert.equal(await upstreamUrl('/?a=%20'), '/v1/?a=%20');
});

test('with stripPath the rest follows basePath (re-encoded, as stripPath sends it); the query is kept', async () => {
  assert.equal(await upstreamUrl('/strip/a%20b?x=1&y=%2F'), '/v1/a%20b?x=1&y=%2F');
  // nginx decodes the URI before stripping: %2F in the rest arrives as "/", as with stripPath alone
  assert.equal(await upstreamUrl('/strip/a%2Fb'), '/v1/a/b');
  assert.equal(await upstreamUrl('/strip/'), '/v1/');
  // route /bare (no trailing slash): Kong v0 joins "/v1" and the rest with exactly one slash
  assert.equal(await upstreamUrl('/bare'), '/v1');
  assert.equal(await upstreamUrl('/bare?q=1'), '/v1?q=1');
  assert.equal(await upstreamUrl('/bare/'), '/v1/');
  assert.equal(await upstreamUrl('/barex/y'), '/v1/x/y');
  // basePath with a trailing slash: never two slashes
  assert.equal(await upstreamUrl('/slash/x'), '/v1/x');
  assert.equal(await upstreamUrl('/slash/'), '/v1/');
});

test('over TLS too; health checks request healthCheck.path as written, without basePath', async () => {
  assert.equal(await upstreamUrl('/tls/items%3F?z=%26'), '/api;v=2/items%3F?z=%26');
  assert.equal(await upstreamUrl('/tls-keep/a%2F'), '/api;v=2/tls-keep/a%2F');
  await waitFor('the TLS peer to be checked healthy', async () => {
    const peer = await peerStatus(status, 'api', tlsServer);
    return peer.healthy && tlsRequests.some((r) => r.headers['user-agent'] === 'gwctl-health-check') ? peer : undefined;
  });
  const checks = tlsRequests.filter((r) => r.headers['user-agent'] === 'gwctl-health-check').map((r) => r.url);
  assert.deepEqual([...new Set(checks)], ['/healthz?deep=1']);
});
