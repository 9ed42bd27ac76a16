import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { verifyChain } from '../../src/tls/chain/index.js';
import type { RunningNginx } from '../support/nginx.js';
import { compareWithNginx, startDifferentialGateway, type PredictedCase } from '../support/nginx-verdicts.js';
import { freePort } from '../support/ports.js';
import { startUpstream } from '../support/upstream.js';
import { sources } from '../tls/chain/harness.js';
import { gwctl } from '../support/gwctl.js';
import { buildScenarios } from '../tls/chain/scenarios.js';

/**
 * gwctl's prediction against real nginx, for every scenario of the differential matrix that a
 * TLS server can serve: each (scenario, verifyDepth, serverName) becomes its own spec upstream
 * in one rendered gateway, proxying to a real TLS server that serves the scenario's chain. What
 * nginx answers and logs for each route must be what gwctl predicted.
 */
const DEPTHS = [0, 1, 2, 3];

let nginx: RunningNginx | undefined;
let gatewayPort: number;
let dir: string;
const cases: PredictedCase[] = [];
const unserved: string[] = [];
const closers: (() => Promise<void>)[] = [];

before(async () => {
  const { scenarios } = await buildScenarios();
  dir = mkdtempSync(join(tmpdir(), 'gwctl-e2e-diff-'));
  gatewayPort = await freePort();
  const stores: string[] = [];
  const upstreams: string[] = [];
  const routes: string[] = [];
  const replace: [string, string][] = [];
  for (const [i, sc] of scenarios.entries()) {
    if (!sc.key) continue;
    const port = await freePort();
    try {
      const up = await startUpstream({
        label: sc.name,
        port,
        chainFile: sc.chain,
        keyFile: sc.key,
        anySecurityLevel: true,
      });
      closers.push(up.close);
    } catch {
      unserved.push(sc.name); // node's TLS server refuses some material (e.g. keys below its security level)
      continue;
    }
    stores.push(`  s${i}: { certificates: [${JSON.stringify(sc.trusted)}] }`);
    const names = [...new Set(['svc.internal', ...sc.names])].filter(
      (n): n is string => n !== undefined && isIP(n.replace(/\.$/, '')) === 0,
    );
    for (const depth of DEPTHS) {
      for (const [k, name] of names.entries()) {
        const id = `u${i}_d${depth}_n${k}`;
        // The spec refuses names with a port: render a placeholder, then give nginx the real name.
        const specName = name.includes(':') ? `${id.replace(/_/g, '-')}.port-cut.invalid` : name;
        if (specName !== name) replace.push([specName, name]);
        upstreams.push(
          `  ${id}:\n    servers: ["127.0.0.1:${port}"]\n    keepalive: 0\n    tls: { trustStore: s${i}, serverName: ${JSON.stringify(specName)}, verifyDepth: ${depth} }`,
        );
        routes.push(`  - { path: /${id}/, upstream: ${id} }`);
        const verdict = verifyChain({
          presented: sources(sc.chain),
          trusted: sources(sc.trusted),
          depth,
          name,
          at: new Date(),
        });
        cases.push({ id, label: `${sc.name} (depth ${depth}, name ${name})`, verdict, name });
      }
    }
  }
  nginx = await startDifferentialGateway(dir, gatewayPort, { stores, upstreams, routes }, replace);
});

after(async () => {
  await nginx?.stop();
  for (const close of closers) await close();
});

test('for every served scenario, depth and name, nginx does exactly what gwctl predicted', async (t) => {
  const { disagreements, seen } = await compareWithNginx(cases, gatewayPort, nginx!);
  t.diagnostic(
    `nginx differential: ${cases.length - disagreements.length}/${cases.length} agree; outcomes covered: ${[...seen].sort().join(', ')}; not servable by node's TLS server: ${unserved.join('; ') || 'none'}`,
  );
  assert.deepEqual(disagreements, []);
  // The matrix must really exercise nginx's failure modes, not only successes.
  for (const code of ['ok', 'handshake', '2', '7', '10', '18', '20', '21', '46', '62', '66', '67', '68'])
    assert.ok(seen.has(code), `no case produced ${code}`);
});

test('gwctl explain reads every line nginx logged here: the verify code (or handshake failure) and the upstream it came from', async () => {
  // Runs after the comparison above: nginx's error log now holds one line per failing route.
  const r = await gwctl(
    ['explain', '--log', join(dir, 'out', 'logs', 'error.log'), '--spec', 'gateway.yaml', '--format', 'json'],
    dir,
  );
  assert.equal(r.exitCode, 0, r.stderr);
  const explained = JSON.parse(r.stdout).explanations as {
    upstream: string | null;
    kind: string;
    nginx: { code: number } | null;
  }[];
  const byUpstream = new Map(explained.map((e) => [e.upstream, e]));
  const missed: string[] = [];
  const codes = new Set<string>();
  for (const c of cases) {
    if (c.verdict.ok) continue;
    const handshake = c.verdict.findings.some((f) => f.code === 'chain.handshake-fails');
    const e = byUpstream.get(c.id);
    const got = e ? (e.nginx ? String(e.nginx.code) : e.kind) : 'nothing';
    const want = handshake ? 'handshake-alert' : String(c.verdict.nginx?.code);
    if (got !== want && !(handshake && got === 'handshake-failed'))
      missed.push(`${c.label}: explain gave ${got}, nginx logged ${want}`);
    codes.add(got);
  }
  assert.deepEqual(missed, []);
  for (const code of ['2', '7', '10', '18', '20', '21', '62', '66', '67', '68']) assert.ok(codes.has(code), code);
});
