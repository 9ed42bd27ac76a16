import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gwctl } from '../support/gwctl.js';
import { boundDiagnostics, MAX_MESSAGE_CHARS, MAX_PER_CODE } from '../../src/format/bound.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';

/**
 * Hostile specs under the size caps: thousands of bad upstreams, unknown keys, duplicate routes,
 * one huge value. The output stays bounded (per code, per message) while the totals stay exact,
 * and the work grows linearly: CPU time at 4x the input stays far below the 16x a quadratic step
 * would take (a ratio of minimum CPU times, not a timed assertion).
 */
const dir = mkdtempSync(join(tmpdir(), 'gwctl-bounds-'));

function badUpstreams(n: number): string {
  const out = ['version: 1', 'listen: [{ port: 8080 }]', 'upstreams:'];
  for (let i = 0; i < n; i++)
    out.push(
      `  u${i}:\n    servers: ["bad host ${i}:99999"]\n    tls: { trustStore: missing${i}, serverName: "x..y" }`,
    );
  out.push('routes:');
  for (let i = 0; i < n; i++) out.push(`  - { path: /r${i}/, upstream: nope${i} }`);
  return `${out.join('\n')}\n`;
}

function unknownKeys(n: number): string {
  const keys = Array.from({ length: n }, (_, i) => `    unknown${i}: 1`).join('\n');
  return `version: 1\nlisten: [{ port: 8080 }]\nupstreams:\n  a:\n    servers: ["a.internal:80"]\n${keys}\nroutes: [{ path: /, upstream: a }]\n`;
}

function duplicateRoutes(n: number): string {
  const routes = Array.from({ length: n }, () => '  - { path: /dup/, upstream: a }').join('\n');
  return `version: 1\nlisten: [{ port: 8080 }]\nupstreams:\n  a:\n    servers: ["a.internal:80"]\nroutes:\n${routes}\n`;
}

async function validate(name: string, text: string, format: 'human' | 'json' = 'human') {
  writeFileSync(join(dir, name), text);
  return gwctl(['validate', name, '--format', format], dir);
}

test('2,000 bad upstreams: at most 20 lines per code and one "more like this" line, exact totals', async () => {
  const r = await validate('bad.yaml', badUpstreams(2000));
  assert.equal(r.exitCode, 1);
  const lines = r.stderr.trimEnd().split('\n');
  const perCode = new Map<string, number>();
  for (const l of lines) {
    const code = /\[([a-z.-]+)\]$/.exec(l)?.[1];
    if (code && !l.startsWith('…')) perCode.set(code, (perCode.get(code) ?? 0) + 1);
  }
  assert.deepEqual(Object.fromEntries(perCode), {
    'ref.unused': MAX_PER_CODE,
    'upstream.bad-server': MAX_PER_CODE,
    'ref.unknown': MAX_PER_CODE,
    'tls.bad-server-name': MAX_PER_CODE,
  });
  assert.deepEqual(
    lines.filter((l) => l.startsWith('…')),
    [
      '… 1980 more like this (error) [upstream.bad-server]',
      '… 3980 more like this (error) [ref.unknown]',
      '… 1980 more like this (error) [tls.bad-server-name]',
      '… 1980 more like this (warning) [ref.unused]',
    ],
  );
  assert.equal(lines.at(-1), '8000 error(s), 2000 warning(s)');
  assert.ok(r.stderr.length < 20_000, `${r.stderr.length} bytes`);
  // An unknown name no longer lists every declared one.
  assert.ok(
    lines.every((l) => l.length < 400),
    'every line is short',
  );
});

test('JSON: diagnostics bounded per code, `omitted` says how many of each were left out, ok is decided on all', async () => {
  const r = await validate('bad.yaml', badUpstreams(2000), 'json');
  const out = JSON.parse(r.stdout) as {
    ok: boolean;
    diagnostics: { code: string }[];
    omitted: { code: string; severity: string; count: number }[];
  };
  assert.equal(out.ok, false);
  const counts = new Map<string, number>();
  for (const d of out.diagnostics) counts.set(d.code, (counts.get(d.code) ?? 0) + 1);
  for (const o of out.omitted) counts.set(o.code, (counts.get(o.code) ?? 0) + o.count);
  assert.deepEqual(Object.fromEntries(counts), {
    'ref.unused': 2000,
    'upstream.bad-server': 2000,
    'ref.unknown': 4000,
    'tls.bad-server-name': 2000,
  });
  assert.equal(out.diagnostics.length, 4 * MAX_PER_CODE);
  assert.ok(r.stdout.length < 40_000, `${r.stdout.length} bytes`);
  // A clean spec's JSON has no `omitted` field at all (the contract's shape, unchanged).
  const clean = await validate('clean.yaml', duplicateRoutes(1), 'json');
  assert.deepEqual(Object.keys(JSON.parse(clean.stdout)).includes('omitted'), false);
});

test('--format github: 20 annotations per code, then one notice per code saying how many more', async () => {
  writeFileSync(join(dir, 'bad.yaml'), badUpstreams(2000));
  const r = await gwctl(['validate', 'bad.yaml', '--format', 'github'], dir);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 4 * MAX_PER_CODE + 4);
  assert.deepEqual(
    lines.slice(-4).map((l) => l.replace(/^::notice title=([^:]+)::/, '$1 ')),
    [
      'upstream.bad-server … 1980 more like this (error) [upstream.bad-server]',
      'ref.unknown … 3980 more like this (error) [ref.unknown]',
      'tls.bad-server-name … 1980 more like this (error) [tls.bad-server-name]',
      'ref.unused … 1980 more like this (warning) [ref.unused]',
    ],
  );
});

test('one huge value is echoed in at most a few lines and 20 KB', async () => {
  const huge = 'k'.repeat(3_000_000);
  const r = await validate(
    'huge.yaml',
    `version: 1\nlisten: [{ port: 8080 }]\nupstreams:\n  a:\n    servers: ["a.internal:80"]\n    ${huge}: 1\nroutes: [{ path: /, upstream: a }]\n`,
  );
  assert.equal(r.exitCode, 1);
  assert.ok(r.stderr.length < 20_000, `${r.stderr.length} bytes`);
  assert.ok(r.stderr.split('\n').length <= 4, r.stderr.slice(0, 500));
});

test('a message longer than the cap is cut with a note; the per-code cap keeps the first of each code in order', () => {
  const d = (code: string, message = 'm'): Diagnostic => ({ code, severity: 'error', message, path: [] });
  const many = [...Array.from({ length: 25 }, (_, i) => d('a', `a${i}`)), d('b', 'x'.repeat(MAX_MESSAGE_CHARS + 5))];
  const { shown, omitted } = boundDiagnostics(many);
  assert.deepEqual(
    shown.map((s) => s.message.slice(0, 3)),
    [...Array.from({ length: MAX_PER_CODE }, (_, i) => `a${i}`.slice(0, 3)), 'xxx'],
  );
  assert.equal(shown.at(-1)!.message, `${'x'.repeat(MAX_MESSAGE_CHARS)}… (5 more characters)`);
  assert.deepEqual(omitted, [{ code: 'a', severity: 'error', count: 5 }]);
});

/** Minimum CPU time (user + system, ms) of `runs` in-process validations. */
async function cpu(name: string, text: string, runs = 3): Promise<number> {
  writeFileSync(join(dir, name), text);
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.cpuUsage();
    await gwctl(['validate', name], dir);
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

test('the work grows linearly: 4x the upstreams, unknown keys or routes costs well under 16x (quadratic)', async (t) => {
  await cpu('warm.yaml', badUpstreams(50), 1); // load every module first
  const ratios: Record<string, number> = {};
  for (const [kind, make, n] of [
    ['bad upstreams', badUpstreams, 1000],
    ['unknown keys', unknownKeys, 4000],
    ['duplicate routes', duplicateRoutes, 2500],
  ] as const) {
    const small = await cpu(`${kind}-1.yaml`, make(n));
    const large = await cpu(`${kind}-4.yaml`, make(4 * n));
    ratios[kind] = Math.round((large / small) * 10) / 10;
  }
  t.diagnostic(`CPU time ratios at 4x input: ${JSON.stringify(ratios)}`);
  for (const [kind, ratio] of Object.entries(ratios)) assert.ok(ratio < 9, `${kind}: ${ratio}x`);
});
