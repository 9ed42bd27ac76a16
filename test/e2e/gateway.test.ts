import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gwctl } from '../support/gwctl.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { makePki } from '../support/pki.js';
import { request, startUpstream } from '../support/upstream.js';

/**
 * The whole path, for real: spec → gwctl render → nginx → TLS upstreams on loopback.
 * good:    signed by the declared CA → 200
 * rogue:   signed by a CA the spec does not trust → 502, error log says why
 * mtls:    requires a client certificate; the spec declares the right one → 200
 * mtlsBad: requires a client certificate from another CA than the one the gateway presents → 502
 */
let nginx: RunningNginx;
let gatewayPort: number;
let rogueChain: string;
let rootCert: string;
const closers: (() => Promise<void>)[] = [];

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-e2e-'));
  const pki = await makePki(join(dir, 'pki'));
  const root = pki.root('E2E Root CA');
  const issuing = pki.intermediate(root, 'E2E Issuing CA');
  const rogueRoot = pki.root('Rogue Root CA');
  const clientCa = pki.root('E2E Client CA');
  const otherClientCa = pki.root('Other Client CA');
  const good = pki.leaf(issuing, { cn: 'good.internal', dns: ['good.internal'] });
  const rogue = pki.leaf(rogueRoot, { cn: 'rogue.internal', dns: ['rogue.internal'] });
  const mtls = pki.leaf(issuing, { cn: 'mtls.internal', dns: ['mtls.internal'] });
  const client = pki.leaf(clientCa, { cn: 'gateway-client', client: true });
  rogueChain = rogue.chain;
  rootCert = root.cert;

  const ports = {
    gateway: await freePort(),
    good: await freePort(),
    rogue: await freePort(),
    mtls: await freePort(),
    mtlsBad: await freePort(),
  };
  gatewayPort = ports.gateway;
  const upstreams = [
    await startUpstream({ label: 'good', port: ports.good, chainFile: good.chain, keyFile: good.key }),
    await startUpstream({ label: 'rogue', port: ports.rogue, chainFile: rogue.chain, keyFile: rogue.key }),
    await startUpstream({
      label: 'mtls',
      port: ports.mtls,
      chainFile: mtls.chain,
      keyFile: mtls.key,
      clientCaFile: clientCa.cert,
    }),
    await startUpstream({
      label: 'mtlsBad',
      port: ports.mtlsBad,
      chainFile: mtls.chain,
      keyFile: mtls.key,
      clientCaFile: otherClientCa.cert,
    }),
  ];
  closers.push(...upstreams.map((u) => u.close));

  const spec = `version: 1
runtime: { flavor: nginx }
listen:
  - port: ${ports.gateway}
    address: 127.0.0.1
trustStores:
  internal: { certificates: ["${root.cert}"] }
clientCertificates:
  gateway: { certificate: "${client.chain}", key: "${client.key}" }
upstreams:
  good:
    servers: ["127.0.0.1:${ports.good}"]
    tls: { trustStore: internal, serverName: good.internal, presentedChain: "${good.chain}" }
  rogue:
    servers: ["127.0.0.1:${ports.rogue}"]
    tls: { trustStore: internal, serverName: rogue.internal }
  mtls:
    servers: ["127.0.0.1:${ports.mtls}"]
    tls: { trustStore: internal, serverName: mtls.internal, clientCertificate: gateway, presentedChain: "${mtls.chain}" }
  mtlsBad:
    servers: ["127.0.0.1:${ports.mtlsBad}"]
    tls: { trustStore: internal, serverName: mtls.internal, clientCertificate: gateway, presentedChain: "${mtls.chain}" }
  mtlsNoCert:
    servers: ["127.0.0.1:${ports.mtls}"]
    tls: { trustStore: internal, serverName: mtls.internal, presentedChain: "${mtls.chain}" }
routes:
  - { path: /good/, upstream: good }
  - { path: /rogue/, upstream: rogue }
  - { path: /mtls/, upstream: mtls }
  - { path: /mtls-bad/, upstream: mtlsBad }
  - { path: /mtls-none/, upstream: mtlsNoCert }
`;
  writeFileSync(join(dir, 'gateway.yaml'), spec);
  const r = await gwctl(['render', 'gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  nginx = await startNginx(join(dir, 'out'), ports.gateway);
});

after(async () => {
  await nginx?.stop();
  for (const close of closers) await close();
});

test('a correctly declared upstream answers 200 through the gateway, with SNI and the declared name', async () => {
  const r = await request(gatewayPort, '/good/hello?x=1');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json?.server, 'good');
  assert.equal(r.json?.url, '/good/hello?x=1');
  assert.equal(r.json?.sni, 'good.internal');
});

test('an upstream whose certificate is not signed by the declared CA gives 502, and the error log says what gwctl predicted', async () => {
  const r = await request(gatewayPort, '/rogue/');
  assert.equal(r.status, 502);
  const predicted = await gwctl([
    '--format',
    'json',
    'verify-chain',
    '--chain',
    rogueChain,
    '--ca',
    rootCert,
    '--name',
    'rogue.internal',
  ]);
  assert.equal(predicted.exitCode, 1);
  const { nginx: expected } = JSON.parse(predicted.stdout).upstreams[0] as { nginx: { code: number; reason: string } };
  assert.equal(expected.code, 21, 'the rogue upstream serves only its leaf, whose issuer nobody has');
  assert.ok(
    nginx
      .errorLog()
      .includes(
        `upstream SSL certificate verify error: (${expected.code}:${expected.reason}) while SSL handshaking to upstream`,
      ),
    nginx.errorLog(),
  );
});

test('mutual TLS: 200 only when the spec declares the right client certificate', async () => {
  const ok = await request(gatewayPort, '/mtls/');
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.json?.clientCertificate, 'gateway-client');
  assert.equal(
    (await request(gatewayPort, '/mtls-bad/')).status,
    502,
    'a client certificate from another CA is refused',
  );
  assert.equal((await request(gatewayPort, '/mtls-none/')).status, 502, 'no client certificate is refused');
});
