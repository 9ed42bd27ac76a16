import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gwctl } from '../support/gwctl.js';
import { startNginx } from '../support/nginx.js';
import { makePki, type PkiCert } from '../support/pki.js';
import { freePort } from '../support/ports.js';

/**
 * Isolation on real nginx: one upstream server process, two spec upstreams on the same address,
 * one trusting the CA that signed the server's certificate ("right") and one trusting another CA
 * ("wrong"). nginx caches TLS sessions and keepalive connections per upstream{} block, so gwctl's
 * one-block-per-spec-upstream rendering must keep "wrong" at 502 and "right" at 200 whatever
 * the order of requests. The control takes gwctl's own output and points both routes at one
 * block (the naive rendering): the leak must then show, or this test proves nothing.
 *
 * Every request of one scenario goes over ONE client connection to nginx, so one nginx worker
 * serves them all (the caches are per worker); the test asserts that connection was reused.
 */

/** What the upstream server saw: TLS connections, those that resumed a session, requests, and requests on resumed connections. */
interface Handshakes {
  connections: number;
  resumed: number;
  requests: number;
  requestsOnResumed: number;
}

let dir: string;
let upstreamPort: number;
let server: Server;
const seen: Handshakes = { connections: 0, resumed: 0, requests: 0, requestsOnResumed: 0 };
let right: PkiCert;
let wrongCa: PkiCert;
let rightCa: PkiCert;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-isolation-'));
  const pki = await makePki(join(dir, 'pki'));
  rightCa = pki.root('Right Root CA');
  wrongCa = pki.root('Wrong Root CA');
  right = pki.leaf(rightCa, { cn: 'shared.internal', dns: ['shared.internal'] });
  upstreamPort = await freePort();
  server = createServer(
    { cert: readFileSync(right.chain), key: readFileSync(right.key), keepAliveTimeout: 30_000 },
    (req, res) => {
      seen.requests++;
      if ((req.socket as TLSSocket).isSessionReused()) seen.requestsOnResumed++;
      req.resume();
      req.on('end', () => res.end(JSON.stringify({ url: req.url })));
    },
  );
  server.on('secureConnection', (s: TLSSocket) => {
    seen.connections++;
    if (s.isSessionReused()) seen.resumed++;
  });
  await new Promise<void>((resolve) => server.listen(upstreamPort, '127.0.0.1', resolve));
});

after(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

/** Renders the two-upstreams-one-address spec into a fresh prefix and returns it with its gateway port. */
async function render(keepalive: number): Promise<{ prefix: string; port: number }> {
  const port = await freePort();
  const name = `out-${port}`;
  const spec = `version: 1
runtime: { flavor: nginx }
listen:
  - { port: ${port}, address: 127.0.0.1 }
trustStores:
  right: { certificates: ["${rightCa.cert}"] }
  wrong: { certificates: ["${wrongCa.cert}"] }
upstreams:
  right:
    servers: ["127.0.0.1:${upstreamPort}"]
    keepalive: ${keepalive}
    tls: { trustStore: right, serverName: shared.internal, presentedChain: "${right.chain}" }
  wrong:
    servers: ["127.0.0.1:${upstreamPort}"]
    keepalive: ${keepalive}
    tls: { trustStore: wrong, serverName: shared.internal }
routes:
  - { path: /right/, upstream: right }
  - { path: /wrong/, upstream: wrong }
`;
  writeFileSync(join(dir, `${name}.yaml`), spec);
  const r = await gwctl(['render', `${name}.yaml`, '--out', name], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  return { prefix: join(dir, name), port };
}

/**
 * The naive rendering: gwctl's own output, except that the TLS profile location of "wrong"
 * (its own trust store) proxies to the "right" upstream{} block: two locations with different
 * trust settings sharing one upstream block, everything else as gwctl renders it.
 */
function makeNaive(prefix: string): void {
  const file = join(prefix, 'nginx.conf');
  const conf = readFileSync(file, 'utf8');
  let found = 0;
  const naive = conf.replace(/location @[\w-]+ \{[^{}]*\}/g, (block) => {
    if (!/proxy_ssl_trusted_certificate "tls\/trust-wrong-/.test(block)) return block;
    found++;
    return block.replace(/proxy_pass https:\/\/[^;]+;/, 'proxy_pass https://up_right;');
  });
  assert.equal(found, 1, 'the control found the TLS profile location of "wrong" (did the template change?)');
  assert.notEqual(naive, conf);
  writeFileSync(file, naive);
}

/** Sends the requests in order over one kept-alive client connection; returns the statuses. */
async function run(port: number, paths: string[]): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const statuses: number[] = [];
  try {
    for (const [i, path] of paths.entries()) {
      const { status, reused } = await new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path, agent, headers: { host: 'gateway.test' } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
        });
        req.on('error', reject);
        req.end();
      });
      if (i > 0)
        assert.ok(
          reused,
          `request ${i + 1} (${path}) did not reuse the client connection, so another nginx worker may have served it`,
        );
      statuses.push(status);
    }
  } finally {
    agent.destroy();
  }
  return statuses;
}

interface Scenario {
  keepalive: number;
  first: 'right' | 'wrong';
}
const SCENARIOS: Scenario[] = [
  { keepalive: 16, first: 'right' },
  { keepalive: 16, first: 'wrong' },
  { keepalive: 0, first: 'right' },
  { keepalive: 0, first: 'wrong' },
];

/** First route, second route, then both again: the caches are warm for every later request. */
function order(first: 'right' | 'wrong'): string[] {
  const second = first === 'right' ? 'wrong' : 'right';
  return [`/${first}/a`, `/${second}/b`, `/${first}/c`, `/${second}/d`, `/${second}/e`];
}
const expected = (paths: string[]) => paths.map((p) => (p.startsWith('/right/') ? 200 : 502));

for (const s of SCENARIOS) {
  test(`gwctl's rendering isolates two upstreams on one address (keepalive ${s.keepalive}, ${s.first} first)`, async () => {
    const { prefix, port } = await render(s.keepalive);
    const conf = readFileSync(join(prefix, 'nginx.conf'), 'utf8');
    assert.match(conf, /upstream up_right \{[^}]*server 127\.0\.0\.1:\d+;/);
    assert.match(conf, /upstream up_wrong \{[^}]*server 127\.0\.0\.1:\d+;/);
    if (s.keepalive) assert.match(conf, new RegExp(`keepalive ${s.keepalive};`));
    const nginx = await startNginx(prefix, port);
    const before = { ...seen };
    const paths = order(s.first);
    const count = (up: string) => paths.filter((p) => p.startsWith(`/${up}/`)).length;
    try {
      assert.deepEqual(await run(port, paths), expected(paths), nginx.errorLog());
      assert.match(
        nginx.errorLog(),
        /upstream SSL certificate verify error: \((19|20|21):/,
        'the wrong upstream failed verification (not some other error)',
      );
      if (s.keepalive) {
        // Keepalive really was on: every "right" request went over one upstream TLS connection.
        assert.equal(seen.requests - before.requests, count('right'));
        assert.equal(
          seen.connections - before.connections,
          1 + count('wrong'),
          'one kept-alive connection for "right", one failed handshake per "wrong" request',
        );
      } else {
        // Session reuse really was on: every connection but each upstream's first resumed a session
        // ("wrong" resumes its own, failed one: nginx caches sessions even when verification failed),
        // and the requests that reached the server came from "right" connections, after its first.
        assert.equal(seen.connections - before.connections, paths.length);
        assert.equal(seen.resumed - before.resumed, paths.length - 2);
        assert.equal(seen.requests - before.requests, count('right'));
        assert.equal(seen.requestsOnResumed - before.requestsOnResumed, count('right') - 1);
      }
    } finally {
      await nginx.stop();
    }
  });

  test(`control: the naive rendering (two trust settings, one upstream block) leaks (keepalive ${s.keepalive}, ${s.first} first)`, async () => {
    const { prefix, port } = await render(s.keepalive);
    makeNaive(prefix);
    const nginx = await startNginx(prefix, port);
    try {
      const paths = order(s.first);
      const statuses = await run(port, paths);
      // Measured on nginx 1.22.1: whichever location connects first decides for both, through the
      // kept-alive connection or the resumed session (which carries the first verify result).
      const firstStatus = s.first === 'right' ? 200 : 502;
      assert.deepEqual(
        statuses,
        paths.map(() => firstStatus),
        `naive rendering: ${JSON.stringify(statuses)}\n${nginx.errorLog()}`,
      );
      assert.notDeepEqual(statuses, expected(paths), 'the control must show the leak');
    } finally {
      await nginx.stop();
    }
  });
}
