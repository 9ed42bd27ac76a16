import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRegularFile } from '../../src/load/read-file.js';

const dir = mkdtempSync(join(tmpdir(), 'gwctl-read-'));
const problem = (file: string, max = 1024) => {
  const r = readRegularFile(file, max);
  return 'problem' in r ? r.problem.code : `read ${r.data.length}`;
};

test('a regular file up to the limit is read whole; one byte more is too large', () => {
  writeFileSync(join(dir, 'exact'), 'x'.repeat(1024));
  assert.equal(problem(join(dir, 'exact')), 'read 1024');
  writeFileSync(join(dir, 'over'), 'x'.repeat(1025));
  assert.equal(problem(join(dir, 'over')), 'file.too-large');
  writeFileSync(join(dir, 'empty'), '');
  assert.equal(problem(join(dir, 'empty')), 'read 0');
});

test('FIFOs, devices and directories are refused without reading (a FIFO would block forever)', () => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  assert.equal(problem(fifo), 'file.not-regular');
  assert.equal(problem('/dev/zero'), 'file.not-regular');
  assert.equal(problem(dir), 'file.directory');
  assert.equal(problem(join(dir, 'missing')), 'file.missing');
});
