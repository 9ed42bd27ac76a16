import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePem } from '../../src/tls/pem.js';
import { gwctl } from '../support/gwctl.js';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startMtlsUpstream, type RunningNginx } from '../support/nginx.js';
import { makePki, type PkiCert } from '../support/pki.js';
import { freePort, waitForPort } from '../support/ports.js';
import { startUpstream } from '../support/upstream.js';

/**
 * gwctl probe against real TLS servers on loopback: node's https (served chains of one and two
 * intermediates, a chain out of order, a leaf alone), openssl s_server and nginx demanding a
 * client certificate, a plain http port, a closed port and a silent one.
 */

let dir: string;
let root: PkiCert;
let int1: PkiCert;
let int2: PkiCert;
let leafOne: PkiCert;
let leafTwo: PkiCert;
let clientId: PkiCert;
const port: Record<string, number> = {};
const closers: (() => Promise<void> | void)[] = [];
let outOfOrder: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-probe-'));
  const pki = await makePki(join(dir, 'pki'));
  root = pki.root('Probe Root');
  int1 = pki.intermediate(root, 'Probe Int One');
  int2 = pki.intermediate(int1, 'Probe Int Two');
  leafOne = pki.leaf(int1, { cn: 'one.internal', dns: ['one.internal'] });
  leafTwo = pki.leaf(int2, { cn: 'two.internal', dns: ['two.internal'] });
  clientId = pki.leaf(root, { cn: 'gateway', client: true });
  // Served as leaf, Int One, Int Two: out of order (a chain-rebuilding client would hide it).
  outOfOrder = pki.bundle('two-out-of-order.pem', [leafTwo, int1, int2]);
  for (const name of ['one', 'two', 'oneAlone', 'outOfOrder', 'http', 'closed', 'silent', 'sServer', 'nginxMtls'])
    port[name] = await freePort();
  const servers = [
    await startUpstream({ label: 'one', port: port.one, chainFile: leafOne.chain, keyFile: leafOne.key }),
    await startUpstream({ label: 'two', port: port.two, chainFile: leafTwo.chain, keyFile: leafTwo.key }),
    await startUpstream({ label: 'alone', port: port.oneAlone, chainFile: leafOne.cert, keyFile: leafOne.key }),
    await startUpstream({ label: 'ooo', port: port.outOfOrder, chainFile: outOfOrder, keyFile: leafTwo.key }),
    await startUpstream({ label: 'http', port: port.http }),
  ];
  for (const s of servers) closers.push(() => s.close());
  // Accepts TCP and never says a word.
  const held = new Set<Socket>();
  const silent: Server = createServer((socket) => {
    held.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => silent.listen(port.silent, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const s of held) s.destroy();
        silent.close(() => r());
      }),
  );
  // openssl s_server demanding a client certificate (TLS 1.3: alert 116 without one).
  const sServer: ChildProcess = spawn(
    'openssl',
    [
      's_server',
      '-accept',
      `127.0.0.1:${port.sServer}`,
      '-cert',
      leafOne.cert,
      '-cert_chain',
      int1.cert,
      '-key',
      leafOne.key,
      '-Verify',
      '2',
      '-CAfile',
      root.cert,
      '-www',
    ],
    { stdio: 'ignore' },
  );
  closers.push(() => {
    sServer.kill();
  });
  await waitForPort(port.sServer);
  // nginx as the upstream, ssl_verify_client on: it completes the handshake and answers 400.
  const prefix = join(dir, 'nginx-mtls');
  const upstreamNginx: RunningNginx = await startMtlsUpstream(prefix, {
    port: port.nginxMtls,
    chain: leafOne.chain,
    key: leafOne.key,
    clientCa: root.cert,
    logLevel: 'notice',
  });
  closers.push(() => upstreamNginx.stop());
});

after(async () => {
  for (const c of closers) await c();
});

const BIN = fileURLToPath(new URL('../../../bin/gwctl.js', import.meta.url));

/** The real bin in a child process, without blocking this process (whose servers must answer). */
function gwctlChild(args: string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: dir, env: { ...process.env, NO_COLOR: '1' } },
      (e, stdout, stderr) => resolve({ exitCode: e ? ((e as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

const at = (p: number) => `127.0.0.1:${p}`;
type Entry = {
  name: string;
  server: string;
  checked: boolean;
  ok: boolean | null;
  requiredDepth: number | null;
  verifyDepth: number;
  chain: string[];
  nginx: { code: number; reason: string } | null;
  findings: { code: string; severity: string; message: string }[];
};
const codes = (e: Entry) => e.findings.map((f) => f.code);

test('HOST:PORT: one and two intermediates, verified at the depth given, as nginx would', async () => {
  const one = await gwctl(
    ['probe', at(port.one), '--server-name', 'one.internal', '--ca', root.cert, '--format', 'json'],
    dir,
  );
  assert.equal(one.exitCode, 0, one.stdout);
  const e1 = JSON.parse(one.stdout).upstreams[0] as Entry;
  assert.deepEqual(
    { ...e1, findings: codes(e1) },
    {
      name: at(port.one),
      server: at(port.one),
      checked: true,
      ok: true,
      requiredDepth: 1,
      verifyDepth: 1,
      chain: ['CN=one.internal', 'CN=Probe Int One', 'CN=Probe Root'],
      nginx: null,
      findings: [],
    },
  );
  const two = await gwctl(
    ['probe', at(port.two), '--server-name', 'two.internal', '--ca', root.cert, '--format', 'json'],
    dir,
  );
  assert.equal(two.exitCode, 1);
  const e2 = JSON.parse(two.stdout).upstreams[0] as Entry;
  assert.deepEqual(
    [e2.ok, e2.requiredDepth, e2.verifyDepth, e2.nginx],
    [false, 2, 1, { code: 20, reason: 'unable to get local issuer certificate' }],
  );
  assert.deepEqual(codes(e2), ['chain.depth-exceeded']);
  const human = await gwctlChild([
    'probe',
    at(port.two),
    '--server-name',
    'two.internal',
    '--ca',
    root.cert,
    '--depth',
    '2',
  ]);
  assert.equal(human.exitCode, 0, human.stdout + human.stderr);
  assert.match(
    human.stdout,
    new RegExp(`^127\\.0\\.0\\.1:${port.two}: ok\\n  served: TLSv1\\.3, \\S+, 3 certificate\\(s\\)\\n`),
  );
  assert.match(
    human.stdout,
    /chain: CN=two\.internal {2}<- {2}CN=Probe Int Two {2}<- {2}CN=Probe Int One {2}<- {2}CN=Probe Root/,
  );
  const wrongName = await gwctl(['probe', at(port.two), '--ca', root.cert, '--depth', '2', '--format', 'json'], dir);
  assert.deepEqual(JSON.parse(wrongName.stdout).upstreams[0].nginx, {
    code: 62,
    reason: 'hostname mismatch',
    name: '127.0.0.1',
  });
});

test('the certificates are taken exactly as sent, in order: --save writes them so', async () => {
  const to = join(dir, 'ooo-saved.pem');
  const r = await gwctl(
    [
      'probe',
      at(port.outOfOrder),
      '--server-name',
      'two.internal',
      '--ca',
      root.cert,
      '--depth',
      '2',
      '--save',
      to,
      '--format',
      'json',
    ],
    dir,
  );
  assert.equal(r.exitCode, 0, r.stdout);
  const sent = parsePem(readFileSync(outOfOrder), 'certificate');
  const saved = parsePem(readFileSync(to), 'certificate');
  assert.ok('blocks' in sent && 'blocks' in saved);
  assert.deepEqual(
    saved.blocks.map((b) => new X509Certificate(b.der).subject),
    ['CN=two.internal', 'CN=Probe Int One', 'CN=Probe Int Two'],
  );
  assert.deepEqual(
    saved.blocks.map((b) => b.der.toString('base64')),
    sent.blocks.map((b) => b.der.toString('base64')),
  );
  assert.deepEqual(
    JSON.parse(r.stdout).diagnostics.map((d: { code: string; message: string }) => [d.code, d.message]),
    [['probe.saved', 'wrote ooo-saved.pem: 3 certificate(s) as served, leaf first']],
  );
});

test('connection problems are findings, not stack traces: closed port, plain http, silence', async () => {
  const cases: [string, string, string[]][] = [
    ['closed', at(port.closed), ['probe.refused']],
    ['http', at(port.http), ['probe.not-tls']],
    ['silent', at(port.silent), ['probe.timeout']],
  ];
  for (const [label, target, want] of cases) {
    const r = await gwctlChild(['probe', target, '--ca', root.cert, '--timeout', '2', '--format', 'json']);
    assert.equal(r.exitCode, 1, `${label}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at /, label);
    const e = JSON.parse(r.stdout).upstreams[0] as Entry;
    assert.deepEqual([e.checked, e.ok, e.nginx, codes(e)], [false, null, null, want], label);
    const human = await gwctlChild(['probe', target, '--ca', root.cert, '--timeout', '2']);
    assert.equal(human.exitCode, 1);
    assert.match(
      human.stdout,
      new RegExp(`^${target.replaceAll('.', '\\.')}: not checked: the server sent no certificate\\n`),
      label,
    );
    assert.match(human.stdout, new RegExp(`error: .*\\[${want[0]}\\]`), label);
  }
  const refused = JSON.parse((await gwctlChild(['probe', at(port.closed), '--format', 'json'])).stdout);
  assert.match(refused.upstreams[0].findings[0].message, /nginx logs "connect\(\) failed \(111: Connection refused\)/);
  const http = JSON.parse((await gwctlChild(['probe', at(port.http), '--format', 'json'])).stdout);
  assert.match(http.upstreams[0].findings[0].message, /wrong version number/);
});

test('a server demanding a client certificate: openssl s_server (alert 116) and nginx (400); presenting one passes', async () => {
  for (const p of [port.sServer, port.nginxMtls]) {
    const r = await gwctl(
      ['probe', at(p), '--server-name', 'one.internal', '--ca', root.cert, '--format', 'json'],
      dir,
    );
    assert.equal(r.exitCode, 1, r.stdout);
    const e = JSON.parse(r.stdout).upstreams[0] as Entry;
    assert.deepEqual([e.ok, codes(e)], [true, ['probe.client-certificate-required']], `port ${p}`);
    const ok = await gwctl(
      [
        'probe',
        at(p),
        '--server-name',
        'one.internal',
        '--ca',
        root.cert,
        '--client-cert',
        clientId.cert,
        '--client-key',
        clientId.key,
        '--format',
        'json',
      ],
      dir,
    );
    assert.equal(ok.exitCode, 0, ok.stdout);
    assert.deepEqual(codes(JSON.parse(ok.stdout).upstreams[0]), []);
  }
  const s = JSON.parse(
    (
      await gwctl(
        ['probe', at(port.sServer), '--server-name', 'one.internal', '--ca', root.cert, '--format', 'json'],
        dir,
      )
    ).stdout,
  );
  assert.match(s.upstreams[0].findings[0].message, /alert 116 \(certificate_required\)/);
});

function writeSpec(file: string, upstreams: string, clients = ''): void {
  writeFileSync(
    join(dir, file),
    `version: 1
listen: [{ port: 8080 }]
trustStores:
  internal: { certificates: ["${root.cert}"] }
${clients}upstreams:
${upstreams}
routes:
  - { path: /a/, upstream: orders }
`,
  );
}

test('SPEC: every server of an upstream is probed; a wrong chain on one peer of two is found, and nothing is saved', async () => {
  writeSpec(
    'peers.yaml',
    `  orders:
    servers: ["${at(port.one)}", "${at(port.oneAlone)}"]
    tls: { trustStore: internal, serverName: one.internal }`,
  );
  const r = await gwctl(['probe', 'peers.yaml', '--save', '--format', 'json'], dir);
  assert.equal(r.exitCode, 1);
  const out = JSON.parse(r.stdout);
  const [good, bad] = out.upstreams as Entry[];
  assert.deepEqual(
    [good.name, good.server, good.ok, good.nginx, codes(good)],
    ['orders', at(port.one), true, null, []],
  );
  assert.deepEqual(
    [bad.name, bad.server, bad.ok, bad.nginx, codes(bad)],
    [
      'orders',
      at(port.oneAlone),
      false,
      { code: 21, reason: 'unable to verify the first certificate' },
      ['chain.missing-intermediate'],
    ],
  );
  const d = out.diagnostics.map((x: { code: string; message: string }) => [x.code, x.message]);
  assert.deepEqual(d, [
    [
      'probe.peers-differ',
      `upstream "orders": nothing saved: its servers serve different chains (chain 1: ${at(port.one)}; chain 2: ${at(port.oneAlone)}); make every server serve the same chain, then probe again`,
    ],
  ]);
  assert.equal(existsSync(join(dir, 'chains', 'orders.pem')), false);
  const human = await gwctlChild(['probe', 'peers.yaml']);
  assert.match(human.stdout, new RegExp(`^orders \\(127\\.0\\.0\\.1:${port.one}\\): ok$`, 'm'));
  assert.match(
    human.stdout,
    new RegExp(
      `^orders \\(127\\.0\\.0\\.1:${port.oneAlone}\\): FAIL: nginx will log: upstream SSL certificate verify error: \\(21:unable to verify the first certificate\\)$`,
      'm',
    ),
  );
});

test('SPEC --save: the served chain goes to chains/UPSTREAM.pem, verify-chain then gives the same verdict', async () => {
  writeSpec(
    'deep.yaml',
    `  orders:
    servers: ["${at(port.two)}"]
    tls: { trustStore: internal, serverName: two.internal }`,
  );
  const before = await gwctl(['verify-chain', 'deep.yaml', '--format', 'json'], dir);
  assert.equal(JSON.parse(before.stdout).upstreams[0].checked, false);
  const r = await gwctl(['probe', 'deep.yaml', '--save', '--format', 'json'], dir);
  assert.equal(r.exitCode, 0, r.stdout);
  const out = JSON.parse(r.stdout);
  const e = out.upstreams[0] as Entry;
  assert.deepEqual([e.ok, e.verifyDepth, e.requiredDepth, codes(e)], [true, 2, 2, ['probe.depth-not-derived']]);
  assert.deepEqual(
    out.diagnostics.map((x: { code: string; message: string }) => [x.code, x.message]),
    [
      ['probe.saved', `wrote ${join('chains', 'orders.pem')}: 3 certificate(s) as served, leaf first`],
      [
        'probe.add-presented-chain',
        'upstream "orders": add this line to upstreams.orders.tls in deep.yaml so that verify-chain and render use the saved chain: presentedChain: chains/orders.pem',
      ],
    ],
  );
  writeSpec(
    'deep-saved.yaml',
    `  orders:
    servers: ["${at(port.two)}"]
    tls: { trustStore: internal, serverName: two.internal, presentedChain: chains/orders.pem }`,
  );
  const v = await gwctl(['verify-chain', 'deep-saved.yaml', '--format', 'json'], dir);
  assert.equal(v.exitCode, 0, v.stdout);
  const ve = JSON.parse(v.stdout).upstreams[0];
  for (const k of ['ok', 'requiredDepth', 'verifyDepth', 'chain', 'nginx'] as const)
    assert.deepEqual(ve[k], e[k], `${k}: verify-chain on the saved chain agrees with probe`);
  // Saving again: the file is probe's own and holds exactly the served chain.
  const again = await gwctl(['probe', 'deep-saved.yaml', '--save', '--format', 'json'], dir);
  assert.deepEqual(
    JSON.parse(again.stdout).diagnostics.map((x: { message: string }) => x.message),
    [`${join('chains', 'orders.pem')} already holds exactly the served chain: left unchanged`],
  );
});

test('SPEC --save never replaces a file it did not write, unless --force (the old one kept as .bak)', async () => {
  const mine = join(dir, 'mine.pem');
  writeFileSync(mine, readFileSync(leafOne.chain));
  writeSpec(
    'mine.yaml',
    `  orders:
    servers: ["${at(port.two)}"]
    tls: { trustStore: internal, serverName: two.internal, presentedChain: mine.pem }`,
  );
  const before = readFileSync(mine);
  const refused = await gwctl(['probe', 'mine.yaml', '--save', '--format', 'json'], dir);
  assert.equal(refused.exitCode, 1);
  const out = JSON.parse(refused.stdout);
  assert.deepEqual(codes(out.upstreams[0]), ['probe.chain-differs']);
  assert.deepEqual(
    out.diagnostics.map((x: { code: string; message: string }) => [x.code, x.message]),
    [
      [
        'probe.save-refused',
        'not saved: mine.pem exists and was not written by gwctl probe; add --force to replace it (its content is then kept as mine.pem.bak)',
      ],
    ],
  );
  assert.deepEqual(readFileSync(mine), before, 'untouched');
  const forced = await gwctl(['probe', 'mine.yaml', '--save', '--force', '--format', 'json'], dir);
  assert.equal(forced.exitCode, 0, forced.stdout);
  assert.deepEqual(readFileSync(`${mine}.bak`), before);
  const now = parsePem(readFileSync(mine), 'certificate');
  assert.ok('blocks' in now);
  assert.equal(now.blocks.length, 3);
  const v = await gwctl(['verify-chain', 'mine.yaml', '--format', 'json'], dir);
  assert.equal(v.exitCode, 0, v.stdout);
});

test('SPEC: the upstream client certificate is presented, as nginx presents it', async () => {
  const clients = `clientCertificates:
  gw: { certificate: "${clientId.cert}", key: "${clientId.key}" }
`;
  writeSpec(
    'mtls.yaml',
    `  orders:
    servers: ["${at(port.sServer)}", "${at(port.nginxMtls)}"]
    tls: { trustStore: internal, serverName: one.internal, clientCertificate: gw }`,
    clients,
  );
  const r = await gwctl(['probe', 'mtls.yaml', '--format', 'json'], dir);
  assert.equal(r.exitCode, 0, r.stdout);
  assert.deepEqual(
    JSON.parse(r.stdout).upstreams.map((e: Entry) => [e.server, e.ok, codes(e)]),
    [
      [at(port.sServer), true, []],
      [at(port.nginxMtls), true, []],
    ],
  );
  writeSpec(
    'no-mtls.yaml',
    `  orders:
    servers: ["${at(port.sServer)}", "${at(port.nginxMtls)}"]
    tls: { trustStore: internal, serverName: one.internal }`,
  );
  const without = await gwctl(['probe', 'no-mtls.yaml', '--format', 'json'], dir);
  assert.equal(without.exitCode, 1);
  assert.deepEqual(
    JSON.parse(without.stdout).upstreams.map((e: Entry) => codes(e)),
    [['probe.client-certificate-required'], ['probe.client-certificate-required']],
  );
});

test('SPEC: a client key given as hostPath is presented where it exists, and named as the reason where it does not', async () => {
  const servers = `["${at(port.sServer)}", "${at(port.nginxMtls)}"]`;
  // On the gateway host the key exists at its hostPath: the probe presents it, both servers accept.
  writeSpec(
    'host-key.yaml',
    `  orders:\n    servers: ${servers}\n    tls: { trustStore: internal, serverName: one.internal, clientCertificate: gw }`,
    `clientCertificates:\n  gw: { certificate: "${clientId.cert}", key: { hostPath: "${clientId.key}" } }\n`,
  );
  const present = await gwctlChild(['probe', 'host-key.yaml', '--format', 'json']);
  assert.equal(present.exitCode, 0, present.stdout);
  const got = JSON.parse(present.stdout);
  assert.deepEqual(
    got.upstreams.map((e: Entry) => [e.server, e.ok, codes(e)]),
    [
      [at(port.sServer), true, []],
      [at(port.nginxMtls), true, []],
    ],
  );
  // Elsewhere the hostPath does not exist: the probe connects without a client certificate, says
  // why, and each server's demand for one is the finding (the served chain itself verifies).
  const missing = join(dir, 'not-on-this-host', 'gw.key');
  writeSpec(
    'host-key-absent.yaml',
    `  orders:\n    servers: ${servers}\n    tls: { trustStore: internal, serverName: one.internal, clientCertificate: gw }`,
    `clientCertificates:\n  gw: { certificate: "${clientId.cert}", key: { hostPath: "${missing}" } }\n`,
  );
  const absent = await gwctlChild(['probe', 'host-key-absent.yaml', '--format', 'json']);
  assert.equal(absent.exitCode, 1, absent.stdout);
  const out = JSON.parse(absent.stdout);
  assert.deepEqual(
    out.upstreams.map((e: Entry) => [e.server, e.ok, codes(e)]),
    [
      [at(port.sServer), true, ['probe.client-key-unavailable', 'probe.client-certificate-required']],
      [at(port.nginxMtls), true, ['probe.client-key-unavailable', 'probe.client-certificate-required']],
    ],
  );
  const why = out.upstreams[0].findings[0] as { severity: string; message: string; path: string };
  assert.deepEqual(
    [why.severity, why.path, why.message],
    [
      'warning',
      '$.clientCertificates.gw.key',
      `client certificate "gw": its key (hostPath ${missing}) does not exist here, so the probe connects without a client certificate; nginx on the gateway host will present it. A server that demands one is reported as such. Run the probe on the gateway host to include it`,
    ],
  );
});

test('bad arguments: exit 2 with a message', async () => {
  for (const args of [
    ['probe'],
    ['probe', 'missing.yaml'],
    ['probe', at(port.one), '--upstream', 'x'],
    ['probe', at(port.one), '--save'],
    ['probe', at(port.one), '--client-cert', 'a.pem'],
    ['probe', at(port.one), '--timeout', '0'],
  ]) {
    const r = await gwctlChild(args);
    assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});
