import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { gwctl } from '../support/gwctl.js';
import { nginxBinary, startNginx } from '../support/nginx.js';
import { makePki, type PkiCert } from '../support/pki.js';
import { freePort } from '../support/ports.js';
import { request } from '../support/upstream.js';

/**
 * runtime.nginxVersion on real nginx: the output rendered for a version before 1.23.4 offers
 * TLSv1.3 to upstreams and clients (nginx's own default there has none), the output for a later
 * version leaves nginx's default, and `gwctl probe SPEC` predicts the handshake the rendered
 * gateway makes. The upstream and the client speak TLSv1.3 only.
 */
let dir: string;
let root: PkiCert;
let listener: PkiCert;
let upstreamPort: number;
let closeUpstream: () => void;

/** The nginx here, as [major, minor, patch]. */
function runningVersion(): number[] {
  const r = spawnSync(nginxBinary(), ['-v'], { encoding: 'utf8' });
  const m = /nginx\/([0-9]+)\.([0-9]+)\.([0-9]+)/.exec(`${r.stdout}${r.stderr}`);
  assert.ok(m, `nginx -v: ${r.stdout}${r.stderr}`);
  return m.slice(1).map(Number);
}
const running = runningVersion();
const runsBefore1234 = running[0] === 1 && (running[1] < 23 || (running[1] === 23 && running[2] < 4));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-nginx-version-'));
  chmodSync(dir, 0o755);
  const pki = await makePki(join(dir, 'pki'));
  root = pki.root('Version Root CA');
  const leaf = pki.leaf(root, { cn: 'api.internal', dns: ['api.internal'] });
  listener = pki.leaf(root, { cn: 'gw.internal', dns: ['gw.internal'] });
  upstreamPort = await freePort();
  const server = createServer(
    { cert: readFileSync(leaf.chain), key: readFileSync(leaf.key), minVersion: 'TLSv1.3' },
    (req, res) => {
      req.resume();
      res.end(`tls13 ${req.url}`);
    },
  );
  await new Promise<void>((r) => server.listen(upstreamPort, '127.0.0.1', r));
  closeUpstream = () => {
    server.closeAllConnections();
    server.close();
  };
});

after(() => closeUpstream?.());

/** Writes a spec targeting `version` (none: undefined) with a plain and a TLS listener. */
async function specFor(version: string | undefined): Promise<{ file: string; plain: number; tls: number }> {
  const plain = await freePort();
  const tls = await freePort();
  const file = `gateway-${version ?? 'none'}.yaml`;
  writeFileSync(
    join(dir, file),
    `version: 1
runtime: { flavor: nginx${version ? `, nginxVersion: "${version}"` : ''} }
listen:
  - { port: ${plain}, address: 127.0.0.1 }
  - { port: ${tls}, address: 127.0.0.1, tls: { certificate: "${listener.chain}", key: "${listener.key}" } }
trustStores: { internal: { certificates: ["${root.cert}"] } }
upstreams:
  api: { servers: ["127.0.0.1:${upstreamPort}"], tls: { trustStore: internal, serverName: api.internal } }
routes: [{ path: /, upstream: api }]
`,
  );
  return { file, plain, tls };
}

/** What a TLSv1.3-only client gets from the gateway's TLS listener: the protocol, or the error. */
function tls13Handshake(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({
      host: '127.0.0.1',
      port,
      servername: 'gw.internal',
      ca: readFileSync(root.cert),
      minVersion: 'TLSv1.3',
    });
    s.once('secureConnect', () => {
      resolve(s.getProtocol() ?? 'none');
      s.end();
    });
    s.once('error', () => resolve('handshake failed'));
  });
}

/** Renders, runs, and sends one request through the plain listener and a handshake to the TLS one. */
async function throughGateway(version: string | undefined) {
  const spec = await specFor(version);
  const out = `out-${version ?? 'none'}`;
  const r = await gwctl(['render', spec.file, '--out', out], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  const nginx = await startNginx(join(dir, out), spec.plain);
  try {
    const upstream = (await request(spec.plain, '/v')).status;
    const listener = await tls13Handshake(spec.tls);
    return { upstream, listener, probe: await gwctl(['probe', spec.file, '--format', 'json'], dir) };
  } finally {
    await nginx.stop();
  }
}

const probeOk = (p: { exitCode: number; stdout: string }) => {
  const { upstreams } = JSON.parse(p.stdout) as { upstreams: { ok: boolean | null; findings: { code: string }[] }[] };
  return {
    exitCode: p.exitCode,
    ok: upstreams.map((u) => u.ok),
    codes: upstreams.flatMap((u) => u.findings.map((f) => f.code)),
  };
};

test('nginxVersion 1.22.1: TLSv1.3 is offered to the upstream and on the listener, and probe agrees', async () => {
  const got = await throughGateway('1.22.1');
  assert.deepEqual(
    { upstream: got.upstream, listener: got.listener, probe: probeOk(got.probe) },
    { upstream: 200, listener: 'TLSv1.3', probe: { exitCode: 0, ok: [true], codes: [] } },
  );
});

test('no nginxVersion: nothing version-dependent is written, the running nginx decides, and probe assumes the pre-1.23.4 default', async (t) => {
  if (!runsBefore1234) return t.skip(`nginx ${running.join('.')} here offers TLSv1.3 by default`);
  const got = await throughGateway(undefined);
  assert.deepEqual(
    { upstream: got.upstream, listener: got.listener, probe: probeOk(got.probe) },
    {
      upstream: 502,
      listener: 'handshake failed',
      probe: { exitCode: 1, ok: [null], codes: ['probe.handshake-alert'] },
    },
  );
});

test('output for 1.25.5 run by an older nginx: its default protocols apply (no TLSv1.3), so the declared version matters', async (t) => {
  if (!runsBefore1234) return t.skip(`nginx ${running.join('.')} here offers TLSv1.3 by default`);
  const got = await throughGateway('1.25.5');
  // probe trusts the declared version (it cannot see which nginx will run the output).
  assert.deepEqual(
    { upstream: got.upstream, listener: got.listener, probe: probeOk(got.probe) },
    { upstream: 502, listener: 'handshake failed', probe: { exitCode: 0, ok: [true], codes: [] } },
  );
});
