import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotReadableFile, readRegularFile } from '../../src/fs/read-regular-file.js';

const dir = () => mkdtempSync(join(tmpdir(), 'gwctl-read-'));

test('a regular file (also through a symlink) is read whole; head reads only its first bytes', () => {
  const d = dir();
  writeFileSync(join(d, 'f'), 'hello world');
  symlinkSync('f', join(d, 'link'));
  assert.equal(readRegularFile(join(d, 'link'), 100).toString(), 'hello world');
  assert.equal(readRegularFile(join(d, 'f'), 5, { head: true }).toString(), 'hello');
});

test('a FIFO, a device or a file over the limit is refused without reading it', () => {
  const d = dir();
  execFileSync('mkfifo', [join(d, 'fifo')]);
  symlinkSync('/dev/zero', join(d, 'zero'));
  writeFileSync(join(d, 'big'), 'x'.repeat(11));
  // Opening a FIFO blocks until a writer comes and /dev/zero never ends: either would hang here.
  for (const [name, reason] of [['fifo', 'not-regular'], ['zero', 'not-regular'], ['big', 'too-large']]) {
    assert.throws(() => readRegularFile(join(d, name), 10), (e: unknown) => e instanceof NotReadableFile && e.reason === reason, name);
  }
  assert.throws(() => readRegularFile(join(d, 'missing'), 10), { code: 'ENOENT' });
});
