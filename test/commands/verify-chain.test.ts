import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gwctl, gwctlProcess } from '../support/gwctl.js';
import { makePki, type PkiCert } from '../support/pki.js';
import { exampleCopy } from '../cli/fixtures.js';

let dir: string;
let root: PkiCert;
let deepLeaf: PkiCert;
let int1: PkiCert;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-verify-'));
  const pki = await makePki(join(dir, 'pki'));
  root = pki.root('Root CA');
  int1 = pki.intermediate(root, 'Int One');
  const int2 = pki.intermediate(int1, 'Int Two');
  deepLeaf = pki.leaf(int2, { cn: 'orders.internal', dns: ['orders.internal'] });
  const spec = (depth: string) => `version: 1
listen: [{ port: 8080 }]
trustStores:
  internal: { certificates: ["${root.cert}"] }
upstreams:
  orders:
    servers: ["127.0.0.1:8443"]
    tls: { trustStore: internal, serverName: orders.internal, presentedChain: "${deepLeaf.chain}"${depth} }
  wrongname:
    servers: ["127.0.0.1:8444"]
    tls: { trustStore: internal, serverName: billing.internal, presentedChain: "${deepLeaf.chain}" }
routes:
  - { path: /o/, upstream: orders }
  - { path: /w/, upstream: wrongname }
`;
  writeFileSync(join(dir, 'depth1.yaml'), spec(', verifyDepth: 1'));
  writeFileSync(join(dir, 'derived.yaml'), spec(''));
});

test('spec form, JSON: the contract shape, depth too small reported as nginx logs it', async () => {
  const r = await gwctl(['verify-chain', 'depth1.yaml', '--format', 'json'], dir);
  assert.equal(r.exitCode, 1);
  const out = JSON.parse(r.stdout);
  assert.equal(out.ok, false);
  const orders = out.upstreams.find((u: { name: string }) => u.name === 'orders');
  assert.deepEqual(Object.keys(orders).sort(), [
    'chain',
    'checked',
    'findings',
    'name',
    'nginx',
    'ok',
    'requiredDepth',
    'verifyDepth',
  ]);
  assert.equal(orders.ok, false);
  assert.equal(orders.requiredDepth, 2);
  assert.equal(orders.verifyDepth, 1);
  assert.deepEqual(orders.nginx, { code: 20, reason: 'unable to get local issuer certificate' });
  const f = orders.findings.find((x: { severity: string }) => x.severity === 'error');
  assert.ok(f, JSON.stringify(orders.findings));
  assert.match(f.message, /verifyDepth 1/);
  assert.ok(f.line > 0 && f.file.endsWith('depth1.yaml'), 'findings point at the spec');
  const wrong = out.upstreams.find((u: { name: string }) => u.name === 'wrongname');
  assert.equal(wrong.nginx.code, 62);
});

test('spec form: a derived depth verifies; a wrong name is still reported, --upstream narrows', async () => {
  const all = await gwctl(['verify-chain', 'derived.yaml', '--format', 'json'], dir);
  const out = JSON.parse(all.stdout);
  const orders = out.upstreams.find((u: { name: string }) => u.name === 'orders');
  assert.equal(orders.ok, true);
  assert.equal(orders.nginx, null);
  assert.equal(orders.verifyDepth, 2);
  assert.deepEqual(orders.chain, ['CN=orders.internal', 'CN=Int Two', 'CN=Int One', 'CN=Root CA']);
  assert.equal(all.exitCode, 1, 'wrongname fails the run');
  const one = await gwctl(['verify-chain', 'derived.yaml', '--upstream', 'orders', '--format', 'json'], dir);
  assert.equal(one.exitCode, 0, one.stdout);
  assert.deepEqual(
    JSON.parse(one.stdout).upstreams.map((u: { name: string }) => u.name),
    ['orders'],
  );
  const unknown = await gwctl(['verify-chain', 'derived.yaml', '--upstream', 'nope'], dir);
  assert.equal(unknown.exitCode, 2);
});

test('spec form, human: says what nginx will log and where', () => {
  const r = gwctlProcess(['verify-chain', 'depth1.yaml'], { cwd: dir });
  assert.equal(r.exitCode, 1);
  assert.match(
    r.stdout,
    /orders: FAIL: nginx will log: upstream SSL certificate verify error: \(20:unable to get local issuer certificate\)/,
  );
  assert.match(
    r.stdout,
    /wrongname: FAIL: nginx will log: upstream SSL certificate does not match "billing\.internal"/,
  );
  assert.match(r.stdout, /chain needs 2, proxy_ssl_verify_depth 1/);
});

test("files form: same verdicts without a spec; --depth defaults to nginx's 1", async () => {
  const base = [
    'verify-chain',
    '--chain',
    deepLeaf.chain,
    '--ca',
    root.cert,
    '--name',
    'orders.internal',
    '--format',
    'json',
  ];
  const d1 = await gwctl(base, dir);
  assert.equal(d1.exitCode, 1);
  const u = JSON.parse(d1.stdout).upstreams[0];
  assert.equal(u.name, basename(deepLeaf.chain), 'the entry is named after the chain file');
  assert.equal(u.nginx.code, 20);
  assert.equal(u.verifyDepth, 1);
  const d2 = await gwctl([...base, '--depth', '2'], dir);
  assert.equal(d2.exitCode, 0, d2.stdout);
  assert.equal(JSON.parse(d2.stdout).upstreams[0].nginx, null);
  const trustedIntermediateOnly = await gwctl(
    ['verify-chain', '--chain', deepLeaf.chain, '--ca', int1.cert, '--depth', '5', '--format', 'json'],
    dir,
  );
  assert.equal(
    JSON.parse(trustedIntermediateOnly.stdout).upstreams[0].nginx.code,
    2,
    'no partial chains: a trusted intermediate needs its root',
  );
});

test('--at evaluates at another time: expired certificates fail, and say so', async () => {
  const r = await gwctl(
    [
      'verify-chain',
      '--chain',
      deepLeaf.chain,
      '--ca',
      root.cert,
      '--depth',
      '2',
      '--at',
      '2999-01-01T00:00:00Z',
      '--format',
      'json',
    ],
    dir,
  );
  assert.equal(r.exitCode, 1);
  assert.equal(JSON.parse(r.stdout).upstreams[0].nginx.code, 10);
});

test('names from certificates and from --name reach the terminal escaped: no forged lines, no terminal escapes', async () => {
  const pki = await makePki(join(dir, 'evil-pki'));
  const evilRoot = pki.root('Evil Root');
  const evil = pki.leaf(evilRoot, { cn: 'evil', dns: ['x\u001b]0;pwned\u0007.internal'] });
  // No ':' in it: nginx would cut the name there (a port), and the line would end early.
  const name = 'ab\u001b]0;pwned\u0007x\r\nforged  error  forged\u202e';
  for (const format of ['human', 'github']) {
    const r = gwctlProcess(
      ['verify-chain', '--chain', evil.chain, '--ca', evilRoot.cert, '--name', name, '--format', format],
      { cwd: dir },
    );
    assert.equal(r.exitCode, 1, r.stderr);
    const out = r.stdout + r.stderr;
    assert.doesNotMatch(out, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/, `${format}: ${JSON.stringify(out)}`);
    assert.doesNotMatch(out, /^forged  error/m, format);
    assert.match(out, /x\\u001b\]0;pwned\\u0007\.internal/, `${format}: the SAN is shown, escaped`);
  }
});

test('an empty --name is a usage error (it would skip the host check)', () => {
  const r = gwctlProcess(['verify-chain', '--chain', deepLeaf.chain, '--ca', root.cert, '--name', ''], { cwd: dir });
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /--name.*expected a DNS name/);
});

test('bad arguments exit 2 with a message, not a stack trace', () => {
  for (const args of [
    ['verify-chain'],
    ['verify-chain', '--chain', 'x.pem'],
    ['verify-chain', '--chain', 'missing.pem', '--ca', 'missing.pem'],
    ['verify-chain', 'derived.yaml', '--at', 'yesterday'],
    ['verify-chain', 'derived.yaml', '--depth', '2'],
    ['verify-chain', 'derived.yaml', '--at', '2024-02-30'],
    ['verify-chain', 'derived.yaml', '--at', '2027-01-01 junk'],
    ['verify-chain', 'derived.yaml', '--at', '0000-01-01'],
    ['verify-chain', '--chain', deepLeaf.chain, '--ca', root.cert, '--depth', '2147483648'],
    ['verify-chain', '--chain', deepLeaf.chain, '--ca', root.cert, '--depth', '-1'],
    ['verify-chain', '--chain', deepLeaf.chain, '--ca', root.cert, '--depth', '1.5'],
  ]) {
    const r = gwctlProcess(args, { cwd: dir });
    assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.trim().length > 0);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('client certificates are checked too: one that may not authenticate a TLS client fails, at its spec line', async () => {
  const pki = await makePki(join(dir, 'pki-client'));
  const ca = pki.root('Client CA');
  const serverOnly = pki.leaf(ca, { cn: 'gateway', extendedKeyUsage: 'serverAuth' });
  const good = pki.leaf(ca, { cn: 'gateway', client: true });
  const spec = (cert: PkiCert) => `version: 1
listen: [{ port: 8080 }]
trustStores:
  internal: { certificates: ["${root.cert}"] }
clientCertificates:
  gw:
    certificate: "${cert.chain}"
    key: "${cert.key}"
upstreams:
  orders:
    servers: ["127.0.0.1:8443"]
    tls: { trustStore: internal, serverName: orders.internal, clientCertificate: gw, presentedChain: "${deepLeaf.chain}" }
routes: [{ path: /o/, upstream: orders }]
`;
  writeFileSync(join(dir, 'client-bad.yaml'), spec(serverOnly));
  writeFileSync(join(dir, 'client-good.yaml'), spec(good));
  const bad = await gwctl(['verify-chain', 'client-bad.yaml', '--format', 'json'], dir);
  assert.equal(bad.exitCode, 1);
  const d = JSON.parse(bad.stdout).diagnostics.find((x: { code: string }) => x.code === 'client.purpose');
  assert.ok(d, bad.stdout);
  assert.equal(d.line, 7, 'points at clientCertificates.gw.certificate');
  assert.equal((await gwctl(['verify-chain', 'client-good.yaml'], dir)).exitCode, 0);
  const render = await gwctl(['render', 'client-bad.yaml', '--out', 'out-client'], dir);
  assert.equal(render.exitCode, 1, 'render refuses too');
});

test("files form with --crl: revocation as proxy_ssl_crl checks it, the root's own CRL included", async () => {
  const pki = await makePki(join(dir, 'pki-crl'));
  const ca = pki.root('CRL Root');
  const int = pki.intermediate(ca, 'CRL Int');
  const leaf = pki.leaf(int, { cn: 'svc.internal', dns: ['svc.internal'] });
  const base = [
    'verify-chain',
    '--chain',
    leaf.chain,
    '--ca',
    ca.cert,
    '--depth',
    '1',
    '--name',
    'svc.internal',
    '--format',
    'json',
  ];
  const code = async (crls: string[]) => {
    const r = await gwctl([...base, ...crls.flatMap((c) => ['--crl', c])], dir);
    const u = JSON.parse(r.stdout).upstreams[0];
    assert.ok('nginx' in u, "the contract's nginx field is always there (null when nginx logs no error)");
    return u.nginx === null ? null : u.nginx.code;
  };
  const rootCrl = pki.crl(ca);
  assert.equal(await code([]), null, 'no CRL: no revocation checking');
  assert.equal(await code([rootCrl, pki.crl(int)]), null, 'every CA has a current CRL');
  assert.equal(await code([pki.crl(int)]), 3, 'the root needs a CRL too');
  assert.equal(await code([rootCrl, pki.crl(int, { revoke: [leaf] })]), 23);
  const r = gwctlProcess(['verify-chain', 'derived.yaml', '--crl', rootCrl], { cwd: dir });
  assert.equal(r.exitCode, 2, '--crl belongs to the files form');
});

test('a large trust store is reported once: per store by validation for a spec, by verify-chain only for --ca files', async () => {
  const pki = await makePki(join(dir, 'big-pki'));
  const roots = Array.from({ length: 22 }, (_, i) => pki.root(`Big Root ${i}`));
  const leaf = pki.leaf(roots[0], { dns: ['svc.internal'] });
  const bundle = pki.bundle('big.pem', roots);
  const files = await gwctl(
    [
      'verify-chain',
      '--chain',
      leaf.chain,
      '--ca',
      bundle,
      '--name',
      'svc.internal',
      '--depth',
      '1',
      '--format',
      'json',
    ],
    dir,
  );
  assert.ok(
    JSON.parse(files.stdout).upstreams[0].findings.some((f: { code: string }) => f.code === 'chain.large-trust-store'),
    files.stdout,
  );
  writeFileSync(
    join(dir, 'big.yaml'),
    `version: 1\nlisten: [{ port: 8080 }]\ntrustStores: { big: { certificates: ["${bundle}"] } }\nupstreams:\n${[1, 2, 3].map((i) => `  u${i}: { servers: ["127.0.0.1:${9000 + i}"], tls: { trustStore: big, serverName: svc.internal, presentedChain: "${leaf.chain}" } }`).join('\n')}\nroutes:\n${[1, 2, 3].map((i) => `  - { path: /u${i}/, upstream: u${i} }`).join('\n')}\n`,
  );
  const spec = await gwctl(['verify-chain', 'big.yaml', '--format', 'json'], dir);
  const out = JSON.parse(spec.stdout) as {
    diagnostics: { code: string }[];
    upstreams: { findings: { code: string }[] }[];
  };
  assert.equal(out.upstreams.length, 3);
  const codes = [...out.diagnostics, ...out.upstreams.flatMap((u) => u.findings)].map((d) => d.code);
  assert.deepEqual(
    codes.filter((c) => c === 'trust.public-bundle' || c === 'chain.large-trust-store'),
    ['trust.public-bundle'],
    spec.stdout.slice(0, 2000),
  );
});

test('no silent upstreams: an upstream without presentedChain (or with verify off) has its line, and does not fail the run', async () => {
  writeFileSync(
    join(dir, 'unchecked.yaml'),
    `version: 1
listen: [{ port: 8080 }]
trustStores:
  internal: { certificates: ["${root.cert}"] }
upstreams:
  orders:
    servers: ["127.0.0.1:8443"]
    tls: { trustStore: internal, serverName: orders.internal, presentedChain: "${deepLeaf.chain}" }
  billing:
    servers: ["127.0.0.1:8445"]
    tls: { trustStore: internal, serverName: billing.internal }
  legacy:
    servers: ["127.0.0.1:8446"]
    tls: { verify: false, insecureReason: "vendor appliance", verifyDepth: 3 }
  plain:
    servers: ["127.0.0.1:8080"]
routes:
  - { path: /o/, upstream: orders }
  - { path: /b/, upstream: billing }
  - { path: /l/, upstream: legacy }
  - { path: /p/, upstream: plain }
`,
  );
  const r = await gwctl(['verify-chain', 'unchecked.yaml', '--format', 'json'], dir);
  assert.equal(r.exitCode, 0, r.stdout);
  const out = JSON.parse(r.stdout);
  assert.equal(out.ok, true);
  assert.deepEqual(
    out.upstreams.map((u: { name: string }) => u.name),
    ['orders', 'billing', 'legacy'],
    'every TLS upstream, the plain one not',
  );
  const billing = out.upstreams[1];
  const probe = 'gwctl probe unchecked.yaml --upstream billing --save';
  assert.deepEqual(
    { ...billing, findings: billing.findings.map((f: { code: string }) => f.code) },
    {
      name: 'billing',
      checked: false,
      reason: 'no presentedChain',
      ok: null,
      requiredDepth: null,
      verifyDepth: 1,
      chain: [],
      nginx: null,
      probe,
      findings: ['chain.not-checked'],
    },
  );
  assert.equal(
    billing.findings[0].message,
    `upstream "billing" has no presentedChain, so gwctl cannot check offline that nginx will accept its certificate; nginx will use proxy_ssl_verify_depth 1 (nginx's default), which allows one intermediate CA. Fetch the chain the upstream serves with: ${probe}`,
  );
  assert.equal(billing.findings[0].severity, 'warning');
  const legacy = out.upstreams[2];
  assert.deepEqual(
    [legacy.checked, legacy.ok, legacy.nginx, legacy.verifyDepth, legacy.reason],
    [false, null, null, 3, 'verify is false: nginx does not verify this upstream'],
  );
  assert.equal(out.upstreams[0].checked, true);

  const human = gwctlProcess(['verify-chain', 'unchecked.yaml'], { cwd: dir });
  assert.equal(human.exitCode, 0, human.stderr);
  const lines = human.stdout.split('\n');
  const at = lines.indexOf('billing: not checked: no presentedChain');
  assert.ok(at > 0, human.stdout);
  assert.deepEqual(lines.slice(at, at + 3), [
    'billing: not checked: no presentedChain',
    '  depth: nginx will use proxy_ssl_verify_depth 1',
    `  check it: ${probe}`,
  ]);
  assert.ok(lines.includes('legacy: not checked: verify is false: nginx does not verify this upstream'));
  const strict = await gwctl(['--fail-severity', 'warning', 'verify-chain', 'unchecked.yaml'], dir);
  assert.equal(strict.exitCode, 1, 'the warning counts where warnings are asked to fail');
});

test('the probe command advised is quoted for the shell when the spec path needs it', async () => {
  const sub = join(dir, 'my specs');
  mkdirSync(sub, { recursive: true });
  writeFileSync(
    join(sub, "it's.yaml"),
    `version: 1\nlisten: [{ port: 8080 }]\ntrustStores: { internal: { certificates: ["${root.cert}"] } }\nupstreams:\n  billing: { servers: ["127.0.0.1:8445"], tls: { trustStore: internal, serverName: billing.internal } }\nroutes: [{ path: /b/, upstream: billing }]\n`,
  );
  const r = await gwctl(['verify-chain', "my specs/it's.yaml", '--format', 'json'], dir);
  assert.equal(
    JSON.parse(r.stdout).upstreams[0].probe,
    `gwctl probe 'my specs/it'\\''s.yaml' --upstream billing --save`,
  );
});

test('--chain without --name says that no name was checked', async () => {
  const r = await gwctl(
    ['verify-chain', '--chain', deepLeaf.chain, '--ca', root.cert, '--depth', '2', '--format', 'json'],
    dir,
  );
  assert.equal(r.exitCode, 0, r.stdout);
  const u = JSON.parse(r.stdout).upstreams[0];
  assert.deepEqual(
    u.findings.map((f: { code: string; severity: string }) => [f.code, f.severity]),
    [['chain.name-not-checked', 'info']],
  );
  const human = gwctlProcess(['verify-chain', '--chain', deepLeaf.chain, '--ca', root.cert, '--depth', '2'], {
    cwd: dir,
  });
  assert.match(human.stdout, /info: no name was checked \(no --name\)/);
  const named = await gwctl(
    [
      'verify-chain',
      '--chain',
      deepLeaf.chain,
      '--ca',
      root.cert,
      '--depth',
      '2',
      '--name',
      'orders.internal',
      '--format',
      'json',
    ],
    dir,
  );
  assert.deepEqual(JSON.parse(named.stdout).upstreams[0].findings, []);
});

test('verifyDepth and --depth accept 0 to 2147483647, as nginx passes them to OpenSSL', async () => {
  const max = await gwctl(
    [
      'verify-chain',
      '--chain',
      deepLeaf.chain,
      '--ca',
      root.cert,
      '--depth',
      '2147483647',
      '--name',
      'orders.internal',
      '--format',
      'json',
    ],
    dir,
  );
  assert.equal(max.exitCode, 0, max.stdout);
  assert.equal(JSON.parse(max.stdout).upstreams[0].verifyDepth, 2147483647);
  const zero = await gwctl(
    [
      'verify-chain',
      '--chain',
      deepLeaf.chain,
      '--ca',
      root.cert,
      '--depth',
      '0',
      '--name',
      'orders.internal',
      '--format',
      'json',
    ],
    dir,
  );
  assert.equal(JSON.parse(zero.stdout).upstreams[0].nginx.code, 20);
  const spec = (depth: string) =>
    `version: 1\nlisten: [{ port: 8080 }]\ntrustStores: { internal: { certificates: ["${root.cert}"] } }\nupstreams:\n  orders: { servers: ["127.0.0.1:8443"], tls: { trustStore: internal, serverName: orders.internal, presentedChain: "${deepLeaf.chain}", verifyDepth: ${depth} } }\nroutes: [{ path: /o/, upstream: orders }]\n`;
  writeFileSync(join(dir, 'max-depth.yaml'), spec('2147483647'));
  writeFileSync(join(dir, 'over-depth.yaml'), spec('2147483648'));
  const ok = await gwctl(['verify-chain', 'max-depth.yaml', '--format', 'json'], dir);
  assert.equal(ok.exitCode, 0, ok.stdout);
  assert.equal(JSON.parse(ok.stdout).upstreams[0].verifyDepth, 2147483647);
  const over = await gwctl(['validate', 'over-depth.yaml', '--format', 'json'], dir);
  assert.equal(over.exitCode, 1);
  const d = JSON.parse(over.stdout).diagnostics[0];
  assert.deepEqual([d.path, d.line], ['$.upstreams.orders.tls.verifyDepth', 5]);
});

test('a client key given as hostPath is not read, and its certificate is still checked: a server-only certificate fails client.purpose', async () => {
  const dir = exampleCopy('gwctl-vc-host-');
  const spec = join(dir, 'gw/gateway.yaml');
  const text = readFileSync(spec, 'utf8')
    .replace('key: pki/gateway-client.key', 'key: { hostPath: /nonexistent/gwctl/client.key }')
    .replace('certificate: pki/gateway-client.crt', 'certificate: pki/orders-chain.crt');
  writeFileSync(spec, text);
  const line = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
  const r = await gwctl(['verify-chain', 'gw/gateway.yaml', '--format', 'json'], dir);
  assert.equal(r.exitCode, 1, r.stdout);
  const body = JSON.parse(r.stdout) as { diagnostics: { code: string; line: number; severity: string }[] };
  assert.deepEqual(
    body.diagnostics
      .filter((d) => d.code !== 'key.permissions')
      .map(({ code, severity, line }) => ({ code, severity, line })),
    [
      { code: 'key.on-host', severity: 'info', line: line('hostPath') },
      { code: 'client.purpose', severity: 'error', line: line('certificate: pki/orders-chain.crt') },
    ],
  );
});
