import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nginxTest } from '../support/nginx.js';
import { makePki, type PkiCert } from '../support/pki.js';
import { STACK_TRACE, runBin, snapshot, snapshotDiff, startBin } from './support.js';

/**
 * Atomic output, through the real bin: a render killed with SIGKILL at any moment leaves DIR
 * either as the previous output or as the new one, never a mix, and nginx -t passes on it; the
 * next render cleans up whatever the killed one left. Concurrent renders of two specs into one
 * DIR end as exactly one of them, and DIR is consistent while they run.
 *
 * "Consistent" is checked the way nginx sees DIR: nginx.conf is one of the two complete
 * renderings, and every file in the expected output of that rendering is there, byte for byte.
 * The only other files allowed are the other rendering's content-addressed files in tls/
 * (new ones not yet referenced, or stale ones not yet removed) — the next render removes them.
 *
 * GWCTL_KILL_RUNS sets the number of kills (default 16); half land anywhere in the run, half
 * while the render swaps files into DIR.
 */
const KILL_RUNS = Number(process.env.GWCTL_KILL_RUNS ?? 16);

let dir: string;
/** Expected complete outputs (nginx.conf and tls/), rendered into sibling directories. */
let oldOut: Map<string, string>;
let newOut: Map<string, string>;
let renderMs: number;

/** A spec with `n` TLS upstreams, each with its own trust bundle (so its own tls/ file), and a route each. */
function bigSpec(tag: string, bundles: string[], routesPerUpstream: number): string {
  const lines = [
    'version: 1',
    'runtime: { flavor: nginx }',
    'listen:',
    '  - { port: 18080, address: 127.0.0.1 }',
    'trustStores:',
  ];
  bundles.forEach((b, i) => lines.push(`  ts${i}: { certificates: ["${b}"] }`));
  lines.push('upstreams:');
  bundles.forEach((_, i) =>
    lines.push(
      `  u${i}:`,
      `    servers: ["127.0.0.1:${20000 + i}"]`,
      `    tls: { trustStore: ts${i}, serverName: u${i}.internal }`,
    ),
  );
  lines.push('routes:');
  bundles.forEach((_, i) => {
    for (let r = 0; r < routesPerUpstream; r++) lines.push(`  - { path: /${tag}/u${i}/r${r}/, upstream: u${i} }`);
  });
  return `${lines.join('\n')}\n`;
}

/** The parts of an output that the render owns (nginx.conf, tls/), keyed by path. */
function owned(s: Map<string, string>): Map<string, string> {
  return new Map([...s].filter(([k]) => k === 'nginx.conf' || (k.startsWith('tls/') && k !== 'tls/')));
}

type State = 'old' | 'old+pending' | 'new+stale' | 'new';

/** Classifies DIR or fails: it must be the old or the new output, plus only the allowed leftovers. */
function classify(out: string): State {
  const now = owned(snapshot(out));
  const conf = now.get('nginx.conf');
  const [base, other, name] =
    conf === oldOut.get('nginx.conf')
      ? ([oldOut, newOut, 'old'] as const)
      : conf === newOut.get('nginx.conf')
        ? ([newOut, oldOut, 'new'] as const)
        : [undefined, undefined, undefined];
  assert.ok(
    base && other && name,
    `nginx.conf is neither the old nor the new rendering:\n${(conf ?? '(missing)').slice(0, 400)}`,
  );
  for (const [k, v] of base)
    assert.equal(now.get(k), v, `${k} of the ${name} output is missing or changed while nginx.conf is the ${name} one`);
  const extra = [...now.keys()].filter((k) => !base.has(k));
  for (const k of extra) assert.equal(now.get(k), other.get(k), `${k} is in DIR but belongs to neither rendering`);
  if (!extra.length) return name;
  return name === 'old' ? 'old+pending' : 'new+stale';
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-atomic-'));
  const pki = await makePki(join(dir, 'pki'));
  const roots: PkiCert[] = Array.from({ length: 8 }, (_, i) => pki.root(`Atomic Root ${i}`));
  // 2 x 40 distinct bundles from 8 roots: every upstream's trust file differs, old from new too.
  const bundles = (offset: number) =>
    Array.from({ length: 40 }, (_, i) =>
      pki.bundle(
        `b${offset + i}.pem`,
        roots.filter((_, k) => ((offset + i + 1) >> k) & 1),
      ),
    );
  writeFileSync(join(dir, 'old.yaml'), bigSpec('old', bundles(0), 3));
  writeFileSync(join(dir, 'new.yaml'), bigSpec('new', bundles(100), 3));
  renderMs = Infinity;
  for (const [spec, out] of [
    ['old.yaml', 'ref-old'],
    ['new.yaml', 'ref-new'],
    ['new.yaml', 'ref-new'],
  ]) {
    const t0 = Date.now();
    const r = await runBin(['render', spec, '--out', out], { cwd: dir });
    renderMs = Math.min(renderMs, Date.now() - t0);
    assert.equal(r.exitCode, 0, r.stderr);
  }
  oldOut = owned(snapshot(join(dir, 'ref-old')));
  newOut = owned(snapshot(join(dir, 'ref-new')));
  assert.ok([...oldOut.keys()].filter((k) => k.startsWith('tls/')).length >= 40);
  assert.ok(
    [...oldOut.keys()].every((k) => k === 'nginx.conf' || !newOut.has(k)),
    'old and new share no tls/ file, so a mix would show',
  );
});

/** Puts DIR back to exactly the old output through a normal render (which also recovers from a kill). */
async function resetToOld(out: string): Promise<void> {
  const r = await runBin(['render', 'old.yaml', '--out', 'out'], { cwd: dir });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(owned(snapshot(out)), oldOut, 'the next render restored exactly the old output');
  const leftovers = readdirSync(dir).filter((n) => n.startsWith('.out.'));
  assert.deepEqual(leftovers, [], 'no staging directory or lock left beside DIR after a normal render');
}

/**
 * Starts `render new.yaml` and kills it: at a random moment of the whole run ("anytime"), or a
 * random few milliseconds after the first new file lands in DIR/tls ("swapping"), which is
 * when DIR starts to change: the window between the first new file and the last stale one.
 */
async function renderAndKill(out: string, mode: 'anytime' | 'swapping', fraction: number) {
  const { child, done } = startBin(['render', 'new.yaml', '--out', 'out'], { cwd: dir });
  if (mode === 'anytime') {
    await sleep(Math.round(renderMs * fraction));
    child.kill('SIGKILL');
  } else {
    const watcher = watch(join(out, 'tls'), () => {
      watcher.close();
      const ms = Math.floor(fraction * 6);
      if (ms === 0) child.kill('SIGKILL');
      else setTimeout(() => child.kill('SIGKILL'), ms);
    });
    void done.finally(() => watcher.close());
  }
  return done;
}

test('a render killed with SIGKILL at any moment leaves the old or the new output, never a mix', async (t) => {
  const out = join(dir, 'out');
  const seen: Record<string, number> = {};
  for (let i = 0; i < KILL_RUNS; i++) {
    await resetToOld(out);
    const full = snapshot(out);
    const mode = i % 2 === 0 ? 'anytime' : 'swapping';
    const r = await renderAndKill(out, mode, Math.random());
    assert.doesNotMatch(r.stderr, STACK_TRACE);
    const state = r.signal === 'SIGKILL' ? classify(out) : 'finished';
    seen[`${mode}:${state}`] = (seen[`${mode}:${state}`] ?? 0) + 1;
    if (state === 'old')
      assert.deepEqual(snapshotDiff(full, snapshot(out)), [], 'killed before the swap: DIR is exactly as it was');
    if (state === 'finished') assert.equal(classify(out), 'new');
    if (state !== 'old') {
      const ok = nginxTest(out);
      assert.ok(ok.ok, `nginx -t after a kill (${state}): ${ok.output}`);
    }
  }
  t.diagnostic(`states after SIGKILL (${KILL_RUNS} runs, render ~${renderMs} ms): ${JSON.stringify(seen)}`);
  // The property is only shown if some kills landed while DIR was changing.
  const midSwap =
    (seen['swapping:old+pending'] ?? 0) +
    (seen['swapping:new+stale'] ?? 0) +
    (seen['anytime:old+pending'] ?? 0) +
    (seen['anytime:new+stale'] ?? 0);
  if (KILL_RUNS >= 8) assert.ok(midSwap > 0, `no kill landed while DIR was changing: ${JSON.stringify(seen)}`);
  await resetToOld(out);
});

test('two renders of different specs into one DIR end as exactly one of them, consistent all along', async () => {
  const out = join(dir, 'race');
  cpSync(join(dir, 'ref-old'), out, { recursive: true });
  for (let round = 0; round < 3; round++) {
    const a = startBin(['render', 'old.yaml', '--out', 'race'], { cwd: dir });
    const b = startBin(['render', 'new.yaml', '--out', 'race'], { cwd: dir });
    let running = true;
    // Checks DIR over and over while both renders run; a listing that races a rename (a file
    // listed, then gone before it is read) proves nothing either way and is skipped.
    const watcher = (async () => {
      let checks = 0;
      while (running) {
        try {
          classify(out);
          checks++;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
        await sleep(2);
      }
      return checks;
    })().then(
      (checks) => ({ checks }),
      (error: unknown) => ({ error, checks: 0 }),
    );
    const [ra, rb] = await Promise.all([a.done, b.done]);
    running = false;
    const watched = await watcher;
    if ('error' in watched) throw watched.error;
    assert.ok(watched.checks > 0, 'DIR was checked while the renders ran');
    assert.equal(ra.exitCode, 0, ra.stderr);
    assert.equal(rb.exitCode, 0, rb.stderr);
    const final = owned(snapshot(out));
    assert.ok(
      sameMap(final, oldOut) || sameMap(final, newOut),
      `after both renders DIR is exactly one output: ${snapshotDiff(final, oldOut).slice(0, 5).join('; ')}`,
    );
  }
  assert.ok(nginxTest(out).ok);
});

function sameMap(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

test('a failing render (bad spec) leaves DIR and its surroundings exactly as they were', async () => {
  const out = join(dir, 'out');
  await resetToOld(out);
  const before = snapshot(dir);
  writeFileSync(
    join(dir, 'bad.yaml'),
    readFileSync(join(dir, 'new.yaml'), 'utf8').replace('serverName: u3.internal', 'serverName: "u3.internal;evil"'),
  );
  const r = await runBin(['render', 'bad.yaml', '--out', 'out'], { cwd: dir });
  assert.equal(r.exitCode, 1);
  rmSync(join(dir, 'bad.yaml'));
  assert.deepEqual(snapshotDiff(before, snapshot(dir)), []);
  assert.ok(!existsSync(join(dir, '.out.gwctl-lock')));
});
