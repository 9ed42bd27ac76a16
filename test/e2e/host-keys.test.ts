import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, gwctlProcess } from '../support/gwctl.js';
import { startNginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { makePki, type PkiCert } from '../support/pki.js';
import { request, startUpstream } from '../support/upstream.js';

/*
 * Keys that live only on the gateway host, the whole way: the example spec with every key given
 * as hostPath renders (and passes nginx -t with stand-ins) on a machine without those keys; the
 * rendered DIR, copied to "the host" (another directory, keys put at their host paths under a
 * prefix this test owns), runs real nginx that serves a real mutual-TLS request; then gwctl test
 * on that host names a mismatched, a world-readable and a missing key.
 *
 * The example's spec is used as it is written, except for ports, the flavor (stock nginx here)
 * and the keys; its demo certificates are replaced by fresh ones of the same roles.
 */

let work: string;
let hostRoot: string;
let deployed: string;
let specFile: string;
let gatewayPort: number;
let fresh: { client: PkiCert; listener: PkiCert; other: PkiCert };
let closeUpstream: () => Promise<void>;

const hostKey = (name: string) => join(hostRoot, 'etc/gateway/keys', name);

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gwctl-hostkeys-'));
  const ci = join(work, 'ci-checkout');
  cpSync(join(REPO_ROOT, 'examples/mtls-upstream'), ci, { recursive: true });
  for (const f of readdirSync(join(ci, 'pki'))) rmSync(join(ci, 'pki', f));

  const pki = await makePki(join(work, 'pki-source'));
  const root = pki.root('Demo Root CA');
  const issuing = pki.intermediate(root, 'Demo Issuing CA');
  const orders = pki.leaf(issuing, { cn: 'orders.internal', dns: ['orders.internal'] });
  const client = pki.leaf(issuing, { cn: 'gateway-client', client: true });
  const listener = pki.leaf(issuing, { cn: 'api.example.com', dns: ['api.example.com'] });
  const other = pki.leaf(issuing, { cn: 'someone-else', client: true });
  fresh = { client, listener, other };
  cpSync(root.cert, join(ci, 'pki/demo-root-ca.crt'));
  cpSync(orders.chain, join(ci, 'pki/orders-chain.crt'));
  cpSync(client.chain, join(ci, 'pki/gateway-client.crt'));
  cpSync(listener.chain, join(ci, 'pki/gateway.crt'));

  hostRoot = join(work, 'host-root');
  const upstreamPort = await freePort();
  gatewayPort = await freePort();
  const tlsPort = await freePort();
  specFile = join(ci, 'gateway.yaml');
  const example = readFileSync(specFile, 'utf8');
  const spec = example
    .replace('flavor: openresty', 'flavor: nginx')
    .replace('  - port: 8080\n', `  - port: ${gatewayPort}\n    address: 127.0.0.1\n`)
    .replace('  - port: 8443\n', `  - port: ${tlsPort}\n    address: 127.0.0.1\n`)
    .replace('key: pki/gateway.key', `key: { hostPath: ${hostKey('gateway.key')} }`)
    .replace('key: pki/gateway-client.key', `key: { hostPath: ${hostKey('gateway-client.key')} }`)
    .replace('"127.0.0.1:9443"', `"127.0.0.1:${upstreamPort}"`);
  assert.equal((spec.match(/hostPath/g) ?? []).length, 2, 'both keys of the example are given as hostPath');
  writeFileSync(specFile, spec);

  const upstream = await startUpstream({
    label: 'orders',
    port: upstreamPort,
    chainFile: orders.chain,
    keyFile: orders.key,
    clientCaFile: root.cert,
  });
  closeUpstream = upstream.close;
  deployed = join(work, 'gateway-host', 'gateway');
});

after(async () => {
  await closeUpstream?.();
  rmSync(work, { recursive: true, force: true });
});

/** gwctl test says why it did not run nginx -t after a key failed. */
const NOT_RUN = { code: 'test.not-run', path: '$', severity: 'info' };

function testOnHost(): { exitCode: number | null; diagnostics: { code: string; path: string; severity: string }[] } {
  const r = gwctlProcess(['test', deployed, '--spec', specFile, '--format', 'json']);
  const out = JSON.parse(r.stdout) as { diagnostics: { code: string; path: string; severity: string }[] };
  return {
    exitCode: r.exitCode,
    diagnostics: out.diagnostics
      .filter((d) => d.severity !== 'info' || d.code === 'test.not-run')
      .map(({ code, path, severity }) => ({ code, path, severity })),
  };
}

test('hostPath keys: render on a machine without them, deploy the copy, serve mutual TLS with real nginx, gwctl test names each bad key', {
  timeout: 120_000,
}, async (t) => {
  const out = join(work, 'ci-checkout', 'rendered');
  assert.equal(existsSync(hostRoot), false, 'no key exists at its host path while rendering');
  const render = gwctlProcess(['render', specFile, '--out', out, '--test', '--format', 'json']);
  assert.equal(render.exitCode, 0, render.stdout + render.stderr);
  const rendered = JSON.parse(render.stdout) as { test: { standIns: number }; diagnostics: { code: string }[] };
  assert.equal(rendered.test.standIns, 2, 'nginx -t ran with stand-ins for the listener and the client key');
  assert.deepEqual(
    rendered.diagnostics.map((d) => d.code),
    ['key.on-host', 'key.on-host', 'test.stand-in-keys'],
  );
  const conf = readFileSync(join(out, 'nginx.conf'), 'utf8');
  assert.ok(conf.includes(`ssl_certificate_key "${hostKey('gateway.key')}";`));
  assert.ok(conf.includes(`proxy_ssl_certificate_key "${hostKey('gateway-client.key')}";`));
  assert.equal(
    conf.includes(join(work, 'ci-checkout')),
    false,
    'nothing in nginx.conf points into the rendering checkout',
  );

  // The gateway host: DIR copied elsewhere, the keys at their host paths (0600, and 0640 for a group).
  cpSync(out, deployed, { recursive: true });
  rmSync(out, { recursive: true });
  mkdirSync(join(hostRoot, 'etc/gateway/keys'), { recursive: true });
  cpSync(fresh.listener.key, hostKey('gateway.key'));
  chmodSync(hostKey('gateway.key'), 0o600);
  cpSync(fresh.client.key, hostKey('gateway-client.key'));
  chmodSync(hostKey('gateway-client.key'), 0o640);

  assert.deepEqual(testOnHost(), { exitCode: 0, diagnostics: [] });
  const nginx = await startNginx(deployed, gatewayPort);
  try {
    const r = await request(gatewayPort, '/orders/42');
    assert.equal(r.status, 200, `${r.body}\n${nginx.errorLog()}`);
    assert.equal(r.json?.server, 'orders');
    assert.equal(r.json?.clientCertificate, 'gateway-client', 'the upstream saw the client certificate (mutual TLS)');
  } finally {
    await nginx.stop();
  }

  await t.test("a key that is not the certificate's", () => {
    cpSync(fresh.other.key, hostKey('gateway-client.key'));
    chmodSync(hostKey('gateway-client.key'), 0o600);
    assert.deepEqual(testOnHost(), {
      exitCode: 1,
      diagnostics: [
        { code: 'key.mismatch', path: '$.clientCertificates.gateway.key.hostPath', severity: 'error' },
        NOT_RUN,
      ],
    });
    cpSync(fresh.client.key, hostKey('gateway-client.key'));
  });
  await t.test('a key every user can read', () => {
    chmodSync(hostKey('gateway.key'), 0o644);
    assert.deepEqual(testOnHost(), {
      exitCode: 1,
      diagnostics: [
        { code: 'key.readable-by-others', path: '$.listen[1].tls.key.hostPath', severity: 'error' },
        NOT_RUN,
      ],
    });
    chmodSync(hostKey('gateway.key'), 0o600);
  });
  await t.test('a key that is not there', () => {
    rmSync(hostKey('gateway-client.key'));
    assert.deepEqual(testOnHost(), {
      exitCode: 1,
      diagnostics: [
        { code: 'file.missing', path: '$.clientCertificates.gateway.key.hostPath', severity: 'error' },
        NOT_RUN,
      ],
    });
  });
});
