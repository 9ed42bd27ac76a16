import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyChain } from '../../src/tls/engine.js';
import type { ChainVerdict } from '../../src/tls/verdict.js';
import { gwctl } from '../support/gwctl.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
import { makePki } from '../support/pki.js';
import { freePort } from '../support/ports.js';
import { request, startUpstream } from '../support/upstream.js';
import { crlSources, sources } from '../tls/chain/harness.js';
import { buildCrlScenarios } from '../tls/chain/crl-scenarios.js';

/**
 * proxy_ssl_crl against real nginx: each CRL scenario gets a trust store with a `crl`, and an
 * upstream (at verifyDepth 0 and 1) proxying to a real TLS server serving its chain. gwctl renders
 * the gateway; what nginx answers and logs for each route must be what gwctl predicted.
 */
const DEPTHS = [0, 1];
interface Case { id: string; label: string; verdict: ChainVerdict }

let nginx: RunningNginx | undefined;
let gatewayPort: number;
const cases: Case[] = [];
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
      upstreams.push(`  ${id}:\n    servers: ["127.0.0.1:${port}"]\n    keepalive: 0\n    tls: { trustStore: s${i}, serverName: svc.internal, verifyDepth: ${depth} }`);
      routes.push(`  - { path: /${id}/, upstream: ${id} }`);
      const verdict = verifyChain({ presented: sources(sc.chain), trusted: sources(sc.trusted), crls: crlSources(sc.crl), depth, name: 'svc.internal', at: new Date() });
      cases.push({ id, label: `${sc.name} (depth ${depth})`, verdict });
    }
  }
  writeFileSync(join(dir, 'gateway.yaml'), `version: 1
runtime: { flavor: nginx }
listen: [{ port: ${gatewayPort}, address: 127.0.0.1 }]
trustStores:
${stores.join('\n')}
upstreams:
${upstreams.join('\n')}
routes:
${routes.join('\n')}
`);
  const r = await gwctl(['render', 'gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr.slice(0, 2000));
  nginx = await startNginx(join(dir, 'out'), gatewayPort);
});

after(async () => {
  await nginx?.stop();
  for (const close of closers) await close();
});

test('with proxy_ssl_crl, nginx does exactly what gwctl predicted for every CRL scenario', async (t) => {
  const statuses = new Map<string, number>();
  for (const c of cases) statuses.set(c.id, (await request(gatewayPort, `/${c.id}/`)).status);
  const log = nginx!.errorLog();
  const logged = (id: string): string | undefined => {
    const line = log.split('\n').find((l) => l.includes(`request: "GET /${id}/ HTTP/1.1"`) && /upstream SSL certificate|SSL_do_handshake\(\) failed/.test(l));
    if (line?.includes('SSL_do_handshake() failed')) return 'handshake failure';
    return line?.match(/upstream SSL certificate (verify error: \(\d+:[^)]*\)|does not match "[^"]*")/)?.[1];
  };
  const disagreements: string[] = [];
  const seen = new Set<string>();
  for (const c of cases) {
    const v = c.verdict;
    const expectedLog = v.nginx === null ? undefined : v.nginx.code === 62 ? 'does not match "svc.internal"' : `verify error: (${v.nginx.code}:${v.nginx.reason})`;
    const expectedStatus = v.ok ? 200 : 502;
    const status = statuses.get(c.id);
    const actualLog = logged(c.id);
    if (status !== expectedStatus || actualLog !== expectedLog) {
      disagreements.push(`${c.label}: gwctl predicted ${expectedStatus} ${expectedLog ?? '(no verify error)'}, nginx gave ${status} ${actualLog ?? '(no verify error)'}`);
    }
    seen.add(v.ok ? 'ok' : String(v.nginx?.code));
  }
  t.diagnostic(`nginx CRL differential: ${cases.length - disagreements.length}/${cases.length} agree; outcomes covered: ${[...seen].sort().join(', ')}`);
  assert.deepEqual(disagreements, []);
  for (const code of ['ok', '3', '8', '10', '11', '12', '23', '35', '36']) assert.ok(seen.has(code), `no case produced ${code}`);
});
