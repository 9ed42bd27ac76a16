import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gwctl } from '../support/gwctl.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { makePki } from '../support/pki.js';
import { request, startUpstream, type EchoReply } from '../support/upstream.js';

/**
 * Grouped TLS rendering on real nginx: routes hand requests to one named location per TLS
 * profile, and one server block serves every host. These tests prove that grouping changes
 * nothing a client or an upstream can see:
 *
 * - alpha, beta and wrongName share one TLS profile (same trust store and depth) but each is
 *   verified against its own serverName and gets it as SNI; wrongName's certificate does not
 *   carry the name the spec declares → 502 there only.
 * - crossed points at alpha's very server but trusts store b → 502 even right after alpha's
 *   session and keepalive connection exist (one upstream{} block per spec upstream).
 * - bravo lives in store b, which also holds Debian's 144-certificate bundle → 200.
 * - hosts: api.example.com overrides /alpha/ and adds /api/; *.wild.test has a catch-all plain
 *   route that keeps the client's Host; every other host gets the any-host routes.
 * - path, query, method, headers and bodies (chunked, larger than client_body_buffer_size) reach
 *   the upstream exactly as the client sent them.
 */
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
let nginx: RunningNginx;
let port: number;
let tlsPort: number;
let gatewayCa: string;
let conf: string;
const closers: (() => Promise<void>)[] = [];

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-grouping-'));
  // Run as root, nginx's workers are "nobody": they must reach temp/ to spool large bodies.
  chmodSync(dir, 0o755);
  const pki = await makePki(join(dir, 'pki'));
  const rootA = pki.root('Grouping Root A');
  const intA = pki.intermediate(rootA, 'Grouping Issuing A');
  const rootB = pki.root('Grouping Root B');
  const gwRoot = pki.root('Gateway Listener Root');
  const alpha = pki.leaf(intA, { cn: 'alpha.internal', dns: ['alpha.internal'] });
  const beta = pki.leaf(intA, { cn: 'beta.internal', dns: ['beta.internal'] });
  const gamma = pki.leaf(intA, { cn: 'gamma.internal', dns: ['gamma.internal'] });
  const bravo = pki.leaf(rootB, { cn: 'bravo.internal', dns: ['bravo.internal'] });
  const listener = pki.leaf(gwRoot, { cn: 'gateway.test', dns: ['gateway.test'] });
  gatewayCa = gwRoot.cert;

  port = await freePort();
  tlsPort = await freePort();
  const ports = {
    alpha: await freePort(),
    beta: await freePort(),
    gamma: await freePort(),
    bravo: await freePort(),
    plain: await freePort(),
  };
  const servers = [
    await startUpstream({ label: 'alpha', port: ports.alpha, chainFile: alpha.chain, keyFile: alpha.key }),
    await startUpstream({ label: 'beta', port: ports.beta, chainFile: beta.chain, keyFile: beta.key }),
    await startUpstream({ label: 'gamma', port: ports.gamma, chainFile: gamma.chain, keyFile: gamma.key }),
    await startUpstream({ label: 'bravo', port: ports.bravo, chainFile: bravo.chain, keyFile: bravo.key }),
    await startUpstream({ label: 'plain', port: ports.plain }),
  ];
  closers.push(...servers.map((s) => s.close));

  const spec = `version: 1
runtime: { flavor: nginx }
listen:
  - { port: ${port}, address: 127.0.0.1 }
  - port: ${tlsPort}
    address: 127.0.0.1
    tls: { certificate: "${listener.chain}", key: "${listener.key}" }
trustStores:
  a: { certificates: ["${rootA.cert}"] }
  b: { certificates: [${existsSync(SYSTEM_BUNDLE) ? `"${SYSTEM_BUNDLE}", ` : ''}"${rootB.cert}"] }
upstreams:
  alpha:
    servers: ["127.0.0.1:${ports.alpha}"]
    tls: { trustStore: a, serverName: alpha.internal, presentedChain: "${alpha.chain}" }
  beta:
    servers: ["127.0.0.1:${ports.beta}"]
    tls: { trustStore: a, serverName: beta.internal, presentedChain: "${beta.chain}" }
  wrongName:
    servers: ["127.0.0.1:${ports.gamma}"]
    tls: { trustStore: a, serverName: other.internal, verifyDepth: 1 }
  crossed:
    servers: ["127.0.0.1:${ports.alpha}"]
    tls: { trustStore: b, serverName: alpha.internal, verifyDepth: 1 }
  bravo:
    servers: ["127.0.0.1:${ports.bravo}"]
    tls: { trustStore: b, serverName: bravo.internal, presentedChain: "${bravo.chain}", verifyDepth: 1 }
  plain:
    servers: ["127.0.0.1:${ports.plain}"]
routes:
  - { path: /alpha/, upstream: alpha }
  - { path: /beta/, upstream: beta }
  - { path: /wrong-name/, upstream: wrongName }
  - { path: /crossed/, upstream: crossed }
  - { path: /bravo/, upstream: bravo }
  - { path: /plain/, upstream: plain }
  - { path: /alpha/, upstream: beta, host: api.example.com }
  - { path: /api/, upstream: bravo, host: API.example.com }
  - { path: /, upstream: plain, host: "*.wild.test", preserveHost: true }
  - { path: /alpha/deeper/, upstream: plain }
  - { path: /kw/, upstream: plain, host: default }
  - { path: /v1/, upstream: alpha, host: "*.example.com" }
  - { path: /v1/, upstream: beta, host: "*.eu.example.com" }
  - { path: "/my docs/", upstream: beta }
  - { path: /under/, upstream: plain, host: A_B.Example.com. }
  - { path: /keep/, upstream: plain, preserveHost: true }
`;
  writeFileSync(join(dir, 'gateway.yaml'), spec);
  const r = await gwctl(['render', 'gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  conf = readFileSync(join(dir, 'out', 'nginx.conf'), 'utf8');
  nginx = await startNginx(join(dir, 'out'), port);
});

after(async () => {
  await nginx?.stop();
  for (const close of closers) await close();
});

function profileLocations(): string[] {
  return [...conf.matchAll(/location (@tls_[0-9a-f]+)/g)].map((m) => m[1]);
}

test('the rendered config has one server block, one upstream block per spec upstream, one location per TLS profile', () => {
  assert.equal(conf.match(/^\s*server \{/gm)?.length, 1, 'plain and TLS listeners share one server block');
  for (const name of ['alpha', 'beta', 'wrongName', 'crossed', 'bravo', 'plain'])
    assert.match(conf, new RegExp(`upstream up_${name} \\{`));
  const profiles = profileLocations();
  assert.ok(
    profiles.length >= 2 && profiles.length <= 3,
    `expected 2-3 TLS profiles (store a depth 1, store b depth 1, maybe bravo's), got ${profiles.join(', ')}`,
  );
  assert.equal(
    conf.match(/proxy_ssl_trusted_certificate /g)?.length,
    profiles.length,
    'one trusted file per profile, not per route',
  );
  assert.match(conf, /# TLS profile for upstream\(s\): alpha, beta, wrongName\n/);
  assert.doesNotMatch(
    conf,
    /proxy_pass https?:\/\/(?!\$gw_upstream;)/,
    'never an implicit upstream: every proxy_pass names a variable that resolves to an upstream{} block',
  );
});

test('upstreams sharing a profile are each verified against, and sent SNI for, their own serverName', async () => {
  const a = await request(port, '/alpha/x');
  assert.equal(a.status, 200, a.body);
  assert.equal(a.json?.server, 'alpha');
  assert.equal(a.json?.sni, 'alpha.internal');
  assert.equal(a.json?.headers.host, 'alpha.internal');
  const b = await request(port, '/beta/y');
  assert.equal(b.status, 200, b.body);
  assert.equal(b.json?.server, 'beta');
  assert.equal(b.json?.sni, 'beta.internal');
  const w = await request(port, '/wrong-name/z');
  assert.equal(w.status, 502, 'a certificate without the declared name is refused');
  assert.match(nginx.errorLog(), /upstream SSL certificate does not match "other\.internal"/);
  // ... and the shared profile still serves its other upstreams afterwards.
  assert.equal((await request(port, '/alpha/again')).status, 200);
  assert.equal((await request(port, '/beta/again')).status, 200);
});

test('each upstream is verified against its own trust store, even on a server another upstream already reached', async () => {
  assert.equal((await request(port, '/alpha/warm')).status, 200);
  const crossed = await request(port, '/crossed/');
  assert.equal(
    crossed.status,
    502,
    "store b does not hold alpha's root: no session or connection of up_alpha may be reused",
  );
  assert.match(
    nginx.errorLog(),
    /upstream SSL certificate verify error: \(20:unable to get local issuer certificate\)/,
  );
  const bravo = await request(port, '/bravo/');
  assert.equal(bravo.status, 200, bravo.body);
  assert.equal(bravo.json?.server, 'bravo');
  assert.equal(bravo.json?.sni, 'bravo.internal');
});

test('hosts: own routes win, any-host routes fill in, other hosts never see them', async () => {
  const cases: [string, string, string | number][] = [
    ['api.example.com', '/alpha/1', 'beta'], // host route overrides the any-host route at the same path
    ['API.Example.com:8080', '/alpha/1', 'beta'], // host matching ignores case and port
    ['api.example.com', '/beta/1', 'beta'],
    ['api.example.com', '/api/1', 'bravo'],
    ['api.example.com', '/alpha/deeper/1', 'plain'], // a longer any-host path beats a shorter host path
    ['other.example.com', '/alpha/1', 'alpha'],
    ['other.example.com', '/api/1', 404],
    ['a.wild.test', '/anything', 'plain'],
    ['a.b.wild.test', '/alpha/1', 'alpha'], // the any-host route is longer than the host's "/"
    ['wild.test', '/anything', 404], // *.wild.test does not match wild.test
    ['localhost', '/', 404],
    ['localhost', '/alpha', 404], // prefix match: /alpha is not under /alpha/
    ['default', '/kw/1', 'plain'], // a host named like a map keyword
    ['localhost', '/kw/1', 404],
    ['api.example.com', '/v1/x', 'alpha'], // a wildcard route applies to a host with routes of its own
    ['other.example.com', '/v1/x', 'alpha'],
    ['x.eu.example.com', '/v1/x', 'beta'], // the longer wildcard wins at the same path
    ['x.eu.example.com', '/alpha/1', 'alpha'],
    ['example.com', '/v1/x', 404],
    ['localhost', '/my%20docs/x', 'beta'], // a route path with a space matches the decoded URI
    ['localhost', '/my%20docs2/x', 404],
    ['a_b.example.com', '/under/x', 'plain'], // underscore and trailing dot in a route host
    ['A_B.example.com.', '/under/x', 'plain'],
  ];
  for (const [host, path, expected] of cases) {
    const r = await request(port, path, { host });
    if (typeof expected === 'number') assert.equal(r.status, expected, `${host}${path}`);
    else {
      assert.equal(r.status, 200, `${host}${path}: ${r.body}`);
      assert.equal(r.json?.server, expected, `${host}${path}`);
    }
  }
  const kept = await request(port, '/x', { host: 'a.wild.test' });
  assert.equal(kept.json?.headers.host, 'a.wild.test', "preserveHost sends the client's Host header");
});

test('preserveHost sends the Host header as the client sent it when it names the routed host, else the routed host', async () => {
  const asSent = await request(port, '/keep/1', { host: 'API.Example.com:8443' });
  assert.equal(asSent.json?.headers.host, 'API.Example.com:8443', 'case and port as sent');
  // An absolute URI names the host nginx routes by; a different Host header must not reach the upstream.
  const absolute = await rawLines(port, [
    'GET http://a.wild.test/abs HTTP/1.1',
    'Host: admin.internal',
    'Connection: close',
  ]);
  assert.equal(absolute.json?.server, 'plain', absolute.raw);
  assert.equal(absolute.json?.headers.host, 'a.wild.test');
  // No Host header at all (HTTP/1.0): the upstream's own Host, never an empty one.
  const none = await rawLines(port, ['GET /keep/1 HTTP/1.0']);
  assert.equal(none.json?.server, 'plain', none.raw);
  assert.match(String(none.json?.headers.host), /^127\.0\.0\.1:\d+$/);
});

test('an upstream cannot restart routing inside the gateway, and its own statuses pass through', async () => {
  for (const target of ['/beta/internal', '@gw_not_found', '/nowhere']) {
    const r = await request(port, '/alpha/xa', { headers: { 'x-test-reply-header': `X-Accel-Redirect: ${target}` } });
    assert.equal(r.status, 200, `X-Accel-Redirect ${target}: ${r.body}`);
    assert.equal(r.json?.server, 'alpha', "the answer is the upstream's own");
    assert.equal(r.headers['x-accel-redirect'], undefined, 'nor is the header passed to the client');
    const p = await request(port, '/plain/xa', { headers: { 'x-test-reply-header': `X-Accel-Redirect: ${target}` } });
    assert.equal(p.json?.server, 'plain');
  }
  for (const status of [404, 418, 500, 502]) {
    const r = await request(port, '/beta/s', { headers: { 'x-test-reply-status': String(status) } });
    assert.equal(r.status, status);
    assert.equal(r.json?.server, 'beta', `${status} comes from the upstream, with its body`);
  }
});

/** A request written line by line (absolute URIs, HTTP/1.0, no Host), for what node's client won't send. */
function rawLines(p: number, lines: string[]): Promise<{ raw: string; json?: EchoReply }> {
  return new Promise((resolve, reject) => {
    const socket = connect(p, '127.0.0.1', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    const parts: Buffer[] = [];
    socket.on('data', (c: Buffer) => parts.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      // The body may be chunked: the echo reply is the one JSON object in it.
      const body = raw.slice(raw.indexOf('{'), raw.lastIndexOf('}') + 1);
      let json: EchoReply | undefined;
      try {
        json = JSON.parse(body) as EchoReply;
      } catch {
        /* not an echo reply */
      }
      resolve({ raw, json });
    });
  });
}

test('path and query reach the upstream exactly as the client sent them, percent-encoding included', async () => {
  const paths = [
    '/alpha/a%2Fb%20c/%7Euser/%25?q=a%20b&x=%2F&y&z=%E2%9C%93',
    '/alpha//double//slashes/?a=1&a=2',
    '/alpha/./dot/../segments?x=..%2F',
    '/alpha/%41%42%43;matrix=1?',
    '/plain/a%2Fb?q=%3F',
  ];
  for (const path of paths) {
    const r = await request(port, path);
    assert.equal(r.status, 200, `${path}: ${r.body}`);
    assert.equal(r.json?.url, path);
  }
});

test('methods, headers and bodies pass unchanged through the profile hand-over', async () => {
  for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const body = method === 'GET' ? undefined : `{"method":"${method}","n":${method.length}}`;
    const headers: Record<string, string> = { 'x-trace': `t-${method}`, 'content-type': 'application/json' };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const r = await request(port, `/beta/m?verb=${method}`, { method, body, headers });
    assert.equal(r.status, 200, `${method}: ${r.body}`);
    assert.equal(r.json?.method, method);
    assert.equal(r.json?.url, `/beta/m?verb=${method}`);
    assert.equal(r.json?.body, body ?? '');
    assert.equal(r.json?.headers['x-trace'], `t-${method}`);
    assert.equal(r.json?.headers['x-forwarded-for'], '127.0.0.1');
  }
  const head = await request(port, '/beta/h', { method: 'HEAD' });
  assert.equal(head.status, 200);
});

test('a chunked request body and one larger than client_body_buffer_size arrive intact', async () => {
  const chunks = Array.from({ length: 20 }, (_, i) => `chunk-${i}-${'x'.repeat(i * 100)}\n`);
  const chunked = await rawRequest(port, '/alpha/upload?kind=chunked', 'POST', chunks);
  assert.equal(chunked.status, 200, chunked.body);
  assert.equal(chunked.json?.body, chunks.join(''));
  assert.equal(chunked.json?.method, 'POST');

  // 700 KB: far above the 8/16 KB buffer (nginx spools it to temp/), below client_max_body_size.
  const large = Array.from({ length: 7000 }, (_, i) => `${String(i).padStart(6, '0')}${'abcdefghij'.repeat(9)}\n`).join(
    '',
  );
  assert.ok(large.length > 600_000);
  for (const path of ['/bravo/big', '/plain/big']) {
    const r = await rawRequest(port, path, 'PUT', [large.slice(0, 300_000), large.slice(300_000)], {
      'content-length': String(large.length),
    });
    assert.equal(r.status, 200, `${path}: ${r.body.slice(0, 200)}`);
    assert.equal(r.json?.body.length, large.length);
    assert.ok(r.json?.body === large, `${path}: body changed on the way`);
  }
  const chunkedLarge = await rawRequest(port, '/beta/big-chunked', 'PATCH', [
    large.slice(0, 100_000),
    large.slice(100_000, 500_000),
    large.slice(500_000),
  ]);
  assert.equal(chunkedLarge.status, 200);
  assert.ok(chunkedLarge.json?.body === large);
});

test('the TLS listener shares the server block and routes the same way', async () => {
  const r = await new Promise<{ status: number; json: EchoReply }>((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: tlsPort,
        path: '/api/tls?q=1',
        servername: 'gateway.test',
        ca: readFileSync(gatewayCa),
        headers: { host: 'api.example.com' },
        agent: false,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(parts).toString('utf8')) as EchoReply,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.equal(r.status, 200);
  assert.equal(r.json.server, 'bravo');
  assert.equal(r.json.url, '/api/tls?q=1');
  assert.equal(r.json.headers['x-forwarded-proto'], 'https');
});

/** A request whose body is written in pieces: chunked unless a content-length header is given. */
function rawRequest(
  p: number,
  path: string,
  method: string,
  pieces: string[],
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; json?: EchoReply }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: p,
        path,
        method,
        headers: { host: 'localhost', connection: 'close', ...headers },
        agent: false,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const body = Buffer.concat(parts).toString('utf8');
          let json: EchoReply | undefined;
          try {
            json = JSON.parse(body) as EchoReply;
          } catch {
            /* not an echo reply */
          }
          resolve({ status: res.statusCode ?? 0, body, json });
        });
      },
    );
    req.on('error', reject);
    if (!headers['content-length']) req.setHeader('transfer-encoding', 'chunked');
    let i = 0;
    const next = () => {
      if (i === pieces.length) {
        req.end();
        return;
      }
      req.write(pieces[i++]);
      setTimeout(next, 5);
    };
    next();
  });
}
