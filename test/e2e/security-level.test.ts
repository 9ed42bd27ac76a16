import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningNginx } from '../support/nginx.js';
import { nginxTest } from '../support/nginx.js';
import { compareWithNginx, startDifferentialGateway, type PredictedCase } from '../support/nginx-verdicts.js';
import { makePki, type CertOptions, type KeySpec, type PkiCert } from '../support/pki.js';
import { freePort } from '../support/ports.js';
import { startUpstream } from '../support/upstream.js';
import { gwctl } from '../support/gwctl.js';
import type { ChainVerdict } from '../../src/tls/verdict.js';

/**
 * `@SECLEVEL=N` in an upstream's ciphers against real nginx, levels 0 to 5 and none (Debian's
 * default, 2). Each chain is chosen to sit at one level's boundary: RSA 1024 (80 bits), RSA 2048
 * (112), RSA 3072 and EC P-256 (128), P-384 (192), P-521 (256), SHA-1 (63), SHA-256 (128) and
 * SHA-384 (192) signatures, a CA key weaker than its leaf. Every (chain, level) is a spec upstream
 * of one gateway; gwctl verify-chain's verdict for it must be what nginx does, in both directions
 * (a level that refuses what the default accepts, and @SECLEVEL=0/1 accepting what it refuses).
 */
const LEVELS: (number | null)[] = [null, 0, 1, 2, 3, 4, 5];

interface Scenario {
  id: string;
  root: KeySpec;
  leaf: KeySpec;
  md?: CertOptions['md'];
  protocols?: string[];
}

const SCENARIOS: Scenario[] = [
  { id: 'rsa1024', root: 'rsa-2048', leaf: 'rsa-1024' },
  { id: 'sha1', root: 'rsa-2048', leaf: 'rsa-2048', md: 'sha1' },
  { id: 'rsa2048', root: 'rsa-2048', leaf: 'rsa-2048' },
  { id: 'rsa3072', root: 'rsa-3072', leaf: 'rsa-3072' },
  { id: 'p256', root: 'ec-p256', leaf: 'ec-p256' },
  { id: 'p256tls12', root: 'ec-p256', leaf: 'ec-p256', protocols: ['TLSv1.2'] },
  { id: 'p384', root: 'ec-p384', leaf: 'ec-p384', md: 'sha384' },
  { id: 'p384sha256', root: 'ec-p384', leaf: 'ec-p384', md: 'sha256' },
  { id: 'p521', root: 'ec-p521', leaf: 'ec-p521', md: 'sha512' },
  { id: 'rsa2048ca', root: 'rsa-2048', leaf: 'ec-p384', md: 'sha384' },
];

const ciphersOf = (level: number | null) => (level === null ? undefined : `DEFAULT:@SECLEVEL=${level}`);
const levelId = (level: number | null) => (level === null ? 'dflt' : `l${level}`);

let nginx: RunningNginx | undefined;
let dir: string;
let gatewayPort: number;
let pkiDir: string;
const closers: (() => Promise<void>)[] = [];
let pkiRef: Awaited<ReturnType<typeof makePki>>;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-e2e-seclevel-'));
  pkiDir = join(dir, 'pki');
  const pki = await makePki(pkiDir);
  pkiRef = pki;
  const stores: string[] = [];
  const plain: string[] = [];
  const checked: string[] = [];
  const routes: string[] = [];
  for (const sc of SCENARIOS) {
    const root = pki.root(`${sc.id} Root`, { key: sc.root, md: sc.md === 'sha1' ? 'sha256' : sc.md });
    const leaf = pki.leaf(root, { cn: `${sc.id}.internal`, dns: ['svc.internal'], key: sc.leaf, md: sc.md });
    const port = await freePort();
    const up = await startUpstream({
      label: sc.id,
      port,
      chainFile: leaf.chain,
      keyFile: leaf.key,
      anySecurityLevel: true,
    });
    closers.push(up.close);
    stores.push(`  ${sc.id}: { certificates: [${JSON.stringify(root.cert)}] }`);
    for (const level of LEVELS) {
      const id = `${sc.id}_${levelId(level)}`;
      const ciphers = ciphersOf(level);
      const tls = `trustStore: ${sc.id}, serverName: svc.internal, protocols: [${(sc.protocols ?? ['TLSv1.2', 'TLSv1.3']).join(', ')}]${ciphers ? `, ciphers: "${ciphers}"` : ''}`;
      const head = `  ${id}:\n    servers: ["127.0.0.1:${port}"]\n    keepalive: 0\n    tls: { ${tls}`;
      plain.push(`${head} }`);
      checked.push(`${head}, presentedChain: ${JSON.stringify(leaf.chain)} }`);
      routes.push(`  - { path: /${id}/, upstream: ${id} }`);
    }
  }
  gatewayPort = await freePort();
  nginx = await startDifferentialGateway(dir, gatewayPort, { stores, upstreams: plain, routes });
  // The same upstreams with their presentedChain, for verify-chain (render refuses failing chains).
  let spec = readFileSync(join(dir, 'gateway.yaml'), 'utf8');
  plain.forEach((u, i) => {
    spec = spec.replace(u, checked[i]);
  });
  writeFileSync(join(dir, 'check.yaml'), spec);
});

after(async () => {
  await nginx?.stop();
  for (const close of closers) await close();
});

test('at every level, 0 to 5 and the default, nginx does what gwctl verify-chain predicts', async (t) => {
  const r = await gwctl(['verify-chain', 'check.yaml', '--format', 'json'], dir);
  const report = JSON.parse(r.stdout) as {
    upstreams: { name: string; ok: boolean; nginx: ChainVerdict['nginx']; findings: ChainVerdict['findings'] }[];
  };
  const predicted: PredictedCase[] = report.upstreams.map((u) => ({
    id: u.name,
    label: u.name,
    name: 'svc.internal',
    verdict: { ok: u.ok, nginx: u.nginx, chain: [], requiredDepth: null, findings: u.findings },
  }));
  const { disagreements } = await compareWithNginx(predicted, gatewayPort, nginx!);
  assert.deepEqual(disagreements, []);
  // The outcome per scenario, level by level (default, 0..5): ok, handshake, or the verify error.
  const outcome = (u: (typeof report.upstreams)[number]) =>
    u.ok ? 'ok' : u.findings.some((f) => f.code === 'chain.handshake-fails') ? 'hs' : String(u.nginx?.code ?? '?');
  const table = Object.fromEntries(
    SCENARIOS.map((sc) => [
      sc.id,
      LEVELS.map((l) => outcome(report.upstreams.find((u) => u.name === `${sc.id}_${levelId(l)}`)!)).join(' '),
    ]),
  );
  t.diagnostic(JSON.stringify(table));
  assert.deepEqual(table, {
    //           dflt 0  1  2  3  4  5
    rsa1024: '66 ok ok 66 67 67 hs', // 5: a 1024-bit key is too short for RSA-PSS with SHA-512
    sha1: '68 ok 68 68 67 67 67',
    rsa2048: 'ok ok ok ok 67 67 67',
    rsa3072: 'ok ok ok ok ok 67 67',
    p256: 'ok ok ok ok ok hs hs',
    p256tls12: 'ok ok ok ok ok hs hs', // TLS 1.2 too: nginx no longer offers P-256 as a group
    p384: 'ok ok ok ok ok ok hs',
    p384sha256: 'ok ok ok ok ok 68 hs',
    p521: 'ok ok ok ok ok ok ok',
    rsa2048ca: 'ok ok ok ok 67 67 hs',
  });
});

test('the client certificate loads at the level of the ciphers: nginx -t and gwctl verify-chain agree', async () => {
  const pki = pkiRef;
  const root = pki.root('Client Root', { key: 'rsa-2048' });
  const certs: Record<string, PkiCert> = {
    rsa1024: pki.leaf(root, { cn: 'client-1024', key: 'rsa-1024', client: true }),
    sha1: pki.leaf(root, { cn: 'client-sha1', key: 'rsa-2048', md: 'sha1', client: true }),
    rsa2048: pki.leaf(root, { cn: 'client-2048', key: 'rsa-2048', client: true }),
    p256: pki.leaf(root, { cn: 'client-p256', key: 'ec-p256', client: true }),
  };
  const spec = (cert: PkiCert, ciphers: string | undefined) => `version: 1
runtime: { flavor: nginx }
listen: [{ port: ${gatewayPort + 1}, address: 127.0.0.1 }]
trustStores: { root: { certificates: [${JSON.stringify(root.cert)}] } }
clientCertificates: { me: { certificate: ${JSON.stringify(cert.chain)}, key: ${JSON.stringify(cert.key)} } }
upstreams:
  up:
    servers: ["127.0.0.1:9"]
    tls: { trustStore: root, serverName: svc.internal, clientCertificate: me${ciphers ? `, ciphers: "${ciphers}"` : ''} }
routes: [{ path: /, upstream: up }]
`;
  const results: Record<string, string> = {};
  for (const [name, cert] of Object.entries(certs)) {
    const d = join(dir, `client-${name}`);
    mkdirSync(d, { recursive: true });
    // nginx's word: render once at level 0 (which loads anything), then give nginx each level.
    writeFileSync(join(d, 'render.yaml'), spec(cert, 'DEFAULT:@SECLEVEL=0'));
    const r = await gwctl(['render', 'render.yaml', '--out', 'out'], d);
    assert.equal(r.exitCode, 0, r.stderr);
    const conf = join(d, 'out', 'nginx.conf');
    const rendered = readFileSync(conf, 'utf8');
    const line = '            proxy_ssl_ciphers "DEFAULT:@SECLEVEL=0";\n';
    assert.ok(rendered.includes(line));
    const row: string[] = [];
    for (const level of LEVELS) {
      const ciphers = ciphersOf(level);
      writeFileSync(conf, rendered.replace(line, ciphers ? `            proxy_ssl_ciphers "${ciphers}";\n` : ''));
      const n = nginxTest(join(d, 'out'));
      const nginxSays = n.ok ? 'loads' : (/(ee key too small|ca md too weak)/.exec(n.output)?.[1] ?? n.output);
      // gwctl's word for the spec at this level.
      writeFileSync(join(d, 'gateway.yaml'), spec(cert, ciphers));
      const v = await gwctl(['verify-chain', 'gateway.yaml', '--format', 'json'], d);
      const codes = (JSON.parse(v.stdout).diagnostics as { code: string }[])
        .map((x) => x.code)
        .filter((c) => c.startsWith('client.'));
      row.push(`${nginxSays}:${codes.join(',') || 'none'}`);
    }
    results[name] = row.join(' | ');
  }
  const L = 'loads:none';
  const EE = 'ee key too small:client.key-too-small';
  const MD = 'ca md too weak:client.weak-signature';
  // nginx names the first problem; gwctl lists each (the key first; SHA-256 is 128 bits, weak at 4 and 5).
  const BOTH = 'ee key too small:client.key-too-small,client.weak-signature';
  //                   dflt 0  1  2  3  4  5
  assert.deepEqual(results, {
    rsa1024: [EE, L, L, EE, EE, BOTH, BOTH].join(' | '),
    sha1: [MD, L, MD, MD, BOTH, BOTH, BOTH].join(' | '),
    rsa2048: [L, L, L, L, EE, BOTH, BOTH].join(' | '),
    p256: [L, L, L, L, L, BOTH, BOTH].join(' | '),
  });
});
