import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePem } from '../../src/tls/pem.js';
import { checkClientCertificate } from '../../src/tls/client-certificate.js';
import { gwctl } from '../support/gwctl.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { makePki, type KeySpec, type PkiCert } from '../support/pki.js';
import { request, startUpstream } from '../support/upstream.js';
import { sources } from '../tls/chain/harness.js';

/**
 * Client certificates on real nginx, by key type: gwctl's verdict on each identity against what
 * an upstream requiring client certificates does with it. gwctl refuses to render an identity it
 * predicts will fail, so the gateway is rendered with a good identity per upstream and the files
 * are then overwritten with the identity under test (nginx loads whatever the files hold).
 */
const KEYS: KeySpec[] = ['ec-p256', 'ec-p384', 'ec-p224', 'rsa-2048', 'ed25519'];

let nginx: RunningNginx;
let port: number;
const identities = new Map<KeySpec, PkiCert>();
const closers: (() => Promise<void>)[] = [];

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-client-curve-'));
  const pki = await makePki(join(dir, 'pki'));
  const root = pki.root('Curve Server Root');
  const clientCa = pki.root('Curve Client CA');
  const server = pki.leaf(root, { cn: 'svc.internal', dns: ['svc.internal'] });
  const upstreamPort = await freePort();
  const up = await startUpstream({
    label: 'mtls',
    port: upstreamPort,
    chainFile: server.chain,
    keyFile: server.key,
    clientCaFile: clientCa.cert,
  });
  closers.push(up.close);
  port = await freePort();
  const lines = [
    'version: 1',
    'runtime: { flavor: nginx }',
    `listen: [{ port: ${port}, address: 127.0.0.1 }]`,
    `trustStores: { s: { certificates: ["${root.cert}"] } }`,
    'clientCertificates:',
  ];
  const stand: PkiCert[] = [];
  for (const key of KEYS) {
    identities.set(key, pki.leaf(clientCa, { cn: `client-${key}`, client: true, key }));
    const placeholder = pki.leaf(clientCa, { cn: `placeholder-${key}`, client: true, key: 'ec-p256' });
    stand.push(placeholder);
    lines.push(`  c_${key.replace('-', '_')}: { certificate: "${placeholder.chain}", key: "${placeholder.key}" }`);
  }
  lines.push('upstreams:');
  for (const key of KEYS)
    lines.push(
      `  u_${key.replace('-', '_')}: { servers: ["127.0.0.1:${upstreamPort}"], keepalive: 0, tls: { trustStore: s, serverName: svc.internal, clientCertificate: c_${key.replace('-', '_')}, verifyDepth: 1 } }`,
    );
  lines.push('routes:');
  for (const key of KEYS) lines.push(`  - { path: /${key}/, upstream: u_${key.replace('-', '_')} }`);
  writeFileSync(join(dir, 'gateway.yaml'), `${lines.join('\n')}\n`);
  const r = await gwctl(['render', 'gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  // Swap each placeholder for the identity under test: its key file, and gwctl's copy of its chain.
  const tls = join(dir, 'out', 'tls');
  KEYS.forEach((key, i) => {
    const placeholderChain = readFileSync(stand[i].chain, 'utf8').trim();
    const copy = readdirSync(tls).find((f) => readFileSync(join(tls, f), 'utf8').trim() === placeholderChain);
    assert.ok(copy, `gwctl's copy of the ${key} placeholder chain`);
    copyFileSync(identities.get(key)!.chain, join(tls, copy));
    copyFileSync(identities.get(key)!.key, stand[i].key);
  });
  nginx = await startNginx(join(dir, 'out'), port);
});

after(async () => {
  await nginx?.stop();
  for (const close of closers) await close();
});

test('each client key type: nginx proxies (200) exactly when gwctl finds nothing wrong with the identity', async () => {
  const seen: string[] = [];
  for (const key of KEYS) {
    const id = identities.get(key)!;
    const keys = parsePem(readFileSync(id.key), 'key');
    assert.ok(!('problem' in keys));
    const verdict = checkClientCertificate({
      certificates: sources(id.chain),
      keys: keys.blocks,
      keyFile: id.key,
      at: new Date(),
    });
    const r = await request(port, `/${key}/`);
    seen.push(`${key}: gwctl ${verdict.ok ? 'ok' : verdict.findings.map((f) => f.code).join(',')}, nginx ${r.status}`);
    assert.equal(r.status, verdict.ok ? 200 : 502, seen.at(-1));
    if (r.status === 200) assert.equal(r.json?.clientCertificate, `client-${key}`);
  }
  assert.ok(
    seen.some((s) => s.includes('502')) && seen.some((s) => s.includes('200')),
    `both outcomes covered: ${seen.join('; ')}`,
  );
});
