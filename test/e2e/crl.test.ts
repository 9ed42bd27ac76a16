import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyChain } from '../../src/tls/chain/index.js';
import type { RunningNginx } from '../support/nginx.js';
import { compareWithNginx, startDifferentialGateway, type PredictedCase } from '../support/nginx-verdicts.js';
import { makePki } from '../support/pki.js';
import { freePort } from '../support/ports.js';
import { startUpstream } from '../support/upstream.js';
import { crlSources, sources } from '../tls/chain/harness.js';
import { buildCrlScenarios } from '../tls/chain/crl-scenarios.js';

/**
 * proxy_ssl_crl against real nginx: each CRL scenario gets a trust store with a `crl`, and an
 * upstream (at verifyDepth 0 and 1) proxying to a real TLS server serving its chain. gwctl renders
 * the gateway; what nginx answers and logs for each route must be what gwctl predicted.
 */
const DEPTHS = [0, 1];

let nginx: RunningNginx | undefined;
let gatewayPort: number;
const cases: PredictedCase[] = [];
const closers: (() => Promise<void>)[] = [];

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-e2e-crl-'));
  const { scenarios } = buildCrlScenarios(await makePki(join(dir, 'pki')));
  gatewayPort = await freePort();
  const stores: string[] = [];
  const upstreams: string[] = [];
  const routes: string[] = [];
  for (const [i, sc] of scenarios.entries()) {
    const port = await freePort();
    const up = await startUpstream({ label: sc.name, port, chainFile: sc.chain, keyFile: sc.key });
    closers.push(up.close);
    stores.push(`  s${i}: { certificates: [${JSON.stringify(sc.trusted)}], crl: ${JSON.stringify(sc.crl)} }`);
    for (const depth of DEPTHS) {
      const id = `u${i}_d${depth}`;
      upstreams.push(
        `  ${id}:\n    servers: ["127.0.0.1:${port}"]\n    keepalive: 0\n    tls: { trustStore: s${i}, serverName: svc.internal, verifyDepth: ${depth} }`,
      );
      routes.push(`  - { path: /${id}/, upstream: ${id} }`);
      const verdict = verifyChain({
        presented: sources(sc.chain),
        trusted: sources(sc.trusted),
        crls: crlSources(sc.crl),
        depth,
        name: 'svc.internal',
        at: new Date(),
      });
      cases.push({ id, label: `${sc.name} (depth ${depth})`, name: 'svc.internal', verdict });
    }
  }
  nginx = await startDifferentialGateway(dir, gatewayPort, { stores, upstreams, routes });
});

after(async () => {
  await nginx?.stop();
  for (const close of closers) await close();
});

test('with proxy_ssl_crl, nginx does exactly what gwctl predicted for every CRL scenario', async (t) => {
  const { disagreements, seen } = await compareWithNginx(cases, gatewayPort, nginx!);
  t.diagnostic(
    `nginx CRL differential: ${cases.length - disagreements.length}/${cases.length} agree; outcomes covered: ${[...seen].sort().join(', ')}`,
  );
  assert.deepEqual(disagreements, []);
  for (const code of ['ok', '3', '8', '10', '11', '12', '23', '35', '36'])
    assert.ok(seen.has(code), `no case produced ${code}`);
});
