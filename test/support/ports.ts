import { createServer } from 'node:net';

/**
 * Ports tests listen on come from below Linux's ephemeral range (32768-60999), so the kernel never
 * hands one of them to another test process's outgoing connection or `listen(0)` while this
 * process holds it unbound (a rendered gateway's port stays unbound until nginx starts).
 */
const RANGE = { low: 20000, high: 32767 };
const handedOut = new Set<number>();

/** A TCP port free on 127.0.0.1 right now, never the same twice in one process. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = RANGE.low + Math.floor(Math.random() * (RANGE.high - RANGE.low + 1));
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
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
