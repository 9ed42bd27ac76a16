import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { RunningNginx } from '../support/nginx.js';
import { compareWithNginx, startDifferentialGateway, type PredictedCase } from '../support/nginx-verdicts.js';
import { makePki, type Pki, type PkiCert } from '../support/pki.js';
import { freePort } from '../support/ports.js';
import { startUpstream } from '../support/upstream.js';
import { gwctl } from '../support/gwctl.js';
import type { ChainVerdict } from '../../src/tls/verdict.js';

/**
 * OpenSSL's client refuses a Certificate message whose body is over 102400 bytes (100 KiB,
 * SSL_MAX_CERT_LIST_DEFAULT). Real upstreams serve a leaf (padded with a private extension to
 * the byte) and its intermediate so that the message body is exactly 102400 and 102401 bytes, in
 * TLS 1.2 (3-byte list length, 3 bytes per certificate) and TLS 1.3 (1-byte context length,
 * 3-byte list length, 3 + 2 bytes per certificate). nginx must answer 200 at 102400 and 502 at
 * 102401, and gwctl's verify-chain and probe must say the same.
 */
const LIMIT = 102400;
const PAD_OID = '1.3.6.1.4.1.55555.1';

let nginx: RunningNginx | undefined;
let dir: string;
let gatewayPort: number;
let root: PkiCert;
const closers: (() => Promise<void>)[] = [];
const servers = new Map<string, { port: number; body12: number; body13: number }>();
const cases: { id: string; server: string; protocols: string[]; body: number }[] = [];

const derLength = (pemFile: string) => new X509Certificate(readFileSync(pemFile)).raw.length;

function paddedLeaf(pki: Pki, issuer: PkiCert, cn: string, pad: number): PkiCert {
  return pki.leaf(issuer, {
    cn, // the file name; every leaf has the same subject, so only the padding changes its size
    subject: '/CN=big.internal',
    dns: ['big.internal'],
    extraExtensions: [`${PAD_OID}=ASN1:UTF8String:${'A'.repeat(pad)}`],
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-e2e-certlist-'));
  const pki = await makePki(join(dir, 'pki'));
  // RSA signers: fixed-length signatures, so a certificate's size is its padding plus a constant.
  root = pki.root('Root CA', { key: 'rsa-2048' });
  const int = pki.intermediate(root, 'Issuing CA', { key: 'rsa-2048' });
  const intLength = derLength(int.cert);
  const probe = paddedLeaf(pki, int, 'calibration', 90_000);
  const overhead = derLength(probe.cert) - 90_000; // lengths are 3-byte DER lengths from 65536 up
  // Leaf sizes giving a Certificate message body of exactly `body` bytes.
  const leafFor = (body: number, tls13: boolean) => body - (tls13 ? 4 + 5 + 5 : 3 + 3 + 3) - intLength;
  const targets = [
    { server: 'tls12-at-limit', leaf: leafFor(LIMIT, false) },
    { server: 'tls12-over', leaf: leafFor(LIMIT + 1, false) },
    { server: 'tls13-at-limit', leaf: leafFor(LIMIT, true) },
    { server: 'tls13-over', leaf: leafFor(LIMIT + 1, true) },
  ];
  for (const t of targets) {
    const leaf = paddedLeaf(pki, int, t.server, t.leaf - overhead);
    assert.equal(derLength(leaf.cert), t.leaf, `${t.server}: the padded leaf has the planned size`);
    const port = await freePort();
    const up = await startUpstream({ label: t.server, port, chainFile: leaf.chain, keyFile: leaf.key });
    closers.push(up.close);
    servers.set(t.server, {
      port,
      body12: 3 + (3 + t.leaf) + (3 + intLength),
      body13: 4 + (5 + t.leaf) + (5 + intLength),
    });
  }
  const route = (server: string, protocols: string[]) => {
    const s = servers.get(server)!;
    cases.push({
      id: `${server}-${protocols.join('-').replace(/\./g, '')}`.replace(/[^a-z0-9-]/gi, '-'),
      server,
      protocols,
      body: protocols.includes('TLSv1.3') ? s.body13 : s.body12,
    });
  };
  route('tls12-at-limit', ['TLSv1.2']);
  route('tls12-over', ['TLSv1.2']);
  route('tls13-at-limit', ['TLSv1.3']);
  route('tls13-over', ['TLSv1.3']);
  route('tls13-over', ['TLSv1.2']); // the same chain fits the TLS 1.2 message (2 bytes per certificate + 1 less)
  gatewayPort = await freePort();
  // render refuses a presentedChain that fails, so nginx gets the gateway without them and
  // verify-chain checks the same upstreams with them (check.yaml).
  const sections = (withChain: boolean) => ({
    stores: [`  root: { certificates: [${JSON.stringify(root.cert)}] }`],
    upstreams: cases.map((c) => {
      const chain = withChain ? `, presentedChain: ${JSON.stringify(join(dir, 'pki', `${c.server}.chain.pem`))}` : '';
      return `  ${c.id}:\n    servers: ["127.0.0.1:${servers.get(c.server)!.port}"]\n    keepalive: 0\n    tls: { trustStore: root, serverName: big.internal, protocols: [${c.protocols.join(', ')}]${chain} }`;
    }),
    routes: cases.map((c) => `  - { path: /${c.id}/, upstream: ${c.id} }`),
  });
  const plain = sections(false);
  nginx = await startDifferentialGateway(dir, gatewayPort, plain);
  let spec = readFileSync(join(dir, 'gateway.yaml'), 'utf8');
  sections(true).upstreams.forEach((u, i) => {
    spec = spec.replace(plain.upstreams[i], u);
  });
  writeFileSync(join(dir, 'check.yaml'), spec);
});

after(async () => {
  await nginx?.stop();
  for (const close of closers) await close();
});

test('the served message sizes are the ones planned: 102400 and 102401 bytes in each TLS version', () => {
  assert.deepEqual(
    cases.map((c) => [c.id, c.body]),
    [
      ['tls12-at-limit-TLSv12', LIMIT],
      ['tls12-over-TLSv12', LIMIT + 1],
      ['tls13-at-limit-TLSv13', LIMIT],
      ['tls13-over-TLSv13', LIMIT + 1],
      ['tls13-over-TLSv12', LIMIT + 1 - 5],
    ],
  );
});

test('nginx answers 200 up to 102400 bytes and 502 from 102401 on, and gwctl verify-chain predicts each', async () => {
  const r = await gwctl(['verify-chain', 'check.yaml', '--format', 'json'], dir);
  const report = JSON.parse(r.stdout) as {
    upstreams: { name: string; ok: boolean; nginx: ChainVerdict['nginx']; findings: { code: string }[] }[];
  };
  const predicted: PredictedCase[] = report.upstreams.map((u) => ({
    id: u.name,
    label: u.name,
    name: 'big.internal',
    verdict: { ok: u.ok, nginx: u.nginx, chain: [], requiredDepth: null, findings: u.findings as never },
  }));
  assert.deepEqual(
    report.upstreams.map((u) => [u.name, u.ok, u.findings.map((f) => f.code)]),
    [
      ['tls12-at-limit-TLSv12', true, []],
      ['tls12-over-TLSv12', false, ['chain.cert-list-too-large']],
      ['tls13-at-limit-TLSv13', true, []],
      ['tls13-over-TLSv13', false, ['chain.cert-list-too-large']],
      ['tls13-over-TLSv12', true, []],
    ],
  );
  assert.equal(r.exitCode, 1);
  const { disagreements } = await compareWithNginx(predicted, gatewayPort, nginx!);
  assert.deepEqual(disagreements, []);
  // ...and the handshake failed for the reason gwctl gave.
  const log = nginx!.errorLog();
  for (const id of ['tls12-over-TLSv12', 'tls13-over-TLSv13'])
    assert.match(log, new RegExp(`excessive message size[^\\n]*request: "GET /${id}/`));
  // gwctl explain reads those log lines for what they are.
  const ex = await gwctl(
    ['explain', '--log', join(dir, 'out', 'logs', 'error.log'), '--spec', 'gateway.yaml', '--format', 'json'],
    dir,
  );
  const explained = (JSON.parse(ex.stdout).explanations as { upstream: string | null; cause: string }[])
    .filter((e) => /102400 bytes/.test(e.cause))
    .map((e) => e.upstream)
    .sort();
  assert.deepEqual(explained, ['tls12-over-TLSv12', 'tls13-over-TLSv13']);
  const message = report.upstreams[1].findings[0] as unknown as { message: string };
  assert.match(message.message, /is 102401 bytes in TLS 1\.2, over the 102400 bytes/);
});

test('gwctl probe: at the limit it reads and verifies the chain, one byte over it reports the limit', async () => {
  const at = servers.get('tls13-at-limit')!;
  const over = servers.get('tls13-over')!;
  const ok = await gwctl(
    ['probe', `127.0.0.1:${at.port}`, '--server-name', 'big.internal', '--ca', root.cert, '--format', 'json'],
    dir,
  );
  const okReport = JSON.parse(ok.stdout).upstreams[0];
  assert.deepEqual([ok.exitCode, okReport.ok, okReport.findings.map((f: { code: string }) => f.code)], [0, true, []]);
  const bad = await gwctl(
    ['probe', `127.0.0.1:${over.port}`, '--server-name', 'big.internal', '--ca', root.cert, '--format', 'json'],
    dir,
  );
  const badReport = JSON.parse(bad.stdout).upstreams[0];
  assert.equal(bad.exitCode, 1);
  assert.deepEqual(
    badReport.findings.map((f: { code: string }) => f.code),
    ['chain.cert-list-too-large'],
  );
});
