import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Ports tests listen on come from below Linux's ephemeral range (32768-60999), so the kernel never
 * hands one of them to another test process's outgoing connection or `listen(0)` while this
 * process holds it unbound (a rendered gateway's port stays unbound until nginx starts).
 */
const RANGE = { low: 20000, high: 32767 };
const handedOut = new Set<number>();
/**
 * Test files run in several processes at once, and a port stays unbound between freePort() and
 * nginx's bind (the handshake matrix holds a hundred while it makes certificates): each port is
 * claimed by a file created exclusively here, so no two processes are handed the same one.
 */
const CLAIMS = join(tmpdir(), 'gwctl-test-ports');
const claimed: string[] = [];
process.once('exit', () => {
  for (const f of claimed)
    try {
      unlinkSync(f);
    } catch {
      // already gone
    }
});

/** A TCP port free on 127.0.0.1 right now, handed to no other test process of this machine. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = RANGE.low + Math.floor(Math.random() * (RANGE.high - RANGE.low + 1));
    if (handedOut.has(port) || !claim(port)) continue;
    handedOut.add(port);
    if (await bindable(port)) return port;
  }
}

/** Whether this process now owns `port`'s claim (a claim of a process that is gone is taken over). */
function claim(port: number): boolean {
  mkdirSync(CLAIMS, { recursive: true });
  const file = join(CLAIMS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      claimed.push(file);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || alive(file)) return false;
      try {
        unlinkSync(file);
      } catch {
        return false;
      }
    }
  }
  return false;
}

function alive(file: string): boolean {
  try {
    process.kill(Number(readFileSync(file, 'utf8')), 0);
    return true;
  } catch (e) {
    // EPERM: a process of another user holds it; an unreadable or empty claim is being written.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
