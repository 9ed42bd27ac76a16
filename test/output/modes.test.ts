import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { copyExample } from '../support/example.js';
import { BIN } from '../security/support.js';

/** The real bin under `umask 000` (sh sets it, then execs node). */
function gwctlUmask0(args: string[], cwd: string) {
  const r = spawnSync('sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { exitCode: r.status, stderr: r.stderr };
}

/** Every directory and file under `root` (root included) with its permission bits. */
function modes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string) => {
    const st = lstatSync(p);
    out[relative(root, p) || '.'] = (st.mode & 0o777).toString(8);
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(join(p, name));
  };
  walk(root);
  return out;
}

test('umask 000: DIR, tls/, logs/, temp/ are 755 and files 644 on a first render, a re-render that creates tls/, and gwctl test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-modes-'));
  copyExample(dir);
  const spec = join(dir, 'gateway.yaml');
  const full = readFileSync(spec, 'utf8');
  // A first render with no TLS files (so the second one creates tls/ inside an existing DIR).
  const plain = `version: 1
listen: [{ port: 8080 }]
upstreams: { status: { servers: ["127.0.0.1:9080"] } }
routes: [{ path: /, upstream: status }]
`;
  const expectAll = (out: string, what: string) => {
    const m = modes(join(dir, out));
    for (const [path, mode] of Object.entries(m)) {
      const isDir = lstatSync(join(dir, out, path)).isDirectory();
      assert.equal(mode, isDir ? '755' : '644', `${what}: ${path} is ${mode}`);
    }
    return Object.keys(m).sort();
  };

  const first = gwctlUmask0(['render', 'gateway.yaml', '--out', 'out'], dir);
  assert.equal(first.exitCode, 0, first.stderr);
  assert.ok(expectAll('out', 'first render').some((p) => p.startsWith('tls/')));

  writeFileSync(spec, plain);
  assert.equal(gwctlUmask0(['render', 'gateway.yaml', '--out', 'again'], dir).exitCode, 0);
  assert.ok(!expectAll('again', 'plain render').includes('tls'));
  writeFileSync(spec, full);
  const second = gwctlUmask0(['render', 'gateway.yaml', '--out', 'again'], dir);
  assert.equal(second.exitCode, 0, second.stderr);
  assert.ok(expectAll('again', 're-render that adds tls/').includes('tls'));

  // A tls/ an older run left world-writable is tightened by the next render.
  chmodSync(join(dir, 'again/tls'), 0o777);
  assert.equal(gwctlUmask0(['render', 'gateway.yaml', '--out', 'again'], dir).exitCode, 0);
  assert.equal(modes(join(dir, 'again')).tls, '755');

  // gwctl test makes DIR/logs when a checkout has none (nginx -t opens its logs there).
  rmSync(join(dir, 'out/logs'), { recursive: true });
  const t = gwctlUmask0(['test', 'out'], dir);
  assert.equal(t.exitCode, 0, t.stderr);
  assert.equal(modes(join(dir, 'out')).logs, '755');
});
