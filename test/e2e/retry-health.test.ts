import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gwctl } from '../support/gwctl.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { serve, type TestServer } from '../support/traffic.js';
import { request } from '../support/upstream.js';

/**
 * Retries through gwctl's Lua balancer (a health-checked upstream) on real nginx: a refused
 * connection is retried on the next peer for GET, and POST is never retried (nonIdempotent:
 * never, the default), as without health checks.
 */
let nginx: RunningNginx;
let port: number;
let live: TestServer;
const methods: string[] = [];

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-retry-health-'));
  chmodSync(dir, 0o755);
  port = await freePort();
  const status = await freePort();
  const dead = await freePort(); // nothing listens: connection refused
  const livePort = await freePort();
  live = await serve(livePort, (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      if (req.url !== '/healthz') methods.push(`${req.method} ${req.url}`);
      res.end('ok');
    });
  });
  // maxFails 0 keeps the dead peer in rotation; checks every hour leave it healthy for the test.
  writeFileSync(
    join(dir, 'gateway.yaml'),
    `version: 1
runtime: { flavor: nginx }
status: { port: ${status}, address: 127.0.0.1 }
listen: [{ port: ${port}, address: 127.0.0.1 }]
upstreams:
  api:
    servers: [{ address: "127.0.0.1:${dead}", maxFails: 0 }, "127.0.0.1:${livePort}"]
    healthCheck: { path: /healthz, interval: 1h, timeout: 2s, unhealthyAfter: 2 }
routes: [{ path: /, upstream: api }]
`,
  );
  const r = await gwctl(['render', 'gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  nginx = await startNginx(join(dir, 'out'), port);
});

after(async () => {
  await nginx?.stop();
  await live?.close();
});

test('through the Lua balancer: POST that meets the refused peer is not retried (502), GET always is', async () => {
  // POST first: each worker's first pick is the first peer, the dead one.
  const post: number[] = [];
  for (let i = 0; i < 6; i++) post.push((await request(port, `/p${i}`, { method: 'POST', body: 'x' })).status);
  assert.ok(post.includes(502), `no POST met the dead peer: ${post}`);
  assert.deepEqual(
    post.filter((s) => s !== 502),
    post.filter((s) => s === 200),
  );
  const get: number[] = [];
  for (let i = 0; i < 6; i++) get.push((await request(port, `/g${i}`)).status);
  assert.deepEqual(get, [200, 200, 200, 200, 200, 200]);
  assert.deepEqual(methods, [
    ...post.flatMap((s, i) => (s === 200 ? [`POST /p${i}`] : [])),
    ...get.map((_, i) => `GET /g${i}`),
  ]);
  assert.match(nginx.errorLog(), /connect\(\) failed \(111: Connection refused\) while connecting to upstream/);
});
