// Build step after tsc: bundles the CLI into dist/cli/ (esbuild), so a command loads a few files
// instead of some hundred modules: on a small spec, resolving and compiling modules was most of
// gwctl's start-up (docs/benchmark.md). Commands stay lazily loaded: each dynamic import becomes
// its own chunk. dist/cli/ sits at the depth of dist/src/, so src/package-root.ts finds the
// package's files from either build; the tests import dist/src/ and run bin/gwctl.js (this bundle).
import { rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = new URL('../dist/cli/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { gwctl: new URL('../dist/src/cli.js', import.meta.url).pathname },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  // Loaded as they are from node_modules, only by what builds certificates (stand-in keys, the
  // test PKI) or reads rare ASN.1 structures: reflect-metadata and tsyringe set up globals that
  // do not survive being bundled, and the chain engine shares @peculiar/x509's own copies of the
  // schemas (src/tls/chain/asn1.ts).
  external: ['@peculiar/*', 'asn1js', 'reflect-metadata', 'tsyringe', 'pvtsutils', 'pvutils'],
  // Bundled CommonJS packages (handlebars, commander) require Node's built-in modules.
  banner: {
    js: "import { createRequire as __gwctlRequire } from 'node:module'; const require = __gwctlRequire(import.meta.url);",
  },
  logLevel: 'warning',
  legalComments: 'none',
  metafile: true,
});
// Which modules went into which chunk: test/cli/startup.test.ts checks what each command loads.
writeFileSync(`${outdir}meta.json`, JSON.stringify(result.metafile));
