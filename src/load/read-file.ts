import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';

/**
 * The one way gwctl reads a file a user named (a spec, a certificate, a key, a password file, a
 * rendered nginx.conf). Such a path may name a FIFO (the read would block forever), a device
 * (/dev/zero never ends), or a huge file: only regular files up to a size limit are read, and the
 * check is made on the opened descriptor, so a file swapped after the first look changes nothing.
 */

export type ReadProblemCode =
  | 'file.missing'
  | 'file.unreadable'
  | 'file.directory'
  | 'file.not-regular'
  | 'file.too-large';

export interface ReadProblem {
  code: ReadProblemCode;
  /** Says what is wrong with the file, to follow its name: "does not exist". */
  message: string;
  /** The errno code when the system refused (ENOENT, EACCES, ...). */
  errno?: string;
  /** The file's size when it is too large. */
  size?: number;
}

/**
 * `head`: read only the first `maxBytes` bytes, whatever the file's size (to check a marker).
 */
export function readRegularFile(
  file: string,
  maxBytes: number,
  opts: { head?: boolean } = {},
): { data: Buffer } | { problem: ReadProblem } {
  let fd: number | undefined;
  try {
    // A first look without opening: devices are never opened at all.
    const kind = notRegular(statSync(file));
    if (kind) return { problem: kind };
    // O_NONBLOCK: should the file have become a FIFO since, opening it cannot block.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    const again = notRegular(st);
    if (again) return { problem: again };
    if (opts.head) return { data: readHead(fd, maxBytes) };
    if (st.size > maxBytes) return { problem: tooLarge(st.size, maxBytes) };
    // The file may grow while being read: read on until its end, never past the limit.
    let buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > maxBytes) return { problem: tooLarge(n, maxBytes) };
        const bigger = Buffer.alloc(Math.min(buf.length * 2, maxBytes + 1));
        buf.copy(bigger);
        buf = bigger;
      }
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    return { data: buf.subarray(0, n) };
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT' || errno === 'ENOTDIR')
      return { problem: { code: 'file.missing', message: 'does not exist', errno } };
    if (errno === 'EACCES' || errno === 'EPERM')
      return { problem: { code: 'file.unreadable', message: 'is not readable (permission denied)', errno } };
    return { problem: { code: 'file.unreadable', message: `cannot be read (${errno ?? 'error'})`, errno } };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function readHead(fd: number, bytes: number): Buffer {
  const buf = Buffer.alloc(bytes);
  let n = 0;
  while (n < bytes) {
    const r = readSync(fd, buf, n, bytes - n, null);
    if (r === 0) break;
    n += r;
  }
  return buf.subarray(0, n);
}

/** The file's bytes, or undefined on any problem: for callers to whom "unreadable" just means "not gwctl's". */
export function readRegularFileOrUndefined(
  file: string,
  maxBytes: number,
  opts: { head?: boolean } = {},
): Buffer | undefined {
  const r = readRegularFile(file, maxBytes, opts);
  return 'data' in r ? r.data : undefined;
}

function notRegular(st: { isDirectory(): boolean; isFile(): boolean }): ReadProblem | undefined {
  if (st.isDirectory()) return { code: 'file.directory', message: 'is a directory, not a file' };
  if (!st.isFile()) return { code: 'file.not-regular', message: 'is not a regular file' };
  return undefined;
}

function tooLarge(size: number, maxBytes: number): ReadProblem {
  return {
    code: 'file.too-large',
    message: `is ${size} bytes, more than the ${maxBytes} bytes gwctl reads for it`,
    size,
  };
}
