import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FatalError } from '../../src/diagnostics/diagnostic.js';
import { lock } from '../../src/render/output-lock.js';
import { copyExample } from '../support/example.js';
import { BIN } from '../security/support.js';

/** Field 22 of /proc/PID/stat: what gwctl records as a process's start time. */
function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/**
 * Things at the lock path that cannot be a live gwctl lock. Before, each made lock() wait out
 * its whole wait and then blame "another gwctl"; now it says at once what is there and leaves it.
 */
const NOT_A_LOCK: { what: string; make: (path: string) => void; says: RegExp }[] = [
  { what: 'a directory', make: (p) => mkdirSync(p), says: /a directory is there/ },
  { what: 'a symlink to /dev/zero', make: (p) => symlinkSync('/dev/zero', p), says: /a symbolic link is there/ },
  { what: 'a FIFO', make: (p) => execFileSync('mkfifo', [p]), says: /a special file \(FIFO, socket or device\)/ },
  { what: 'an empty file', make: (p) => writeFileSync(p, ''), says: /a file of 0 bytes .* not a gwctl lock record/ },
  {
    what: 'text that is no record',
    make: (p) => writeFileSync(p, 'locked by ops, do not render\n'),
    says: /a file of 29 bytes .* not a gwctl lock record/,
  },
  { what: 'a huge file', make: (p) => writeFileSync(p, 'x'.repeat(1 << 20)), says: /1048576 bytes .* too large/ },
  {
    what: 'a record with no start time for a live pid',
    make: (p) => writeFileSync(p, `1 - 0123456789abcdef\n`),
    says: /gives no start time for pid 1/,
  },
  {
    what: 'a record naming pid 1 with its real start time',
    make: (p) => writeFileSync(p, `1 ${startTime(1)} 0123456789abcdef\n`),
    says: /names pid 1, a live process that is not gwctl/,
  },
];

test('lock path: what cannot be a live lock fails at once, saying what is there, and is left in place', () => {
  for (const c of NOT_A_LOCK) {
    const parent = mkdtempSync(join(tmpdir(), 'gwctl-lock-'));
    const lockPath = join(parent, '.out.gwctl-lock');
    c.make(lockPath);
    const before = lstatSync(lockPath);
    // A wait long enough that a stall would end in the "being rendered by another gwctl" timeout instead.
    assert.throws(
      () => lock(join(parent, 'out'), 2000),
      (e: unknown) => {
        assert.ok(e instanceof FatalError, c.what);
        assert.match(e.message, c.says, c.what);
        assert.match(e.message, /cannot be the lock of a running gwctl; gwctl left it as it is/, c.what);
        return true;
      },
    );
    const after = lstatSync(lockPath);
    assert.deepEqual(
      [after.ino, after.mode, after.size],
      [before.ino, before.mode, before.size],
      `${c.what}: untouched`,
    );
  }
});

test('a live lock of this process and a stale record of a dead one still work as before', () => {
  const parent = mkdtempSync(join(tmpdir(), 'gwctl-lock-'));
  const out = join(parent, 'out');
  const held = lock(out, 2000);
  assert.throws(() => lock(out, 300), /is being rendered by another gwctl/);
  held.release();
  // A dead pid's record is stale: broken and taken.
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(parent, '.out.gwctl-lock'), `${dead} 1 0123456789abcdef\n`);
  lock(out, 2000).release();
});

test('render with a directory at the lock path: exit 2 at once, naming it; DIR not created', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-lock-bin-'));
  copyExample(dir);
  mkdirSync(join(dir, '.out.gwctl-lock'));
  const r = spawnSync(process.execPath, [BIN, 'render', 'gateway.yaml', '--out', 'out'], {
    cwd: dir,
    encoding: 'utf8',
  });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(
    r.stderr,
    `gwctl: ${join(dir, '.out.gwctl-lock')}: a directory is there, so it cannot be the lock of a running gwctl; gwctl left it as it is and rendered nothing: remove it if you know what put it there, then render again\n`,
  );
  assert.ok(lstatSync(join(dir, '.out.gwctl-lock')).isDirectory());
  assert.throws(() => lstatSync(join(dir, 'out')), /ENOENT/);
});
