import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gwctl, gwctlProcess, REPO_ROOT } from '../support/gwctl.js';
import { makePki, type PkiCert } from '../support/pki.js';
import { block } from '../import/kong/support.js';

/** `gwctl import kong`: what lands on disk, and that it validates, verifies and renders as is. */
let dir: string;
let root: PkiCert;
let client: PkiCert;
/** deep.internal, under two intermediates of root. */
let deep: PkiCert;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-import-'));
  const pki = await makePki(join(dir, 'pki'));
  root = pki.root('Import Root');
  const issuing = pki.intermediate(root, 'Import Issuing');
  client = pki.leaf(issuing, { cn: 'gateway-client', client: true });
  const deepTwo = pki.intermediate(pki.intermediate(root, 'Import Deep One'), 'Import Deep Two');
  deep = pki.leaf(deepTwo, { cn: 'deep.internal', dns: ['deep.internal'] });
});

const pem = (f: string) => readFileSync(f, 'utf8');

function kongFile(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

const TLS_KONG = () => `_format_version: "3.0"
services:
- name: payments
  url: https://payments.internal:8443
  tls_verify: true
  ca_certificates: [00000000-0000-4000-8000-00000000000a]
  client_certificate: 00000000-0000-4000-8000-00000000000c
  routes:
  - paths: [/pay/]
ca_certificates:
- id: 00000000-0000-4000-8000-00000000000a
  cert: ${block(pem(root.cert).replace(/\n/g, '\r\n'), 2)}
certificates:
- id: 00000000-0000-4000-8000-00000000000c
  cert: ${block(pem(client.chain), 2)}
  key: ${block(pem(client.key), 2)}
`;

describe('import kong', () => {
  test('writes gateway.yaml and the PEM files, keys 0600, and the result validates, verifies and renders', async () => {
    const file = kongFile('tls.yml', TLS_KONG());
    const r = await gwctl(['import', 'kong', file, '--out', 'out-tls'], dir);
    assert.equal(r.exitCode, 0, r.stderr);
    const out = join(dir, 'out-tls');
    assert.deepEqual(readdirSync(out).sort(), ['gateway.yaml', 'pki']);
    assert.deepEqual(readdirSync(join(out, 'pki')).sort(), [
      'ca-00000000-0000-4000-8000-00000000000a.pem',
      'client-00000000-0000-4000-8000-00000000000c.crt',
      'client-00000000-0000-4000-8000-00000000000c.key',
    ]);
    assert.equal(statSync(join(out, 'pki/client-00000000-0000-4000-8000-00000000000c.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(out, 'pki/ca-00000000-0000-4000-8000-00000000000a.pem')).mode & 0o777, 0o644);
    assert.equal(statSync(join(out, 'pki')).mode & 0o777, 0o755);
    assert.equal(statSync(out).mode & 0o777, 0o755);
    assert.equal(readFileSync(join(out, 'pki/ca-00000000-0000-4000-8000-00000000000a.pem'), 'utf8'), pem(root.cert));
    assert.match(
      readFileSync(join(out, 'gateway.yaml'), 'utf8'),
      /^# Imported by gwctl from the Kong declarative config tls\.yml\./,
    );

    const validate = await gwctl(['validate', 'out-tls/gateway.yaml'], dir);
    assert.equal(validate.exitCode, 0, validate.stderr);
    const verify = await gwctl(['verify-chain', 'out-tls/gateway.yaml'], dir);
    assert.equal(verify.exitCode, 0, verify.stderr);
    const render = await gwctl(['render', 'out-tls/gateway.yaml', '--out', 'rendered'], dir);
    assert.equal(render.exitCode, 0, render.stderr);
    const conf = readFileSync(join(dir, 'rendered/nginx.conf'), 'utf8');
    assert.match(conf, /listen 8000 default_server;/);
    assert.match(conf, /proxy_ssl_verify on;/);
    assert.match(conf, /proxy_ssl_verify_depth 1;/);
  });

  test("two intermediates, tls_verify_depth 1: the imported spec fails verify-chain as Kong's nginx fails (20), depth 2 passes", async () => {
    const file = kongFile(
      'deep.yml',
      `_format_version: "2.1"
services:
- name: deep1
  url: https://deep.internal:8443
  tls_verify: true
  tls_verify_depth: 1
  ca_certificates: [00000000-0000-4000-8000-00000000000a]
- name: deep2
  url: https://deep.internal:8443
  tls_verify: true
  tls_verify_depth: 2
  ca_certificates: [00000000-0000-4000-8000-00000000000a]
ca_certificates:
- id: 00000000-0000-4000-8000-00000000000a
  cert: ${block(pem(root.cert), 2)}
`,
    );
    const r = await gwctl(['import', 'kong', file, '--out', 'out-deep'], dir);
    assert.equal(r.exitCode, 0, r.stderr);
    // Kong's file holds no copy of the served chain: give the imported spec the one deep.internal serves.
    const spec = join(dir, 'out-deep/gateway.yaml');
    writeFileSync(
      spec,
      readFileSync(spec, 'utf8').replace(
        /^( +)serverName: deep\.internal$/gm,
        `$1serverName: deep.internal\n$1presentedChain: ${JSON.stringify(deep.chain)}`,
      ),
    );
    const verify = await gwctl(['--format', 'json', 'verify-chain', spec], dir);
    assert.equal(verify.exitCode, 1, verify.stderr);
    const upstreams = JSON.parse(verify.stdout).upstreams as {
      name: string;
      ok: boolean;
      requiredDepth: number;
      verifyDepth: number;
      nginx: unknown;
    }[];
    assert.deepEqual(
      upstreams.map((u) => [u.name, u.ok, u.requiredDepth, u.verifyDepth, u.nginx]),
      [
        ['deep1', false, 2, 1, { code: 20, reason: 'unable to get local issuer certificate' }],
        ['deep2', true, 2, 2, null],
      ],
    );
  });

  test('the decK files vendored from Kong import as is, exit 0 with their warnings', async () => {
    for (const name of ['route-by-service-name.1.1.yaml', 'ca-certs-order.3.0.yaml', 'entities-with-tags.3.0.yaml']) {
      const out = `deck-${name}`;
      const r = await gwctl(['import', 'kong', join(REPO_ROOT, 'test/import/kong/deck', name), '--out', out], dir);
      assert.equal(r.exitCode, 0, `${name}: ${r.stderr}`);
      const validate = await gwctl(['validate', `${out}/gateway.yaml`], dir);
      assert.equal(validate.exitCode, 0, `${name}: ${validate.stderr}`);
    }
  });

  test('--format json: ok, where it wrote, and every finding with its Kong-file position', async () => {
    const file = kongFile(
      'warn.yml',
      '_format_version: "1.1"\nservices:\n- name: s\n  host: s.internal\n  routes:\n  - paths: [/a]\n    strip_path: false\n    methods: [POST]\n',
    );
    const r = await gwctl(['--format', 'json', 'import', 'kong', file, '--out', 'out-json'], dir);
    assert.equal(r.exitCode, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.ok, true);
    assert.equal(json.spec, join(dir, 'out-json', 'gateway.yaml'));
    assert.deepEqual(
      json.diagnostics.map((d: { code: string; line: number; column: number }) => `${d.line}:${d.column} ${d.code}`),
      ['8:5 kong.not-mapped'],
    );
  });

  test('an error in the Kong file: exit 1, its line and column, nothing written', async () => {
    const file = kongFile(
      'bad.yml',
      '_format_version: "3.0"\nservices:\n- name: s\n  url: https://s.internal\n  tls_verify: on\n',
    );
    const r = gwctlProcess(['import', 'kong', file, '--out', 'out-bad'], { cwd: dir });
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /bad\.yml:5:15 +error +tls_verify: expected true or false, not "on"/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
    assert.equal(existsSync(join(dir, 'out-bad')), false);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.includes('gwctl-import')),
      [],
    );
  });

  test('a DIR that is not empty is refused (exit 2) and left as it was', async () => {
    mkdirSync(join(dir, 'taken'));
    writeFileSync(join(dir, 'taken', 'gateway.yaml'), 'mine\n');
    const file = kongFile('ok.yml', '_format_version: "3.0"\nservices:\n- name: s\n  host: s.internal\n');
    const r = await gwctl(['import', 'kong', file, '--out', 'taken'], dir);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /taken is not empty/);
    assert.equal(readFileSync(join(dir, 'taken', 'gateway.yaml'), 'utf8'), 'mine\n');
  });

  test('health checks on one upstream and none on another: the result renders and passes nginx -t', async () => {
    const file = kongFile(
      'health.yml',
      `_format_version: "2.1"
services:
- name: checked
  host: checked-up
  routes: [{ paths: [/c/] }]
- name: unchecked
  host: 127.0.0.1
  port: 9
  routes: [{ paths: [/u/] }]
upstreams:
- name: checked-up
  healthchecks:
    active:
      http_path: /healthz
      healthy: { interval: 2, successes: 2 }
      unhealthy: { interval: 2, http_failures: 2 }
  targets: [{ target: "127.0.0.1:9" }]
`,
    );
    const r = await gwctl(['import', 'kong', file, '--out', 'out-health', '--flavor', 'nginx'], dir);
    assert.equal(r.exitCode, 0, r.stderr);
    const spec = readFileSync(join(dir, 'out-health/gateway.yaml'), 'utf8');
    assert.match(spec, /status:\n {2}port: 8100\n {2}address: 127\.0\.0\.1\n/);
    assert.match(spec, /unchecked:\n {4}servers:\n {6}- 127\.0\.0\.1:9\n(?! {4}hostHeader)/);
    const render = await gwctl(['render', 'out-health/gateway.yaml', '--out', 'rendered-health', '--test'], dir);
    assert.equal(render.exitCode, 0, render.stderr);
  });

  test('usage errors exit 2: no source, no --out, an unreadable Kong file, a bad --listen', async () => {
    const cases: [string[], RegExp][] = [
      [['import'], /name what to import: gwctl import kong KONG\.yml --out DIR/],
      [['import', 'kong', 'ok.yml'], /required option '--out <dir>' not specified/],
      [['import', 'kong', 'missing.yml', '--out', 'out-missing'], /missing\.yml: does not exist/],
      [
        ['import', 'kong', 'ok.yml', '--out', 'out-listen', '--listen', 'x:99999'],
        /--listen x:99999: expected PORT or ADDRESS:PORT/,
      ],
    ];
    kongFile('ok.yml', '_format_version: "3.0"\n');
    for (const [args, message] of cases) {
      const r = await gwctl(args, dir);
      assert.equal(r.exitCode, 2, args.join(' '));
      assert.match(r.stderr, message);
    }
    assert.equal(existsSync(join(dir, 'out-missing')), false);
    assert.equal(existsSync(join(dir, 'out-listen')), false);
  });

  test('--listen and --verify-default on reach the spec', async () => {
    const file = kongFile(
      'default.yml',
      `_format_version: "3.0"\nservices:\n- name: s\n  url: https://s.internal\n  ca_certificates: [00000000-0000-4000-8000-00000000000a]\nca_certificates:\n- id: 00000000-0000-4000-8000-00000000000a\n  cert: ${block(pem(root.cert), 2)}\n`,
    );
    const r = await gwctl(
      ['import', 'kong', file, '--out', 'out-default', '--verify-default', 'on', '--listen', '127.0.0.1:18000'],
      dir,
    );
    assert.equal(r.exitCode, 0, r.stderr);
    const spec = readFileSync(join(dir, 'out-default/gateway.yaml'), 'utf8');
    assert.match(spec, /listen:\n {2}- port: 18000\n {4}address: 127\.0\.0\.1\n/);
    assert.doesNotMatch(spec, /verify: false/);
  });
});
