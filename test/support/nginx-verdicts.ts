import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainVerdict } from '../../src/tls/verdict.js';
import { gwctl } from './gwctl.js';
import { startNginx, type RunningNginx } from './nginx.js';
import { request } from './upstream.js';

/** One route of a differential gateway: gwctl's verdict for the upstream behind `/ID/`. */
export interface PredictedCase {
  id: string;
  label: string;
  /** proxy_ssl_name of the upstream. */
  name: string;
  verdict: ChainVerdict;
}

/**
 * Renders a gateway of the given YAML sections with gwctl and starts real nginx on it. `replace`
 * swaps strings in the rendered nginx.conf first: how a test gives nginx a proxy_ssl_name the
 * spec itself refuses (one with a port), to see what nginx does with it.
 */
export async function startDifferentialGateway(
  dir: string,
  port: number,
  sections: { stores: string[]; upstreams: string[]; routes: string[] },
  replace: [string, string][] = [],
): Promise<RunningNginx> {
  writeFileSync(
    join(dir, 'gateway.yaml'),
    `version: 1
runtime: { flavor: nginx }
listen: [{ port: ${port}, address: 127.0.0.1 }]
trustStores:
${sections.stores.join('\n')}
upstreams:
${sections.upstreams.join('\n')}
routes:
${sections.routes.join('\n')}
`,
  );
  const r = await gwctl(['render', 'gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr.slice(0, 2000));
  if (replace.length) {
    const conf = join(dir, 'out', 'nginx.conf');
    let text = readFileSync(conf, 'utf8');
    for (const [from, to] of replace) {
      assert.ok(text.includes(`"${from}"`), `${from} is not in the rendered nginx.conf`);
      text = text.replaceAll(`"${from}"`, JSON.stringify(to));
    }
    writeFileSync(conf, text);
  }
  return startNginx(join(dir, 'out'), port);
}

/**
 * Requests every case's route and compares nginx's status and error-log line with gwctl's
 * verdict. Returns the disagreements and the outcomes the cases covered ('ok', 'handshake', or
 * the verify code).
 */
export async function compareWithNginx(
  cases: PredictedCase[],
  port: number,
  nginx: RunningNginx,
): Promise<{ disagreements: string[]; seen: Set<string>; actual: Map<string, string> }> {
  const statuses = new Map<string, number>();
  for (const c of cases) statuses.set(c.id, (await request(port, `/${c.id}/`)).status);
  const lines = nginx.errorLog().split('\n');
  const logged = (id: string): string | undefined => {
    const line = lines.find(
      (l) =>
        l.includes(`request: "GET /${id}/ HTTP/1.1"`) && /upstream SSL certificate|SSL_do_handshake\(\) failed/.test(l),
    );
    if (line?.includes('SSL_do_handshake() failed')) return 'handshake failure';
    return line?.match(/upstream SSL certificate (verify error: \(\d+:[^)]*\)|does not match "[^"]*")/)?.[1];
  };
  const disagreements: string[] = [];
  const seen = new Set<string>();
  /** What nginx did for each case: its status, then the line it logged. */
  const actual = new Map<string, string>();
  for (const c of cases) {
    const v = c.verdict;
    // Both fail the handshake before verification: a leaf nginx cannot use, a Certificate message over 100 KiB.
    const handshake = v.findings.some(
      (f) => f.code === 'chain.handshake-fails' || f.code === 'chain.cert-list-too-large',
    );
    const expectedLog = handshake
      ? 'handshake failure'
      : v.nginx === null
        ? undefined
        : v.nginx.code === 62
          ? `does not match "${v.nginx.name ?? c.name}"`
          : `verify error: (${v.nginx.code}:${v.nginx.reason})`;
    const expectedStatus = v.ok ? 200 : 502;
    const status = statuses.get(c.id);
    const actualLog = logged(c.id);
    actual.set(c.id, `${status} ${actualLog ?? '(no verify error)'}`);
    if (status !== expectedStatus || actualLog !== expectedLog) {
      disagreements.push(
        `${c.label}: gwctl predicted ${expectedStatus} ${expectedLog ?? '(no verify error)'}, nginx gave ${status} ${actualLog ?? '(no verify error)'}`,
      );
    }
    seen.add(v.ok ? 'ok' : handshake ? 'handshake' : String(v.nginx?.code ?? 'none'));
  }
  return { disagreements, seen, actual };
}
