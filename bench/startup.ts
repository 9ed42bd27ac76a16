/**
 * `npm run bench:startup`: what one gwctl invocation costs, as a pre-commit hook pays it on every
 * commit. Runs each command N times (interleaved, after warm-up runs) and prints median and
 * spread next to a bare `node -e 0`. Options:
 *   --runs N        runs per command (default 30)
 *   --write-docs    also write the table into docs/startup.md (between the bench markers)
 *
 * "validate, schema compiled at run time" runs a copy of the build without the precompiled
 * schema validator (dist/src/validate/gateway-schema.validate.cjs), i.e. gwctl before that
 * optimisation, so the two can be compared on the same machine in the same run.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DOC = join(REPO, 'docs/startup.md');
const BEGIN = '<!-- bench:startup:begin (written by npm run bench:startup -- --write-docs) -->';
const END = '<!-- bench:startup:end -->';
const EXAMPLE = join(REPO, 'examples/mtls-upstream/gateway.yaml');

interface Case {
  name: string;
  argv: string[];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A copy of the built package without the precompiled validator: gwctl compiling its schema with ajv at run time. */
function runtimeCompiledCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-startup-'));
  for (const p of ['bin', 'dist/src', 'templates', 'schemas', 'package.json'])
    cpSync(join(REPO, p), join(dir, p), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  rmSync(join(dir, 'dist/src/validate/gateway-schema.validate.cjs'), { force: true });
  return dir;
}

function once(argv: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd: REPO, stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited with ${r.status}`);
  return ms;
}

function quantile(sorted: number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

function main(): void {
  const runs = Number(arg('--runs') ?? 30);
  const bin = join(REPO, 'bin/gwctl.js');
  if (!existsSync(join(REPO, 'dist/src/validate/gateway-schema.validate.cjs'))) {
    throw new Error('no precompiled validator in dist/: run `npm run build` (not plain tsc) first');
  }
  const copy = runtimeCompiledCopy();
  const out = mkdtempSync(join(tmpdir(), 'gwctl-startup-out-'));
  const node = process.execPath;
  if (spawnSync(node, [bin, 'render', EXAMPLE, '--out', join(out, 'o')], { stdio: 'ignore' }).status !== 0)
    throw new Error('render of the example failed');
  const cases: Case[] = [
    { name: 'node -e 0 (bare Node.js)', argv: [node, '-e', '0'] },
    { name: 'gwctl --version', argv: [node, bin, '--version'] },
    { name: 'gwctl validate (example)', argv: [node, bin, 'validate', EXAMPLE] },
    {
      name: 'gwctl validate, schema compiled at run time',
      argv: [node, join(copy, 'bin/gwctl.js'), 'validate', EXAMPLE],
    },
    { name: 'gwctl verify-chain (example)', argv: [node, bin, 'verify-chain', EXAMPLE] },
    {
      name: 'gwctl render --check (example)',
      argv: [node, bin, 'render', EXAMPLE, '--out', join(out, 'o'), '--check'],
    },
  ];
  try {
    for (const c of cases) for (let i = 0; i < 3; i++) once(c.argv);
    const times = cases.map(() => [] as number[]);
    for (let i = 0; i < runs; i++) cases.forEach((c, k) => times[k].push(once(c.argv)));
    const base = quantile(
      [...times[0]].sort((a, b) => a - b),
      0.5,
    );
    const rows = cases.map((c, k) => {
      const s = [...times[k]].sort((a, b) => a - b);
      const median = quantile(s, 0.5);
      return `| ${c.name} | ${median.toFixed(0)} | ${quantile(s, 0.1).toFixed(0)}–${quantile(s, 0.9).toFixed(0)} | ${k === 0 ? '—' : `+${(median - base).toFixed(0)}`} |`;
    });
    const table = [
      `Node.js ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${runs} runs each, interleaved, after 3 warm-up runs; wall-clock ms per process.`,
      '',
      '| command | median ms | p10–p90 ms | over bare node, ms |',
      '| --- | ---: | ---: | ---: |',
      ...rows,
    ].join('\n');
    process.stdout.write(`${table}\n`);
    if (process.argv.includes('--write-docs')) {
      const doc = readFileSync(DOC, 'utf8');
      const a = doc.indexOf(BEGIN);
      const b = doc.indexOf(END);
      if (a < 0 || b < a) throw new Error(`${DOC}: bench markers not found`);
      writeFileSync(DOC, `${doc.slice(0, a + BEGIN.length)}\n${table}\n${doc.slice(b)}`);
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
}

main();
