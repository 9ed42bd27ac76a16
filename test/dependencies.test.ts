import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './support/gwctl.js';

const DEPCRUISE = join(REPO_ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = join(REPO_ROOT, '.dependency-cruiser.cjs');

interface Cruise {
  summary: {
    violations: { rule: { name: string }; from: string; to: string; cycle?: { name: string }[] }[];
    totalCruised: number;
  };
}

function cruise(cwd: string): Cruise {
  const r = spawnSync(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8' });
  assert.ok(r.stdout, r.stderr);
  return JSON.parse(r.stdout) as Cruise;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [e.name] : [],
  );
}

test('src/ has no import cycle (type-only imports included) and depends in pipeline order (npm run depcheck)', () => {
  const result = cruise(REPO_ROOT);
  assert.deepEqual(
    result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`),
    [],
  );
  assert.ok(result.summary.totalCruised >= tsFiles(join(REPO_ROOT, 'src')).length, 'every module of src/ was cruised');
});

test('the rules can fail: a type-only cycle, a stage importing a later one, an engine internal used from outside', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-depcruise-'));
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
    }),
    'package.json': JSON.stringify({ type: 'module' }),
    'src/load/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
    'src/load/b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }\n",
    'src/analyze/x.ts': "import { y } from '../plan/y.js';\nexport const x = y;\n",
    'src/plan/y.ts': 'export const y = 1;\n',
    'src/tls/chain/index.ts': "export { inner } from './inner.js';\n",
    'src/tls/chain/inner.ts': 'export const inner = 1;\n',
    'src/tls/client.ts': "import { inner } from './chain/inner.js';\nexport const c = inner;\n",
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const got = cruise(dir)
    .summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)
    .sort();
  assert.deepEqual(got, [
    'chain-engine-through-its-index: src/tls/client.ts -> src/tls/chain/inner.ts',
    'no-circular: src/load/a.ts -> src/load/b.ts',
    'pipeline-order-analyze: src/analyze/x.ts -> src/plan/y.ts',
  ]);
});
