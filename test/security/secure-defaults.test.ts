import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gwctl } from '../support/gwctl.js';
import { nginxTest } from '../support/nginx.js';
import { makePki, type PkiCert } from '../support/pki.js';
import { Gateway, one, parseConf } from './nginx-conf.js';
import { runBin } from './support.js';

/**
 * Secure by default: verification and SNI are on unless the spec says otherwise in so many
 * words; turning verification off needs a reason, which is written into nginx.conf and
 * reported on every run; an IP as the server name, and a public CA bundle as an internal
 * upstream's trust store, are called out.
 */

let dir: string;
let root: PkiCert;
let leaf: PkiCert;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-defaults-'));
  const pki = await makePki(join(dir, 'pki'));
  root = pki.root('Defaults Root CA');
  leaf = pki.leaf(root, { cn: 'orders.internal', dns: ['orders.internal'] });
});

const spec = (tls: string, extraStores = '') => `version: 1
listen: [{ port: 18080 }]
trustStores:
  internal: { certificates: ["${root.cert}"] }${extraStores}
upstreams:
  orders:
    servers: ["127.0.0.1:9443"]
    tls: ${tls}
routes: [{ path: /orders/, upstream: orders }]
`;

async function render(text: string, out = 'out') {
  writeFileSync(join(dir, 'gw.yaml'), text);
  return gwctl(['render', 'gw.yaml', '--out', out], dir);
}

/** The TLS directives nginx applies to a request for /orders/ (following the rendered routing). */
function profileFor(out: string) {
  const gw = new Gateway(parseConf(readFileSync(join(dir, out, 'nginx.conf'), 'utf8')));
  const r = gw.resolve(gw.serverFor('18080', 'any.example'), 'any.example', '/orders/x');
  const get = (name: string) => {
    const d = one(r.location, name);
    return d ? d.args.map((a) => r.value(a)).join(' ') : undefined;
  };
  return { scheme: r.scheme, get };
}

test('a TLS upstream with only trustStore and serverName: verification on, SNI on, name, trust file and depth explicit', async () => {
  const r = await render(
    spec(`{ trustStore: internal, serverName: orders.internal, presentedChain: "${leaf.chain}" }`),
  );
  assert.equal(r.exitCode, 0, r.stderr);
  const p = profileFor('out');
  assert.equal(p.scheme, 'https');
  assert.equal(p.get('proxy_ssl_verify'), 'on');
  assert.equal(p.get('proxy_ssl_server_name'), 'on');
  assert.equal(p.get('proxy_ssl_name'), 'orders.internal');
  assert.match(p.get('proxy_ssl_trusted_certificate')!, /^tls\/trust-internal-[0-9a-f]+\.pem$/);
  assert.match(p.get('proxy_ssl_verify_depth')!, /^\d+$/);
  assert.ok(nginxTest(join(dir, 'out')).ok);
});

test('verification on needs a trust store and a server name', async () => {
  for (const [tls, code] of [
    ['{ serverName: orders.internal }', 'tls.trust-store-required'],
    ['{ trustStore: internal }', 'tls.server-name-required'],
  ]) {
    const r = await render(spec(tls), 'never');
    assert.equal(r.exitCode, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^gw\\.yaml:8:10  error .*\\[${code.replace('.', '\\.')}\\]$`, 'm'));
  }
});

test('verify: false needs an insecureReason; with one it is rendered as a comment and warned about on every run', async () => {
  const without = await render(spec('{ verify: false }'), 'never');
  assert.equal(without.exitCode, 1);
  assert.match(
    without.stderr,
    /^gw\.yaml:8:\d+  error +verify: false turns certificate checks off .*\[tls\.insecure-without-reason\]$/m,
  );

  const text = spec('{ verify: false, insecureReason: "vendor appliance; self-signed, replaced in Q3" }');
  writeFileSync(join(dir, 'gw.yaml'), text);
  for (const args of [
    ['render', 'gw.yaml', '--out', 'insecure'],
    ['render', 'gw.yaml', '--out', 'insecure'],
    ['validate', 'gw.yaml'],
  ]) {
    const r = await runBin(args, { cwd: dir });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(
      r.stderr,
      /^gw\.yaml:8:\d+  warning +certificate verification is OFF for upstream "orders": vendor appliance; self-signed, replaced in Q3  \[tls\.verify-off\]$/m,
      `${args.join(' ')}: warned`,
    );
  }
  const conf = readFileSync(join(dir, 'insecure/nginx.conf'), 'utf8');
  assert.match(
    conf,
    /^# WARNING: upstream orders does NOT verify its certificate: vendor appliance; self-signed, replaced in Q3$/m,
  );
  assert.equal(profileFor('insecure').get('proxy_ssl_verify'), 'off');
  assert.equal(profileFor('insecure').get('proxy_ssl_server_name'), 'on', 'SNI stays on');
  const strict = await runBin(['--fail-severity', 'warning', 'render', 'gw.yaml', '--out', 'insecure'], { cwd: dir });
  assert.equal(strict.exitCode, 1, 'CI can refuse it with --fail-severity warning');
});

test('an IP address as serverName is an error that explains nginx never matches IP SANs', async () => {
  const r = await render(spec('{ trustStore: internal, serverName: 10.0.0.12 }'), 'never');
  assert.equal(r.exitCode, 1);
  assert.match(
    r.stderr,
    /^gw\.yaml:8:\d+  error +serverName "10\.0\.0\.12" is an IP address: .*X509_check_host.*never matches, even when the certificate lists it as an IP SAN.*\[tls\.ip-server-name\]$/m,
  );
});

test("a public CA bundle as an internal upstream's trust store is a warning naming the risk", async () => {
  const text = spec(
    '{ trustStore: public, serverName: orders.internal }',
    '\n  public: { certificates: [/etc/ssl/certs/ca-certificates.crt] }',
  ).replace('  internal: { certificates', '  unusedInternal: { certificates');
  const r = await render(text, 'public');
  assert.equal(r.exitCode, 0, r.stderr);
  const line = text.split('\n').findIndex((l) => l.includes('ca-certificates.crt')) + 1;
  assert.match(
    r.stderr,
    new RegExp(
      `^gw\\.yaml:${line}:\\d+  warning +trust store "public" holds \\d+ public Web PKI roots .*impersonate.*\\[trust\\.public-bundle\\]$`,
      'm',
    ),
  );
});
