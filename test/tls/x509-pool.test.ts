import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makePki } from '../support/pki.js';
import { WORKER_FILE, decodeVerdicts, poolUse } from '../../src/tls/x509-pool.js';
import { x509Verdict } from '../../src/tls/x509-once.js';

/**
 * A big trust store's certificates are decoded by OpenSSL in worker processes (x509-pool.ts); the
 * verdicts must be exactly those of OpenSSL on the main thread, refusals and their words included.
 */
const COUNT = 2500;
const REFUSED_AT = 1234;

function pemOf(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** COUNT distinct DERs from one certificate (the end of its signature rewritten); the one at REFUSED_AT has a serial number OpenSSL refuses (an OCTET STRING tag). */
function variants(der: Buffer): Buffer[] {
  // TBSCertificate: [0] version (a0 03 02 01 02), then the serial INTEGER.
  const serial = der.indexOf(Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02])) + 5;
  assert.equal(der[serial], 0x02, 'serial INTEGER');
  return Array.from({ length: COUNT }, (_, i) => {
    const d = Buffer.from(der);
    d.writeUInt32BE(i + 1, d.length - 4);
    if (i === REFUSED_AT) d[serial] = 0x04;
    return d;
  });
}

async function store(
  dir: string,
): Promise<{ store: string; chain: string; ders: Buffer[]; serverName: string; refusedLine: number }> {
  const pki = await makePki(dir);
  const root = pki.root('Pool Test Root');
  const leaf = pki.leaf(root, { dns: ['pool.test'] });
  const rootDer = new X509Certificate(readFileSync(root.cert)).raw;
  const ders = variants(rootDer);
  const file = join(dir, 'big-store.pem');
  const rootPem = readFileSync(root.cert, 'utf8');
  writeFileSync(file, rootPem + ders.map(pemOf).join(''));
  const lines = (text: string) => text.split('\n').length - 1;
  const refusedLine = lines(rootPem) + ders.slice(0, REFUSED_AT).reduce((n, d) => n + lines(pemOf(d)), 0) + 1;
  return { store: file, chain: leaf.chain, ders, serverName: 'pool.test', refusedLine };
}

test('the workers give every certificate the verdict OpenSSL gives it on the main thread', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-pool-'));
  try {
    const { ders } = await store(dir);
    const sequential = ders.map((d) => {
      try {
        new X509Certificate(d);
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    });
    assert.equal(sequential.filter((v) => v !== null).length, 1);
    assert.equal(await decodeVerdicts(ders, { minimum: 1, workers: 2 }), COUNT);
    assert.deepEqual(poolUse, { runs: 1, certificates: COUNT, workers: 2 });
    assert.deepEqual(
      ders.map((d) => x509Verdict(d)),
      sequential,
    );
    // Known now: a second pass starts nothing.
    assert.equal(await decodeVerdicts(ders, { minimum: 1 }), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const dist = (p: string) => pathToFileURL(fileURLToPath(new URL(`../../src/${p}`, import.meta.url))).href;

/** Runs a command in a fresh process (the verdict cache is per process); `sequential`: the pool is never used. */
function run(command: string, args: unknown[], sequential: boolean): { result: unknown; pooled: number; runs: number } {
  const script = [
    `const pool = await import(${JSON.stringify(dist('tls/x509-pool.js'))});`,
    sequential ? 'pool.poolDefaults.minimum = Infinity;' : '',
    `const m = await import(${JSON.stringify(dist(`commands/${command}.js`))});`,
    `const ctx = { format: 'json', failSeverity: 'error', color: false, cwd: process.cwd(), now: new Date() };`,
    `const result = await m[${JSON.stringify(command === 'validate' ? 'validateCommand' : 'verifyChainFilesCommand')}](...${JSON.stringify(args)}, ctx);`,
    'console.log(JSON.stringify({ result, pooled: pool.poolUse.certificates, runs: pool.poolUse.runs }));',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { result: unknown; pooled: number; runs: number };
}

test('a big store with one certificate OpenSSL refuses: the parallel path reports exactly what the sequential one does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-pool-'));
  try {
    const s = await store(dir);
    const spec = join(dir, 'gateway.yaml');
    writeFileSync(
      spec,
      [
        'version: 1',
        'runtime: { flavor: nginx }',
        'listen:',
        '  - { port: 18080, address: 127.0.0.1 }',
        `trustStores:\n  big: { certificates: [${JSON.stringify(s.store)}] }`,
        `upstreams:\n  a: { servers: ["127.0.0.1:20000"], tls: { trustStore: big, serverName: ${s.serverName}, presentedChain: ${JSON.stringify(s.chain)} } }`,
        'routes:',
        '  - { path: /a/, upstream: a }',
        '',
      ].join('\n'),
    );
    const validate = [run('validate', [spec], false), run('validate', [spec], true)];
    assert.deepEqual(
      validate.map((v) => v.pooled),
      [COUNT + 2, 0],
    );
    assert.deepEqual(validate[0].result, validate[1].result);
    const { exitCode, stdout } = validate[0].result as { exitCode: number; stdout: string };
    assert.equal(exitCode, 1);
    assert.deepEqual(
      (JSON.parse(stdout) as { diagnostics: { code: string; message: string }[] }).diagnostics.map((d) => [
        d.code,
        d.message,
      ]),
      [
        [
          'pem.bad-certificate',
          `${s.store}: the certificate at line ${s.refusedLine} is not a valid X.509 certificate`,
        ],
      ],
    );
    const files = { chain: s.chain, ca: [s.store], name: s.serverName, warnDays: 30 };
    const verify = [run('verify-chain', [files], false), run('verify-chain', [files], true)];
    assert.deepEqual(
      verify.map((v) => v.pooled),
      [COUNT + 2, 0],
    );
    assert.deepEqual(verify[0].result, verify[1].result);
    const refused = (() => {
      try {
        new X509Certificate(s.ders[REFUSED_AT]);
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    })();
    const out = JSON.parse((verify[0].result as { stdout: string }).stdout) as {
      upstreams: { findings: { code: string; message: string; line: number }[] }[];
    };
    assert.deepEqual(
      out.upstreams[0].findings.map((f) => [f.code, f.line]),
      [
        ['chain.trust-store-unreadable', s.refusedLine],
        ['chain.trust-store-unloadable', s.refusedLine],
        ['chain.large-trust-store', 1],
      ],
    );
    assert.equal(
      out.upstreams[0].findings[0].message,
      `the trusted certificates holds a certificate nginx cannot load (OpenSSL cannot parse it (${refused})); nginx refuses to start`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a spec with an ordinary trust store starts no worker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-pool-'));
  try {
    const pki = await makePki(dir);
    const root = pki.root('Small Store Root');
    const leaf = pki.leaf(root, { dns: ['small.test'] });
    const r = run('verify-chain', [{ chain: leaf.chain, ca: [root.cert], name: 'small.test', warnDays: 30 }], false);
    assert.deepEqual([r.runs, r.pooled, (r.result as { exitCode: number }).exitCode], [0, 0, 0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the worker module is found from the package root, as the bundled CLI (dist/cli/) needs it', () => {
  // A worker that cannot start makes the pool fall back to the main thread without a word.
  const compiled = fileURLToPath(new URL('../../src/tls/x509-worker.js', import.meta.url));
  assert.equal(WORKER_FILE, compiled);
  assert.ok(existsSync(WORKER_FILE));
});

/** Runs the pool over `count` DERs of a fresh store in a child process (a shell line before it: `ulimit`). */
function poolRun(
  dir: string,
  ders: Buffer[],
  body: string,
  shell = '',
): { status: number | null; stdout: string; stderr: string } {
  const file = join(dir, 'ders.bin');
  writeFileSync(file, Buffer.concat(ders.flatMap((d) => [Buffer.from(Uint32Array.of(d.length).buffer), d])));
  const script = [
    `const pool = await import(${JSON.stringify(dist('tls/x509-pool.js'))});`,
    `const once = await import(${JSON.stringify(dist('tls/x509-once.js'))});`,
    `const { readFileSync } = await import('node:fs');`,
    `const all = readFileSync(${JSON.stringify(file)}); const ders = [];`,
    'for (let at = 0; at < all.length; ) { const n = all.readUInt32LE(at); ders.push(all.subarray(at + 4, at + 4 + n)); at += 4 + n; }',
    body,
  ].join('\n');
  const scriptFile = join(dir, 'run.mjs');
  writeFileSync(scriptFile, script);
  const r = spawnSync('bash', ['-c', `${shell} exec "${process.execPath}" "${scriptFile}"`], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A test that runs the pool in a child process over the DERs of a fresh store. */
function poolTest(name: string, check: (dir: string, ders: Buffer[]) => void): void {
  test(name, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gwctl-pool-'));
    try {
      check(dir, (await store(dir)).ders);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

poolTest('no more worker processes than batches, and none left running', (dir, ders) => {
  const r = poolRun(
    dir,
    ders.slice(0, 600),
    [
      'const n = await pool.decodeVerdicts(ders, { minimum: 100, workers: 8 });',
      'console.log(JSON.stringify([n, pool.poolUse.workers]));',
    ].join('\n'),
  );
  // 600 DERs are two batches of 500: two workers; and the process ends (they do too).
  assert.deepEqual([r.status, JSON.parse(r.stdout)], [0, [600, 2]], r.stderr);
});

poolTest(
  "with no file descriptors left to start workers, every verdict is still OpenSSL's, from the main process",
  (dir, ders) => {
    const r = poolRun(
      dir,
      ders,
      [
        'const n = await pool.decodeVerdicts(ders, { minimum: 1, workers: 2 });',
        'const refused = ders.map((d) => once.x509Verdict(d)).filter((v) => v !== null).length;',
        'console.log(JSON.stringify([n, refused]));',
      ].join('\n'),
      'ulimit -n 20;',
    );
    assert.equal(r.status, 0, r.stderr);
    const [decoded, refused] = JSON.parse(r.stdout) as [number, number];
    assert.deepEqual([decoded < COUNT, refused], [true, 1]);
  },
);

poolTest('a read that fails while the workers decode: the error comes back and the process can end', (dir, ders) => {
  const r = poolRun(
    dir,
    ders,
    [
      'function* failing() { for (const [i, d] of ders.entries()) { if (i === 2000) throw new Error("read failed"); yield d; } }',
      'await pool.decodeVerdicts(failing(), { minimum: 1, workers: 2 }).catch((e) => console.log(e.message));',
    ].join('\n'),
  );
  assert.deepEqual([r.status, r.stdout.trim()], [0, 'read failed'], r.stderr);
});
