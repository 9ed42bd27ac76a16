import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The ASN.1 stack costs tens of milliseconds to load, so the engine loads it on the first
 * certificate it parses (src/tls/chain/asn1.ts). Importing the engine must not load it; parsing
 * loads the schemas and asn1js only, never @peculiar/x509 with reflect-metadata and tsyringe
 * (another 100 ms) that parsing and verifying do not need.
 */
const engine = pathToFileURL(fileURLToPath(new URL('../../src/tls/chain/index.js', import.meta.url))).href;
const clientCert = pathToFileURL(fileURLToPath(new URL('../../src/tls/client-certificate.js', import.meta.url))).href;
const certificate = pathToFileURL(fileURLToPath(new URL('../../src/tls/chain/certificate.js', import.meta.url))).href;

function loadsDuring(script: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-lazy-'));
  try {
    const hook = join(dir, 'hook.cjs');
    writeFileSync(
      hook,
      [
        "const Module = require('node:module'); const load = Module._load; const seen = [];",
        'Module._load = function (request) { if (!seen.includes(request)) seen.push(request); return load.apply(this, arguments); };',
        'globalThis.__loaded = () => seen.filter((r) => /^(@peculiar\\/|reflect-metadata$|asn1js$|tsyringe$)/.test(r));',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, ['-r', hook, '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as string[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('importing the engine loads neither @peculiar/x509 nor reflect-metadata', () => {
  const loaded = loadsDuring(
    `await import(${JSON.stringify(engine)}); await import(${JSON.stringify(clientCert)}); console.log(JSON.stringify(globalThis.__loaded()));`,
  );
  assert.deepEqual(loaded, []);
});

test('parsing a certificate loads no ASN.1 package: the engine reads the DER itself', () => {
  const script = [
    "import { X509Certificate } from 'node:crypto';",
    `const { parseCertificate } = await import(${JSON.stringify(certificate)});`,
    // Any DER OpenSSL accepts will do: node ships its root store as PEM.
    "const tls = await import('node:tls');",
    'const der = new X509Certificate(tls.rootCertificates[0]).raw;',
    'const r = parseCertificate(der);',
    "if ('error' in r) throw new Error(r.error);",
    'console.log(JSON.stringify(globalThis.__loaded()));',
  ].join('\n');
  const loaded = loadsDuring(script);
  assert.deepEqual([...loaded].sort(), []);
});
