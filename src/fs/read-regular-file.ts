import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Why a file was not read: it is not a regular file, or larger than the caller allows. */
export class NotReadableFile extends Error {
  constructor(readonly reason: 'not-regular' | 'too-large', message: string) {
    super(message);
  }
}

/**
 * Reads at most `maxBytes` of a regular file (following symlinks, as nginx does). It is opened
 * non-blocking and checked through the open descriptor, so a FIFO cannot hang the read, a device
 * (a link to /dev/zero) cannot fill memory, and a swap after the check changes nothing.
 * `head` reads only the first `maxBytes` bytes, whatever the size of the file. Other failures
 * (ENOENT, EACCES) are thrown as they are.
 */
export function readRegularFile(path: string, maxBytes: number, opts: { head?: boolean } = {}): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NotReadableFile('not-regular', 'is not a regular file');
    if (st.size > maxBytes && !opts.head) throw new NotReadableFile('too-large', `is ${st.size} bytes, more than the ${maxBytes}-byte limit`);
    const buf = Buffer.alloc(Math.min(st.size, maxBytes));
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, n);
      if (r === 0) break; // the file shrank while being read
      n += r;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
