import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gwctl } from './gwctl.js';

/** Renders spec text with `gwctl render` into a fresh directory; returns the prefix and its nginx.conf. */
export async function renderSpec(spec: string, prefix = 'gwctl-plan-'): Promise<{ dir: string; conf: string }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'gateway.yaml'), spec);
  const r = await gwctl(['render', 'gateway.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  const out = join(dir, 'out');
  return { dir: out, conf: readFileSync(join(out, 'nginx.conf'), 'utf8') };
}
