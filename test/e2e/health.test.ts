import { after, before, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTlsServer } from 'node:tls';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gwctl } from '../support/gwctl.js';
import { flavorDirectives, nginxBinary, nginxTest, startNginx, type RunningNginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { makePki, type PkiCert } from '../support/pki.js';
import { getStatus, peerStatus, waitFor } from '../support/status.js';
import { request, startUpstream, type EchoReply } from '../support/upstream.js';

/**
 * Active health checks on real nginx (stock nginx + the Lua module, flavor nginx), real TLS
 * upstreams on loopback:
 *   orders:         two peers; "bad" serves a chain from another CA, then is restarted with a good one
 *   payments:       one peer requiring a client certificate; the spec presents it
 *   paymentsNoCert: the same peer, no client certificate declared
 *   payments13(NoCert): the same two over TLSv1.3, where the peer refuses after the handshake
 *   inventory:      two plain-http peers; the second stops answering, then comes back
 *   dead:           one peer serving a chain from another CA: every peer down
 *   weighted:       plain peers of weight 3 and 1 and a backup
 *   passive:        two plain peers checked once an hour: maxFails/failTimeout take a dead one out
 *   gone:           two peers nothing listens on, checked once an hour: every peer failed (maxFails)
 *   picky:          the p1 peer, whose 200 is not in the check's successStatuses
 *   tls13/tls12only: one peer that speaks only TLSv1.3, with and without TLSv1.3 in the spec's protocols
 */
const INTERVAL_MS = 1000;
const TIMEOUT_MS = 500;
const UNHEALTHY_AFTER = 2;
const HEALTHY_AFTER = 3;
const CHECK_AGENT = 'gwctl-health-check';

let dir: string;
let nginx: RunningNginx;
let ports: Record<
  | 'gateway'
  | 'status'
  | 'good'
  | 'bad'
  | 'mtls'
  | 'inv1'
  | 'inv2'
  | 'dead'
  | 'heavy'
  | 'light'
  | 'spare'
  | 'p1'
  | 'p2'
  | 'gone1'
  | 'gone2'
  | 'tls13',
  number
>;
let good: PkiCert;
let rogue: PkiCert;
let root: PkiCert;
let goodUpstream: Awaited<ReturnType<typeof startUpstream>>;
let mtlsUpstream: Awaited<ReturnType<typeof startUpstream>>;
let inv1Upstream: Awaited<ReturnType<typeof startUpstream>>;
let p1Upstream: Awaited<ReturnType<typeof startUpstream>>;
const closers = new Map<string, () => Promise<void>>();
let deadConnections = 0;

const server = (port: number) => `127.0.0.1:${port}`;
const isCheck = (r: EchoReply) => r.headers['user-agent'] === CHECK_AGENT;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-health-'));
  const pki = await makePki(join(dir, 'pki'));
  root = pki.root('Orders Root CA');
  const issuing = pki.intermediate(root, 'Orders Issuing CA');
  const rogueRoot = pki.root('Rogue Root CA');
  const rogueIssuing = pki.intermediate(rogueRoot, 'Rogue Issuing CA');
  const clientCa = pki.root('Client CA');
  good = pki.leaf(issuing, { cn: 'orders.internal', dns: ['orders.internal'] });
  rogue = pki.leaf(rogueIssuing, { cn: 'orders.internal', dns: ['orders.internal'] });
  const payments = pki.leaf(issuing, { cn: 'payments.internal', dns: ['payments.internal'] });
  const client = pki.leaf(clientCa, { cn: 'gateway-client', client: true });

  ports = {
    gateway: await freePort(),
    status: await freePort(),
    good: await freePort(),
    bad: await freePort(),
    mtls: await freePort(),
    inv1: await freePort(),
    inv2: await freePort(),
    dead: await freePort(),
    heavy: await freePort(),
    light: await freePort(),
    spare: await freePort(),
    p1: await freePort(),
    p2: await freePort(),
    gone1: await freePort(),
    gone2: await freePort(),
    tls13: await freePort(),
  };
  for (const label of ['heavy', 'light', 'spare', 'p2'] as const)
    closers.set(label, (await startUpstream({ label, port: ports[label] })).close);
  p1Upstream = await startUpstream({ label: 'p1', port: ports.p1 });
  closers.set('p1', p1Upstream.close);
  goodUpstream = await startUpstream({ label: 'good', port: ports.good, chainFile: good.chain, keyFile: good.key });
  closers.set('good', goodUpstream.close);
  const bad = await startUpstream({ label: 'bad', port: ports.bad, chainFile: rogue.chain, keyFile: rogue.key });
  closers.set('bad', bad.close);
  mtlsUpstream = await startUpstream({
    label: 'mtls',
    port: ports.mtls,
    chainFile: payments.chain,
    keyFile: payments.key,
    clientCaFile: clientCa.cert,
  });
  closers.set('mtls', mtlsUpstream.close);
  inv1Upstream = await startUpstream({ label: 'inv1', port: ports.inv1 });
  closers.set('inv1', inv1Upstream.close);
  closers.set('inv2', (await startUpstream({ label: 'inv2', port: ports.inv2 })).close);
  // Counts every TCP connection, so a test can tell that the gateway did not connect at all.
  const dead = createTlsServer({ cert: readFileSync(rogue.chain), key: readFileSync(rogue.key) }, (s) => s.end());
  dead.on('connection', () => deadConnections++);
  dead.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => dead.listen(ports.dead, '127.0.0.1', resolve));
  closers.set('dead', () => new Promise<void>((resolve) => dead.close(() => resolve())));
  // Speaks TLSv1.3 only: lua-nginx-module 0.10.23's own TLS client (lua_ssl_protocols) could not reach it.
  const tls13 = createHttpsServer(
    { cert: readFileSync(good.chain), key: readFileSync(good.key), minVersion: 'TLSv1.3' },
    (req, res) => res.end(JSON.stringify({ server: 'tls13', url: req.url, headers: req.headers })),
  );
  await new Promise<void>((resolve) => tls13.listen(ports.tls13, '127.0.0.1', resolve));
  closers.set('tls13', () => new Promise<void>((resolve) => tls13.close(() => resolve())));

  const check = `{ path: /healthz, interval: ${INTERVAL_MS}ms, timeout: ${TIMEOUT_MS}ms, healthyAfter: ${HEALTHY_AFTER}, unhealthyAfter: ${UNHEALTHY_AFTER} }`;
  writeFileSync(
    join(dir, 'gateway.yaml'),
    `version: 1
runtime: { flavor: nginx }
listen:
  - { port: ${ports.gateway}, address: 127.0.0.1 }
status: { port: ${ports.status} }
trustStores:
  internal: { certificates: ["${root.cert}"] }
clientCertificates:
  gateway: { certificate: "${client.chain}", key: "${client.key}" }
upstreams:
  orders:
    servers: ["${server(ports.good)}", "${server(ports.bad)}"]
    healthCheck: ${check}
    tls: { trustStore: internal, serverName: orders.internal, verifyDepth: 1 }
  payments:
    servers: ["${server(ports.mtls)}"]
    healthCheck: ${check}
    tls: { trustStore: internal, serverName: payments.internal, verifyDepth: 1, clientCertificate: gateway }
  paymentsNoCert:
    servers: ["${server(ports.mtls)}"]
    healthCheck: ${check}
    tls: { trustStore: internal, serverName: payments.internal, verifyDepth: 1 }
  payments13:
    servers: ["${server(ports.mtls)}"]
    healthCheck: ${check}
    tls: { trustStore: internal, serverName: payments.internal, verifyDepth: 1, clientCertificate: gateway, protocols: [TLSv1.3] }
  payments13NoCert:
    servers: ["${server(ports.mtls)}"]
    healthCheck: ${check}
    tls: { trustStore: internal, serverName: payments.internal, verifyDepth: 1, protocols: [TLSv1.3] }
  inventory:
    servers: ["${server(ports.inv1)}", "${server(ports.inv2)}"]
    healthCheck: ${check}
  dead:
    servers: ["${server(ports.dead)}"]
    healthCheck: { path: /healthz, interval: 1h, timeout: ${TIMEOUT_MS}ms, unhealthyAfter: 1 }
    tls: { trustStore: internal, serverName: orders.internal, verifyDepth: 1 }
  weighted:
    servers:
      - { address: "${server(ports.heavy)}", weight: 3 }
      - { address: "${server(ports.light)}", weight: 1 }
      - { address: "${server(ports.spare)}", backup: true }
    healthCheck: ${check}
  passive:
    servers:
      - { address: "${server(ports.p1)}", maxFails: 1, failTimeout: 60 }
      - { address: "${server(ports.p2)}", maxFails: 1, failTimeout: 60 }
    healthCheck: { path: /healthz, interval: 1h, timeout: ${TIMEOUT_MS}ms }
  gone:
    servers:
      - { address: "${server(ports.gone1)}", maxFails: 1, failTimeout: 60 }
      - { address: "${server(ports.gone2)}", maxFails: 1, failTimeout: 60 }
    healthCheck: { path: /healthz, interval: 1h, timeout: ${TIMEOUT_MS}ms }
  tls13:
    servers: ["${server(ports.tls13)}"]
    healthCheck: ${check}
    tls: { trustStore: internal, serverName: orders.internal, verifyDepth: 1, protocols: [TLSv1.2, TLSv1.3] }
  picky:
    servers: ["${server(ports.p1)}"]
    healthCheck: { path: /healthz?deep=1, interval: ${INTERVAL_MS}ms, timeout: ${TIMEOUT_MS}ms, unhealthyAfter: 1, successStatuses: [204] }
  tls12only:
    servers: ["${server(ports.tls13)}"]
    healthCheck: ${check}
    tls: { trustStore: internal, serverName: orders.internal, verifyDepth: 1, protocols: [TLSv1.2] }
routes:
  - { path: /gone/, upstream: gone }
  - { path: /tls13/, upstream: tls13 }
  - { path: /weighted/, upstream: weighted }
  - { path: /passive/, upstream: passive }
  - { path: /orders/, upstream: orders }
  - { path: /payments/, upstream: payments }
  - { path: /inventory/, upstream: inventory }
  - { path: /dead/, upstream: dead }
`,
  );
  const r = await gwctl(['render', 'gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  nginx = await startNginx(join(dir, 'out'), ports.gateway);
});

after(async () => {
  await nginx?.stop();
  for (const close of closers.values()) await close();
});

async function restart(name: 'bad' | 'inv2', start: () => Promise<{ close(): Promise<void> }>): Promise<void> {
  await closers.get(name)?.();
  closers.set(name, (await start()).close);
}

test('a peer serving a chain from another CA is unhealthy with the verify error gwctl predicts, gets no traffic, and is back once its chain is fixed', async () => {
  const bad = await waitFor('the bad peer to be unhealthy', async () => {
    const p = await peerStatus(ports.status, 'orders', server(ports.bad));
    return p.healthy ? undefined : p;
  });
  const predicted = await gwctl([
    '--format',
    'json',
    'verify-chain',
    '--chain',
    rogue.chain,
    '--ca',
    root.cert,
    '--name',
    'orders.internal',
    '--depth',
    '1',
  ]);
  const { nginx: expected } = JSON.parse(predicted.stdout).upstreams[0] as { nginx: { code: number; reason: string } };
  assert.deepEqual(expected, { code: 20, reason: 'unable to get local issuer certificate' });
  assert.deepEqual(bad, {
    server: server(ports.bad),
    address: server(ports.bad),
    healthy: false,
    lastError: 'upstream SSL certificate verify error: (20:unable to get local issuer certificate)',
  });
  assert.deepEqual(await peerStatus(ports.status, 'orders', server(ports.good)), {
    server: server(ports.good),
    address: server(ports.good),
    healthy: true,
    lastError: null,
  });

  const served: string[] = [];
  for (let i = 0; i < 12; i++) {
    const r = await request(ports.gateway, `/orders/${i}`);
    assert.equal(r.status, 200, r.body);
    served.push(String(r.json?.server));
  }
  assert.deepEqual(served, Array(12).fill('good'), 'every request reaches the healthy peer');
  assert.doesNotMatch(
    nginx.errorLog(),
    /while SSL handshaking to upstream/,
    'traffic never tried the unhealthy peer (its failure would be in error.log)',
  );

  // The check itself travels as traffic does: the upstream's name as SNI and Host, the path, no gwctl header.
  const checkSeen = goodUpstream.requests.find(isCheck);
  assert.ok(checkSeen);
  assert.equal(checkSeen.url, '/healthz');
  assert.equal(checkSeen.sni, 'orders.internal');
  assert.equal(checkSeen.headers.host, 'orders.internal');
  assert.equal(checkSeen.headers['x-gwctl-check'], undefined);

  // Fixed: the same peer now serves a chain from the trusted CA.
  let fixed!: Awaited<ReturnType<typeof startUpstream>>;
  await restart('bad', async () => {
    fixed = await startUpstream({ label: 'fixed', port: ports.bad, chainFile: good.chain, keyFile: good.key });
    return fixed;
  });
  await waitFor('the fixed peer to be healthy', async () =>
    (await peerStatus(ports.status, 'orders', server(ports.bad))).healthy ? true : undefined,
  );
  assert.equal((await peerStatus(ports.status, 'orders', server(ports.bad))).lastError, null);
  const after: string[] = [];
  for (let i = 0; i < 6; i++) after.push(String((await request(ports.gateway, `/orders/${i}`)).json?.server));
  assert.deepEqual([...new Set(after)].sort(), ['fixed', 'good'], 'traffic reaches both peers again');
  assert.ok(fixed.requests.filter(isCheck).length >= HEALTHY_AFTER);
});

test('a peer requiring a client certificate is healthy because the check presents the spec’s certificate', async () => {
  await waitFor('the checks of paymentsNoCert to fail', async () =>
    (await peerStatus(ports.status, 'paymentsNoCert', server(ports.mtls))).healthy ? undefined : true,
  );
  const status = await getStatus(ports.status);
  assert.deepEqual(status.upstreams.payments, {
    checked: true,
    peers: [{ server: server(ports.mtls), address: server(ports.mtls), healthy: true, lastError: null }],
  });
  const noCert = status.upstreams.paymentsNoCert.peers[0];
  assert.equal(noCert.healthy, false);
  // The peer refuses the handshake without a client certificate; nginx logs OpenSSL's words for it.
  assert.equal(
    noCert.lastError,
    'SSL_do_handshake() failed (SSL: error:0A000410:SSL routines::sslv3 alert handshake failure:SSL alert number 40)',
  );
  // TLSv1.3: the client certificate is checked after the client's handshake completed, so nginx
  // learns of the refusal when it reads the answer; the check fails all the same.
  await waitFor('the checks of payments13NoCert to fail', async () =>
    (await peerStatus(ports.status, 'payments13NoCert', server(ports.mtls))).healthy ? undefined : true,
  );
  const status13 = await getStatus(ports.status);
  assert.deepEqual(status13.upstreams.payments13.peers, [
    { server: server(ports.mtls), address: server(ports.mtls), healthy: true, lastError: null },
  ]);
  assert.equal(
    status13.upstreams.payments13NoCert.peers[0].lastError,
    'SSL_read() failed (SSL: error:0A00045C:SSL routines::tlsv13 alert certificate required:SSL alert number 116)',
  );
  const checks = mtlsUpstream.requests.filter(isCheck);
  assert.ok(checks.length > 0);
  assert.deepEqual([...new Set(checks.map((r) => r.clientCertificate))], ['gateway-client']);
});

test('a peer that stops answering is out within interval × unhealthyAfter and back after healthyAfter successful checks', async () => {
  await waitFor('both inventory peers healthy', async () =>
    (await getStatus(ports.status)).upstreams.inventory.peers.every((p) => p.healthy) ? true : undefined,
  );
  // Stops answering: accepts connections, never replies.
  const hung = new Set<Socket>();
  const stopped = Date.now();
  await restart('inv2', async () => {
    const s = createServer((c) => {
      hung.add(c);
      c.on('close', () => hung.delete(c));
    });
    await new Promise<void>((resolve) => s.listen(ports.inv2, '127.0.0.1', resolve));
    return {
      close: () =>
        new Promise<void>((resolve) => {
          for (const c of hung) c.destroy();
          s.close(() => resolve());
        }),
    };
  });
  const out = await waitFor('the hung peer to be unhealthy', async () => {
    const p = await peerStatus(ports.status, 'inventory', server(ports.inv2));
    return p.healthy ? undefined : p;
  });
  const elapsed = Date.now() - stopped;
  // The first failing check starts within one interval of the stop, the last unhealthyAfter - 1
  // intervals later, and it fails after the timeout.
  const bound = INTERVAL_MS * UNHEALTHY_AFTER + TIMEOUT_MS;
  assert.ok(elapsed <= bound + 1000, `taken out after ${elapsed} ms, bound ${bound} ms (+1 s for a loaded machine)`);
  assert.equal(out.lastError, 'upstream timed out (110: Connection timed out)');
  for (let i = 0; i < 6; i++) assert.equal((await request(ports.gateway, '/inventory/')).json?.server, 'inv1');

  // Back: traffic flows all along; the restarted peer gets none before healthyAfter checks passed.
  let back!: Awaited<ReturnType<typeof startUpstream>>;
  await restart('inv2', async () => {
    back = await startUpstream({ label: 'back', port: ports.inv2 });
    return back;
  });
  await waitFor('the peer to be back in traffic', async () => {
    const r = await request(ports.gateway, '/inventory/');
    assert.equal(r.status, 200);
    return r.json?.server === 'back' ? true : undefined;
  });
  const firstTraffic = back.requests.findIndex((r) => !isCheck(r));
  assert.ok(
    firstTraffic >= HEALTHY_AFTER && back.requests.slice(0, firstTraffic).every(isCheck),
    `the peer got traffic after ${firstTraffic} checks`,
  );
});

test('with every peer unhealthy the gateway answers 503 without connecting to any', async () => {
  await waitFor('the dead upstream to be down', async () =>
    (await peerStatus(ports.status, 'dead', server(ports.dead))).healthy ? undefined : true,
  );
  const before = deadConnections;
  for (let i = 0; i < 5; i++) assert.equal((await request(ports.gateway, '/dead/')).status, 503);
  assert.equal(deadConnections, before);
  // Checked once an hour, from the start: one connection, so one worker checks, whatever the workers.
  assert.equal(deadConnections, 1);
});

test('checks of healthy peers leave no line in logs/health-check.log; failed ones name their peer', () => {
  const lines = readFileSync(join(dir, 'out/logs/health-check.log'), 'utf8').split('\n').filter(Boolean);
  assert.ok(lines.length > 0);
  for (const line of lines) assert.doesNotMatch(line, new RegExp(`:${ports.good}\\b|:${ports.inv1}\\b`), line);
});

test('the openresty flavor renders the same runtime without load_module: nginx -t accepts it and it runs, the Lua module loaded from the command line', async () => {
  const gateway = await freePort();
  const status = await freePort();
  const resty = join(dir, 'resty');
  writeFileSync(
    join(dir, 'resty.yaml'),
    `version: 1
runtime: { flavor: openresty }
listen: [{ port: ${gateway}, address: 127.0.0.1 }]
status: { port: ${status}, address: 127.0.0.1 }
upstreams:
  inventory:
    servers: ["${server(ports.inv1)}"]
    healthCheck: { path: /healthz-resty, interval: ${INTERVAL_MS}ms, timeout: ${TIMEOUT_MS}ms }
routes: [{ path: /, upstream: inventory }]
`,
  );
  const r = await gwctl(['render', 'resty.yaml', '--out', 'resty'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  const conf = readFileSync(join(resty, 'nginx.conf'), 'utf8');
  assert.doesNotMatch(conf, /load_module/);
  assert.match(conf, /balancer_by_lua_block/);
  const t = nginxTest(resty, flavorDirectives('openresty'));
  assert.ok(t.ok, t.output);
  const running = await startNginx(resty, gateway, flavorDirectives('openresty'));
  try {
    const inv1 = await waitFor('a first check', async () => {
      const p = (await getStatus(status)).upstreams.inventory.peers[0];
      const checked = inv1Upstream.requests.some((q) => isCheck(q) && q.url === '/healthz-resty');
      return checked ? p : undefined;
    });
    assert.deepEqual(inv1, { server: server(ports.inv1), address: server(ports.inv1), healthy: true, lastError: null });
    assert.equal((await request(gateway, '/x')).json?.server, 'inv1');
  } finally {
    await running.stop();
  }
});

test('the Lua balancer keeps the servers’ meanings: weights, backup only when every primary is out', async () => {
  // Under load a check can time out: start from both primaries healthy, as the test means to.
  await waitFor('both primaries healthy', async () => {
    const peers = (await getStatus(ports.status)).upstreams.weighted.peers;
    return [server(ports.heavy), server(ports.light)].every((s) => peers.some((p) => p.server === s && p.healthy))
      ? true
      : undefined;
  });
  const served: string[] = [];
  for (let i = 0; i < 40; i++) served.push(String((await request(ports.gateway, '/weighted/')).json?.server));
  const count = (label: string) => served.filter((s) => s === label).length;
  assert.equal(count('spare'), 0, 'the backup gets nothing while a primary is available');
  assert.equal(count('heavy') + count('light'), 40);
  // Each worker runs nginx's smooth weighted round robin on its own: 3 of every 4 picks per worker.
  assert.ok(count('heavy') >= 26 && count('heavy') <= 34, `weight 3 of 4 got ${count('heavy')} of 40`);

  await closers.get('heavy')?.();
  await closers.get('light')?.();
  closers.delete('heavy');
  closers.delete('light');
  await waitFor('both primaries unhealthy', async () => {
    const peers = (await getStatus(ports.status)).upstreams.weighted.peers;
    return peers
      .filter((p) => !p.healthy)
      .map((p) => p.server)
      .join() === [server(ports.heavy), server(ports.light)].join()
      ? true
      : undefined;
  });
  for (let i = 0; i < 4; i++) assert.equal((await request(ports.gateway, '/weighted/')).json?.server, 'spare');
});

test('maxFails/failTimeout: a peer that refuses traffic is left alone for failTimeout, before any check notices', async () => {
  await closers.get('p2')?.();
  closers.delete('p2');
  const before = nginx.errorLog().length;
  const served: string[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await request(ports.gateway, '/passive/');
    assert.equal(r.status, 200, 'a failed attempt is retried on the other peer');
    served.push(String(r.json?.server));
  }
  assert.deepEqual(served, Array(10).fill('p1'));
  const refused = nginx
    .errorLog()
    .slice(before)
    .split('\n')
    .filter((l) => l.includes('connect() failed (111: Connection refused)') && l.includes(`:${ports.p2}/`));
  // maxFails 1: one failed attempt per worker (nginx counts failures per worker too), then none for 60 s
  assert.ok(refused.length >= 1 && refused.length <= availableParallelism(), refused.join('\n'));
  assert.equal((await peerStatus(ports.status, 'passive', server(ports.p2))).healthy, true, 'no check ran since');
});

test('every peer failed by maxFails (none unhealthy): 502 and nginx’s own “no live upstreams”, as nginx’s round robin answers', async () => {
  const before = nginx.errorLog().length;
  // maxFails and failTimeout count per worker, as nginx's do: each worker's first request tries both
  // peers; once a worker has more than one request, it finds no live peer.
  const statuses: number[] = [];
  for (let i = 0; i < 2 * availableParallelism() + 1; i++)
    statuses.push((await request(ports.gateway, '/gone/')).status);
  assert.deepEqual(statuses, Array(statuses.length).fill(502));
  const log = nginx.errorLog().slice(before);
  assert.match(
    log,
    /no live upstreams while connecting to upstream, client: 127\.0\.0\.1, server: , request: "GET \/gone\//,
  );
  assert.deepEqual(
    (await getStatus(ports.status)).upstreams.gone.peers.map((p) => p.healthy),
    [true, true],
    'one failed check of unhealthyAfter 2 takes no peer out',
  );
});

test('a peer that speaks only TLSv1.3 is healthy where the spec allows TLSv1.3, and fails its check as traffic would where it does not', async () => {
  const ok = await waitFor('the TLSv1.3 peer checked', async () => {
    const p = await peerStatus(ports.status, 'tls13', server(ports.tls13));
    const refused = await peerStatus(ports.status, 'tls12only', server(ports.tls13));
    return refused.healthy ? undefined : { p, refused };
  });
  assert.deepEqual(ok.p, { server: server(ports.tls13), address: server(ports.tls13), healthy: true, lastError: null });
  assert.deepEqual(ok.refused, {
    server: server(ports.tls13),
    address: server(ports.tls13),
    healthy: false,
    lastError:
      'SSL_do_handshake() failed (SSL: error:0A00042E:SSL routines::tlsv1 alert protocol version:SSL alert number 70)',
  });
  const r = await request(ports.gateway, '/tls13/x');
  assert.equal(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body).server, 'tls13');
});

test('a reload keeps each peer’s health with its address, however the spec reorders the servers', async () => {
  const [gateway, status, goodPort, badPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const goodPeer = await startUpstream({ label: 'good', port: goodPort, chainFile: good.chain, keyFile: good.key });
  const badPeer = await startUpstream({ label: 'bad', port: badPort, chainFile: rogue.chain, keyFile: rogue.key });
  const spec = (servers: number[]) => `version: 1
runtime: { flavor: nginx }
listen: [{ port: ${gateway}, address: 127.0.0.1 }]
status: { port: ${status} }
trustStores:
  internal: { certificates: ["${root.cert}"] }
upstreams:
  orders:
    servers: [${servers.map((p) => `"${server(p)}"`).join(', ')}]
    # checked once at each start: what the reload keeps is not overwritten by later checks
    healthCheck: { path: /healthz, interval: 1h, timeout: ${TIMEOUT_MS}ms, unhealthyAfter: 1, healthyAfter: 3 }
    tls: { trustStore: internal, serverName: orders.internal, verifyDepth: 1 }
routes: [{ path: /, upstream: orders }]
`;
  const reload = join(dir, 'reload');
  writeFileSync(join(dir, 'reload.yaml'), spec([badPort, goodPort]));
  assert.equal((await gwctl(['render', 'reload.yaml', '--out', 'reload'], dir)).exitCode, 0);
  const running = await startNginx(reload, gateway);
  try {
    await waitFor('the bad peer to be unhealthy', async () =>
      (await peerStatus(status, 'orders', server(badPort))).healthy ? undefined : true,
    );
    const checksBefore = goodPeer.requests.filter(isCheck).length;
    const verifyErrors = () => readFileSync(join(reload, 'logs/health-check.log'), 'utf8').split('verify error').length;
    const failedBefore = verifyErrors();
    writeFileSync(join(dir, 'reload.yaml'), spec([goodPort, badPort]));
    assert.equal((await gwctl(['render', 'reload.yaml', '--out', 'reload'], dir)).exitCode, 0);
    const signal = spawnSync(
      nginxBinary(),
      ['-p', reload, '-c', 'nginx.conf', '-e', 'logs/error.log', '-s', 'reload'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(signal.status, 0, signal.stderr);
    // the new workers' first check (one per start: the interval is an hour)
    await waitFor('a check by the reloaded gateway', async () =>
      goodPeer.requests.filter(isCheck).length > checksBefore ? true : undefined,
    );
    await waitFor('the reloaded gateway to have checked the bad peer', async () =>
      verifyErrors() > failedBefore ? true : undefined,
    );
    assert.deepEqual((await getStatus(status)).upstreams.orders.peers, [
      { server: server(goodPort), address: server(goodPort), healthy: true, lastError: null },
      {
        server: server(badPort),
        address: server(badPort),
        healthy: false,
        lastError: 'upstream SSL certificate verify error: (20:unable to get local issuer certificate)',
      },
    ]);
    for (let i = 0; i < 6; i++) assert.equal((await request(gateway, '/')).json?.server, 'good');
  } finally {
    await running.stop();
    await goodPeer.close();
    await badPeer.close();
  }
});

test('successStatuses: a status outside the list fails the check, and lastError says which one the peer answered', async () => {
  const picky = await waitFor('the picky check to fail', async () => {
    const p = await peerStatus(ports.status, 'picky', server(ports.p1));
    return p.healthy ? undefined : p;
  });
  assert.deepEqual(picky, {
    server: server(ports.p1),
    address: server(ports.p1),
    healthy: false,
    lastError: 'health check /healthz?deep=1 answered HTTP 200',
  });
  assert.ok(p1Upstream.requests.some((r) => isCheck(r) && r.url === '/healthz?deep=1'));
});

test('the status listener serves GET and HEAD /status only', async () => {
  const head = await request(ports.status, '/status', { method: 'HEAD' });
  assert.deepEqual([head.status, head.headers['content-type'], head.body], [200, 'application/json', '']);
  assert.equal((await request(ports.status, '/status', { method: 'POST', body: '' })).status, 405);
  assert.equal((await request(ports.status, '/status/')).status, 404);
  assert.equal((await request(ports.status, '/')).status, 404);
  // The check server on the same listener: nothing without the checker's token.
  const forged = await request(ports.status, '/healthz', {
    host: 'gwctl-health-check.invalid',
    headers: { 'x-gwctl-check': 'guess up_orders 1' },
  });
  assert.equal(forged.status, 404);
});

test('when the checking worker dies, another worker takes the checks over', async () => {
  const [gateway, status] = [await freePort(), await freePort()];
  const prefix = join(dir, 'takeover');
  writeFileSync(
    join(dir, 'takeover.yaml'),
    `version: 1
runtime: { flavor: nginx }
listen: [{ port: ${gateway}, address: 127.0.0.1 }]
status: { port: ${status} }
upstreams:
  inventory:
    servers: ["${server(ports.inv1)}"]
    healthCheck: { path: /healthz-takeover, interval: 500ms, timeout: 400ms }
routes: [{ path: /, upstream: inventory }]
`,
  );
  assert.equal((await gwctl(['render', 'takeover.yaml', '--out', 'takeover'], dir)).exitCode, 0);
  const running = await startNginx(prefix, gateway);
  const checks = () => inv1Upstream.requests.filter((r) => isCheck(r) && r.url === '/healthz-takeover').length;
  try {
    await waitFor('a first check', async () => (checks() > 0 ? true : undefined));
    // Kill every worker (whichever holds the lock): the master starts new ones, and one of them
    // takes the lock once the dead worker's lease ran out.
    const master = Number(readFileSync(join(prefix, 'logs/nginx.pid'), 'utf8'));
    const workers = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === master;
        } catch {
          return false;
        }
      });
    assert.ok(workers.length > 0);
    for (const pid of workers) process.kill(Number(pid), 'SIGKILL');
    const after = checks();
    await waitFor('checks by a new worker', async () => (checks() >= after + 3 ? true : undefined));
  } finally {
    await running.stop();
  }
});
