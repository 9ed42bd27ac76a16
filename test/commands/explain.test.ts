import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, rmSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gwctl } from '../support/gwctl.js';
import { nginxTest, startMtlsUpstream, startNginx, type RunningNginx } from '../support/nginx.js';
import { makePki, type PkiCert } from '../support/pki.js';
import { freePort, waitForPort } from '../support/ports.js';
import { request, startUpstream } from '../support/upstream.js';

/**
 * gwctl explain on lines real nginx wrote in this test: a gateway rendered by gwctl proxies to
 * upstreams that fail in each way nginx logs (verify errors, a name mismatch, a plain http port,
 * TLS alerts from openssl s_server, a server closing mid-handshake), an nginx upstream demanding
 * a client certificate writes its own line, and nginx -t meets a missing certificate file.
 */

let dir: string;
let root: PkiCert;
let gateway: RunningNginx;
let upstreamNginx: RunningNginx;
let gatewayPort: number;
const closers: (() => Promise<void> | void)[] = [];
const port: Record<string, number> = {};
const statuses: Record<string, number> = {};
const BIN = fileURLToPath(new URL('../../../bin/gwctl.js', import.meta.url));

function sServer(args: string[]): void {
  const child: ChildProcess = spawn('openssl', ['s_server', ...args, '-www'], { stdio: 'ignore' });
  closers.push(() => {
    child.kill();
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-explain-'));
  const pki = await makePki(join(dir, 'pki'));
  root = pki.root('Explain Root');
  const other = pki.root('Other Root');
  const int1 = pki.intermediate(root, 'Explain Int One');
  const int2 = pki.intermediate(int1, 'Explain Int Two');
  const deep = pki.leaf(int2, { cn: 'deep.internal', dns: ['deep.internal'] });
  const one = pki.leaf(int1, { cn: 'one.internal', dns: ['one.internal'] });
  const client = pki.leaf(root, { cn: 'gateway', client: true });
  const strangerClient = pki.leaf(other, { cn: 'stranger', client: true });
  for (const n of ['deep', 'alone', 'http', 'mtls13', 'mtls12', 'unknownCa', 'closer', 'nginxMtls'])
    port[n] = await freePort();
  gatewayPort = await freePort();
  for (const s of [
    await startUpstream({ label: 'deep', port: port.deep, chainFile: deep.chain, keyFile: deep.key }),
    await startUpstream({ label: 'alone', port: port.alone, chainFile: one.cert, keyFile: one.key }),
    await startUpstream({ label: 'http', port: port.http }),
  ])
    closers.push(() => s.close());
  const serve = ['-cert', one.cert, '-cert_chain', int1.cert, '-key', one.key];
  sServer(['-accept', `127.0.0.1:${port.mtls13}`, ...serve, '-Verify', '2', '-CAfile', root.cert]);
  sServer(['-accept', `127.0.0.1:${port.mtls12}`, ...serve, '-Verify', '2', '-CAfile', root.cert, '-tls1_2']);
  sServer([
    '-accept',
    `127.0.0.1:${port.unknownCa}`,
    ...serve,
    '-Verify',
    '2',
    '-CAfile',
    root.cert,
    '-tls1_2',
    '-verify_return_error',
  ]);
  // Reads the ClientHello, then hangs up without a word.
  const held = new Set<Socket>();
  const closer: Server = createServer((s) => {
    held.add(s);
    s.on('error', () => {});
    s.once('data', () => s.destroy());
  });
  await new Promise<void>((r) => closer.listen(port.closer, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const s of held) s.destroy();
        closer.close(() => r());
      }),
  );
  for (const p of [port.mtls13, port.mtls12, port.unknownCa]) await waitForPort(p);

  const prefix = join(dir, 'upstream-nginx');
  upstreamNginx = await startMtlsUpstream(prefix, {
    port: port.nginxMtls,
    chain: one.chain,
    key: one.key,
    clientCa: root.cert,
    logLevel: 'info',
  });
  closers.push(() => upstreamNginx.stop());

  const up = (name: string, p: number, tls: string) =>
    `  ${name}:\n    servers: ["127.0.0.1:${p}"]\n    keepalive: 0\n    tls: { trustStore: internal, ${tls} }`;
  writeFileSync(
    join(dir, 'gateway.yaml'),
    `version: 1
runtime: { flavor: nginx }
listen: [{ port: ${gatewayPort}, address: 127.0.0.1 }]
trustStores:
  internal: { certificates: ["${root.cert}"] }
clientCertificates:
  gw: { certificate: "${client.cert}", key: "${client.key}" }
  stranger: { certificate: "${strangerClient.cert}", key: "${strangerClient.key}" }
upstreams:
${up('deep', port.deep, `serverName: deep.internal, presentedChain: "${deep.chain}", verifyDepth: 1`)}
${up('wrongname', port.deep, `serverName: other.internal, presentedChain: "${deep.chain}", verifyDepth: 2`)}
${up('alone', port.alone, 'serverName: one.internal')}
${up('plain', port.http, 'serverName: one.internal')}
${up('mtls13', port.mtls13, 'serverName: one.internal, protocols: [TLSv1.3]')}
${up('mtls12', port.mtls12, 'serverName: one.internal')}
${up('unknownca', port.unknownCa, 'serverName: one.internal, clientCertificate: stranger')}
${up('closer', port.closer, 'serverName: one.internal')}
${up('nginxmtls', port.nginxMtls, 'serverName: one.internal')}
routes:
${['deep', 'wrongname', 'alone', 'plain', 'mtls13', 'mtls12', 'unknownca', 'closer', 'nginxmtls'].map((n) => `  - { path: /${n}/, upstream: ${n} }`).join('\n')}
`,
  );
  // verify-chain would refuse the deliberately failing chains: render them anyway for nginx.
  const r = await gwctl(['render', 'gateway.yaml', '--out', 'out'], dir);
  if (r.exitCode !== 0) {
    // deep and wrongname fail verification on purpose: render a copy without their presentedChain.
    const text = readFileSync(join(dir, 'gateway.yaml'), 'utf8').replace(/, presentedChain: "[^"]*"/g, '');
    writeFileSync(join(dir, 'render.yaml'), text);
    const again = await gwctl(['render', 'render.yaml', '--out', 'out'], dir);
    assert.equal(again.exitCode, 0, again.stderr);
  }
  gateway = await startNginx(join(dir, 'out'), gatewayPort);
  closers.push(() => gateway.stop());
  for (const n of ['deep', 'wrongname', 'alone', 'plain', 'mtls13', 'mtls12', 'unknownca', 'closer', 'nginxmtls'])
    statuses[n] = (await request(gatewayPort, `/${n}/`)).status;
});

after(async () => {
  for (const c of closers) await c();
});

type Ex = {
  line: string;
  count: number;
  kind: string;
  upstream: string | null;
  server: string | null;
  address: string | null;
  nginx: { code: number; reason: string; name?: string } | null;
  alert?: number;
  cause: string;
  reasons: string[];
  fix: string;
  fields: string[];
  verdict?: { nginx: { code: number } | null; agrees: boolean; findings: string[] };
};

function run(args: string[], input?: string): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: dir }, (e, stdout, stderr) =>
      resolve({ exitCode: e ? ((e as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
    child.stdin?.end(input ?? '');
  });
}

test('every upstream-TLS line the gateway logged is explained and placed on its upstream and server', async () => {
  assert.deepEqual(statuses, {
    deep: 502,
    wrongname: 502,
    alone: 502,
    plain: 502,
    mtls13: 502,
    mtls12: 502,
    unknownca: 502,
    closer: 502,
    nginxmtls: 400,
  });
  const log = join(dir, 'out', 'logs', 'error.log');
  const r = await run(['explain', '--log', log, '--spec', 'gateway.yaml', '--format', 'json']);
  assert.equal(r.exitCode, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { explanations: Ex[]; lines: number };
  const got = out.explanations.map((e) => [e.upstream, e.server, e.kind, e.nginx?.code ?? null, e.alert ?? null]);
  const at = (n: string) => `127.0.0.1:${port[n]}`;
  assert.deepEqual(got, [
    ['deep', at('deep'), 'verify-error', 20, null],
    ['wrongname', at('deep'), 'name-mismatch', 62, null],
    ['alone', at('alone'), 'verify-error', 21, null],
    ['plain', at('http'), 'not-tls', null, null],
    ['mtls13', at('mtls13'), 'handshake-alert', null, 116],
    ['mtls12', at('mtls12'), 'handshake-alert', null, 40],
    ['unknownca', at('unknownCa'), 'handshake-alert', null, 48],
    ['closer', at('closer'), 'peer-closed', null, null],
  ]);
  const deep = out.explanations[0];
  assert.deepEqual(deep.verdict?.nginx?.code, 20);
  assert.equal(deep.verdict?.agrees, true);
  assert.match(deep.fix, /verifyDepth 1 allows one intermediate/);
  assert.deepEqual(deep.fields, [
    'upstreams.deep.tls.verifyDepth',
    'upstreams.deep.tls.presentedChain',
    'trustStores.internal.certificates',
  ]);
  assert.deepEqual(out.explanations[1].fields, ['upstreams.wrongname.tls.serverName']);
  assert.deepEqual(out.explanations[6].fields, [
    'clientCertificates.stranger.certificate',
    'clientCertificates.stranger.key',
  ]);
});

test('the upstream nginx\'s own "client sent no required SSL certificate" line, with the 400 the gateway returned', async () => {
  const lines = upstreamNginx
    .errorLog()
    .split('\n')
    .filter((l) => l.includes('client sent no required SSL certificate'));
  assert.ok(lines.length >= 1, upstreamNginx.errorLog());
  const r = await run(['explain', lines[0], '--format', 'json']);
  assert.equal(r.exitCode, 0);
  const [e] = (JSON.parse(r.stdout) as { explanations: Ex[] }).explanations;
  assert.deepEqual(
    [e.kind, e.upstream, e.fields],
    ['client-certificate-missing', null, ['upstreams.UPSTREAM.tls.clientCertificate', 'clientCertificates']],
  );
  assert.match(e.cause, /answered 400 "No required SSL certificate was sent"/);
});

test('nginx -t: cannot load certificate, and a trusted-certificate file it cannot load', async () => {
  const outDir = join(dir, 'out');
  const conf = readFileSync(join(outDir, 'nginx.conf'), 'utf8');
  const file = /proxy_ssl_certificate "([^"]+)"/.exec(conf)?.[1];
  assert.ok(file, 'the rendered config presents a client certificate');
  const broken = join(dir, 'broken');
  mkdirSync(join(broken, 'logs'), { recursive: true });
  writeFileSync(join(broken, 'nginx.conf'), conf.replaceAll(`"${file}"`, '"tls/missing-client.pem"'));
  cpSync(join(outDir, 'tls'), join(broken, 'tls'), { recursive: true });
  const t = nginxTest(broken);
  assert.equal(t.ok, false);
  const line = t.output.split('\n').find((l) => l.includes('cannot load certificate'));
  assert.ok(line, t.output);
  const r = await run(['explain', '--format', 'json'], `${t.output}\n`);
  const ex = (JSON.parse(r.stdout) as { explanations: Ex[] }).explanations;
  assert.deepEqual(
    ex.map((e) => e.kind),
    ['cannot-load'],
  );
  assert.match(ex[0].cause, /does not exist/);
  // Now the config as rendered, without its trust bundles: every other file nginx loads is there,
  // so the first failure is a trust bundle's whatever order nginx builds the contexts in (the
  // profile locations' names come from content hashes of fresh certificates).
  writeFileSync(join(broken, 'nginx.conf'), conf);
  for (const m of conf.matchAll(/proxy_ssl_trusted_certificate "([^"]+)"/g))
    rmSync(join(broken, m[1]), { force: true });
  const t2 = nginxTest(broken);
  const r2 = await run(['explain', '--format', 'json'], `${t2.output}\n`);
  const ex2 = (JSON.parse(r2.stdout) as { explanations: Ex[] }).explanations;
  assert.deepEqual(
    ex2.map((e) => [e.kind, e.fields]),
    [['cannot-load', ['trustStores.STORE.certificates']]],
  );
});

test('human output: cause, reasons in order, fix, the field; a line that is not about upstream TLS says so (exit 1)', async () => {
  const log = readFileSync(join(dir, 'out', 'logs', 'error.log'), 'utf8');
  const line = log.split('\n').find((l) => l.includes('verify error: (21:'))!;
  const r = await run(['explain', line, '--spec', 'gateway.yaml']);
  assert.equal(r.exitCode, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(
    lines[0],
    'upstream SSL certificate verify error: (21:unable to verify the first certificate) while SSL handshaking to upstream',
  );
  assert.equal(
    lines[1],
    `  upstream: "alone", server 127.0.0.1:${port.alone} (nginx connected to 127.0.0.1:${port.alone})`,
  );
  assert.match(lines[2], /^ {2}cause: the upstream served its leaf without the intermediate/);
  assert.equal(lines[3], '  likely reasons, most likely first:');
  assert.match(lines[4], /^ {4}1\. the upstream serves only its leaf certificate$/);
  assert.ok(lines.includes('  in the spec: trustStores.internal.certificates'));
  const none = await run(['explain', '2026/12/07 10:00:00 [notice] 1#1: start worker process 2']);
  assert.equal(none.exitCode, 1);
  assert.match(none.stdout, /no upstream TLS line recognised among 1 line/);
  const bad = await run(['explain', 'x', '--log', 'nope.log']);
  assert.equal(bad.exitCode, 2);
});
