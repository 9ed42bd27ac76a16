import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SPEC, exampleCopy } from './fixtures.js';

const BIN = fileURLToPath(new URL('../../../bin/gwctl.js', import.meta.url));
const PRECOMPILED = fileURLToPath(new URL('../../src/validate/gateway-schema.validate.cjs', import.meta.url));

const BUNDLE = fileURLToPath(new URL('../../cli/', import.meta.url));

/**
 * The modules inside each chunk of the bundled CLI (scripts/bundle.mjs writes esbuild's metafile),
 * so that loading a chunk counts as loading every module built into it.
 */
function chunkInputs(): Map<string, string[]> {
  const meta = JSON.parse(readFileSync(join(BUNDLE, 'meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  return new Map(
    Object.entries(meta.outputs).map(([out, o]) => [
      pathToFileURL(join(root, out)).href,
      Object.keys(o.inputs).map((i) => `bundled ${join(root, i)}`),
    ]),
  );
}

/**
 * Runs gwctl with loader hooks that log every module it loads (ESM resolutions and CJS requires);
 * a chunk of the bundle is expanded to the modules built into it.
 */
function loadedModules(args: string[], cwd: string): { exitCode: number | null; modules: string[] } {
  const hooks = mkdtempSync(join(tmpdir(), 'gwctl-hooks-'));
  const log = join(hooks, 'loaded.log');
  writeFileSync(
    join(hooks, 'preload.cjs'),
    [
      "const Module = require('node:module'); const fs = require('node:fs');",
      'const load = Module._load;',
      "Module._load = function (request) { fs.appendFileSync(process.env.GWCTL_LOAD_LOG, 'cjs ' + request + '\\n'); return load.apply(this, arguments); };",
    ].join('\n'),
  );
  writeFileSync(
    join(hooks, 'hooks.mjs'),
    [
      "import { appendFileSync } from 'node:fs';",
      'export async function resolve(specifier, context, next) {',
      '  const r = await next(specifier, context);',
      "  appendFileSync(process.env.GWCTL_LOAD_LOG, 'esm ' + r.url + '\\n');",
      '  return r;',
      '}',
    ].join('\n'),
  );
  writeFileSync(
    join(hooks, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(hooks, 'hooks.mjs')).href)});\n`,
  );
  writeFileSync(log, '');
  const r = spawnSync(
    process.execPath,
    [
      '--require',
      join(hooks, 'preload.cjs'),
      '--import',
      pathToFileURL(join(hooks, 'register.mjs')).href,
      BIN,
      ...args,
    ],
    {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, GWCTL_LOAD_LOG: log, NO_COLOR: '1' },
    },
  );
  const chunks = chunkInputs();
  const modules = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((m) => [m, ...(chunks.get(m.replace(/^esm /, '')) ?? [])]);
  return { exitCode: r.status, modules };
}

const HEAVY = [
  /node_modules\/@peculiar\//,
  /node_modules\/handlebars\//,
  /node_modules\/execa\//,
  /\/dist\/src\/tls\/chain\//,
  /\/dist\/src\/render\//,
];

test('validate loads none of what only verify-chain, render or test need', () => {
  const dir = exampleCopy('gwctl-startup-');
  const { exitCode, modules } = loadedModules(['validate', SPEC], dir);
  assert.equal(exitCode, 0);
  assert.ok(
    modules.some((m) => m.includes('/dist/src/commands/validate.js')),
    'the hooks saw gwctl load',
  );
  for (const heavy of HEAVY)
    assert.ok(
      !modules.some((m) => heavy.test(m)),
      `validate loaded ${heavy}: ${modules.filter((m) => heavy.test(m)).join(', ')}`,
    );
});

test('the module log can see heavy modules: render loads the templates and the chain engine', () => {
  const dir = exampleCopy('gwctl-startup-');
  const { exitCode, modules } = loadedModules(['render', SPEC, '--out', 'out'], dir);
  assert.equal(exitCode, 0);
  assert.ok(modules.some((m) => /node_modules\/handlebars\//.test(m)));
  assert.ok(modules.some((m) => /\/dist\/src\/tls\/chain\//.test(m)));
});

test("with the build's precompiled schema validator, validate does not load the ajv compiler", {
  skip: !existsSync(PRECOMPILED) && 'no precompiled validator: built with plain tsc, not npm run build',
}, () => {
  const dir = exampleCopy('gwctl-startup-');
  const { exitCode, modules } = loadedModules(['validate', SPEC], dir);
  assert.equal(exitCode, 0);
  assert.ok(modules.includes(`cjs ${PRECOMPILED}`), 'the precompiled validator was loaded');
  assert.ok(
    !modules.some((m) => m === 'cjs ajv' || m.startsWith('cjs ajv/dist/standalone')),
    modules.filter((m) => m.includes('ajv')).join('\n'),
  );
});
