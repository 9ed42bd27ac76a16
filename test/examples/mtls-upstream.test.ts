import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyExample } from '../support/example.js';
import { REPO_ROOT, gwctl } from '../support/gwctl.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
import { freePort, waitForPort } from '../support/ports.js';
import { request } from '../support/upstream.js';

/**
 * The README's example end to end, as a new user runs it: `npm run example:upstreams` starts its
 * upstreams (here on free ports instead of 9443 and 9080), gwctl renders the example, nginx runs
 * it, and a request goes through: over mutual TLS to orders, over plain http to status.
 */
let dir: string;
let upstreams: ChildProcess;
let nginx: RunningNginx;
let ports: Record<'http' | 'https' | 'orders' | 'plain', number>;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-example-'));
  copyExample(join(dir, 'example'));
  ports = { http: await freePort(), https: await freePort(), orders: await freePort(), plain: await freePort() };
  const spec = join(dir, 'example/gateway.yaml');
  const original = readFileSync(spec, 'utf8');
  const moved = original
    .replace('- port: 8080', `- port: ${ports.http}`)
    .replace('- port: 8443', `- port: ${ports.https}`)
    .replace('127.0.0.1:9443', `127.0.0.1:${ports.orders}`)
    .replace('127.0.0.1:9080', `127.0.0.1:${ports.plain}`);
  assert.equal(moved.split('\n').length, original.split('\n').length);
  assert.notEqual(moved, original);
  writeFileSync(spec, moved);

  // The documented command, run from the repository as the README says, with other ports.
  upstreams = spawn(
    'npm',
    [
      'run',
      '--silent',
      'example:upstreams',
      '--',
      '--orders-port',
      String(ports.orders),
      '--plain-port',
      String(ports.plain),
    ],
    { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await waitForPort(ports.orders);
  await waitForPort(ports.plain);

  const r = await gwctl(['render', 'example/gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  nginx = await startNginx(join(dir, 'out'), ports.http);
});

after(async () => {
  await nginx?.stop();
  if (upstreams?.pid) process.kill(-upstreams.pid, 'SIGTERM');
});

test('npm run example:upstreams is the documented command: it runs examples/mtls-upstream/upstreams.mjs', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts['example:upstreams'], 'node examples/mtls-upstream/upstreams.mjs');
});

test('a request goes through the example gateway to the TLS upstream, which saw the gateway’s client certificate', async () => {
  const r = await request(ports.http, '/orders/42');
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(JSON.parse(r.body), {
    upstream: 'orders',
    method: 'GET',
    path: '/orders/42',
    host: 'orders.internal',
    clientCertificate: 'gateway.example.com',
  });
});

test('the plain upstream answers its route (host api.example.com) through the gateway', async () => {
  const r = await request(ports.http, '/status', { host: 'api.example.com' });
  assert.equal(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body).upstream, 'status');
  assert.equal((await request(ports.http, '/status')).status, 404, 'other hosts have no /status route');
});

test('the TLS upstream refuses a client without the certificate: mutual TLS is really required', async () => {
  const { request: httpsRequest } = await import('node:https');
  const outcome = await new Promise<string>((resolve) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: ports.orders,
        path: '/',
        servername: 'orders.internal',
        ca: readFileSync(join(dir, 'example/pki/demo-root-ca.crt')),
      },
      (res) => resolve(`answered ${res.statusCode}`),
    );
    req.on('error', () => resolve('refused'));
    req.end();
  });
  assert.equal(outcome, 'refused');
});
