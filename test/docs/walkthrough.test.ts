import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/gwctl.js';
import { nginxBinary } from '../support/nginx.js';
import { freePort } from '../support/ports.js';

/**
 * docs/walkthrough.md, run as a reader runs it: every ```sh block verbatim, in order, in one
 * empty directory, with gwctl (this checkout) and nginx on PATH. A ```text block after a sh
 * block is the end of that block's output: its last lines must be exactly these. The doc and
 * this test cannot drift: the commands are read from the doc.
 *
 * One substitution, and only this one: the doc's fixed ports (18080 gateway, 18443 orders
 * service, 19901 status) become free ports, in the commands and in the output they must print,
 * so the walkthrough can run beside other tests and a port someone else holds cannot fail it.
 */
const DOC = join(REPO_ROOT, 'docs/walkthrough.md');
const DOC_PORTS = ['18080', '18443', '19901'];
/** The doc's port → the free port this run uses instead. */
const portFor = new Map<string, string>();

/** A block of the doc as this run executes it: the doc's ports replaced, nothing else. */
function withRunPorts(text: string): string {
  return text.replace(/\b(18080|18443|19901)\b/g, (p) => portFor.get(p)!);
}

interface Step {
  line: number;
  script: string;
  expected?: string;
}

/** The doc's sh blocks, each with the text block that follows it (before the next sh block), if any. */
function walkthroughSteps(markdown: string): Step[] {
  const steps: Step[] = [];
  const fence = /^```(\w*)[^\n]*\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    const line = markdown.slice(0, m.index).split('\n').length;
    if (m[1] === 'sh') steps.push({ line, script: m[2] });
    else if (m[1] === 'text' && steps.length && steps[steps.length - 1].expected === undefined)
      steps[steps.length - 1].expected = m[2];
  }
  return steps;
}

let work: string;
let bin: string;

function run(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd: work,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    // Background servers the script starts may hold no pipe of ours, but do not wait for 'close'.
    child.once('exit', (code) => setTimeout(() => resolve({ code, stdout, stderr }), 100));
  });
}

before(async () => {
  for (const port of DOC_PORTS) portFor.set(port, String(await freePort()));
  work = mkdtempSync(join(tmpdir(), 'gwctl-walkthrough-'));
  bin = join(work, '.bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'gwctl'),
    `#!/bin/sh\nexec "${process.execPath}" "${join(REPO_ROOT, 'bin/gwctl.js')}" "$@"\n`,
  );
  chmodSync(join(bin, 'gwctl'), 0o755);
  // The doc says `nginx`; use the one the other tests use.
  if (!nginxBinary().endsWith('/nginx')) {
    writeFileSync(join(bin, 'nginx'), `#!/bin/sh\nexec "${nginxBinary()}" "$@"\n`);
    chmodSync(join(bin, 'nginx'), 0o755);
  }
});

after(() => {
  // Whatever a failed step left running.
  if (existsSync(join(work, 'gw/logs/nginx.pid')))
    spawnSync('nginx', ['-p', join(work, 'gw'), '-c', 'nginx.conf', '-s', 'stop'], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
  const pid = existsSync(join(work, 'orders.pid')) ? Number(readFileSync(join(work, 'orders.pid'), 'utf8')) : 0;
  if (pid > 0) {
    try {
      process.kill(pid);
    } catch {
      /* already gone */
    }
  }
});

test('the walkthrough has its steps: PKI, service, 502, prediction, fix, health checks, wrong CA, clean up', () => {
  const steps = walkthroughSteps(readFileSync(DOC, 'utf8'));
  assert.equal(steps.length, 10);
  assert.deepEqual(
    steps.map((s) => s.expected?.trimEnd().split('\n').length ?? 0),
    [0, 0, 1, 1, 2, 1, 1, 2, 2, 0],
  );
});

test('the walkthrough names each of its ports, so the substitution above cannot silently do nothing', () => {
  const doc = readFileSync(DOC, 'utf8');
  assert.deepEqual(
    DOC_PORTS.map((p) => doc.includes(`127.0.0.1:${p}`)),
    [true, true, true],
  );
});

test('every command of docs/walkthrough.md runs on real nginx and prints what the doc shows', async () => {
  for (const step of walkthroughSteps(readFileSync(DOC, 'utf8'))) {
    const r = await run(withRunPorts(step.script));
    const where = `docs/walkthrough.md:${step.line} (ports ${[...portFor].map(([d, p]) => `${d}->${p}`).join(', ')})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
    assert.equal(r.code, 0, where);
    if (step.expected === undefined) continue;
    const want = withRunPorts(step.expected).trimEnd().split('\n');
    const got = r.stdout.trimEnd().split('\n').slice(-want.length);
    assert.deepEqual(got, want, where);
  }
});
