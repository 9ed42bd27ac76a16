// Build step after tsc: bundles the CLI into dist/cli/ (esbuild), so a command loads a few files
// instead of some hundred modules: on a small spec, resolving and compiling modules was most of
// gwctl's start-up (docs/benchmark.md). Commands stay lazily loaded: each dynamic import becomes
// its own chunk. dist/cli/ sits at the depth of dist/src/, so src/package-root.ts finds the
// package's files from either build; the tests import dist/src/ and run bin/gwctl.js (this bundle).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = new URL('../dist/cli/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { gwctl: new URL('../dist/src/cli.js', import.meta.url).pathname },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  // Bundled CommonJS packages (handlebars, commander) require Node's built-in modules.
  banner: {
    js: "import { createRequire as __gwctlRequire } from 'node:module'; const require = __gwctlRequire(import.meta.url);",
  },
  logLevel: 'warning',
  legalComments: 'none',
});
