import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gwctl } from '../support/gwctl.js';
import { startNginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { startUpstream } from '../support/upstream.js';

/** One raw HTTP request (so it can lack a Host header entirely); the upstream that answered, or the status. */
function raw(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`${head}\r\n\r\n`));
    let b = '';
    s.on('data', (d) => (b += d));
    s.on('error', reject);
    s.on('end', () => {
      const status = /^HTTP\/1\.\d (\d{3})/.exec(b)?.[1];
      const server = /"server":"([^"]+)"/.exec(b)?.[1];
      const host = /"host":"([^"]*)"/.exec(b)?.[1];
      resolve(status === '200' ? `${server} host=${host}` : `status ${status}`);
    });
  });
}

/**
 * nginx's catch-all server name "_" is also a host name a route may name. A request without a
 * Host header must get the any-host routes (it names no host), and only "Host: _" the "_"
 * routes; preserveHost must not pass an empty Host upstream. Real nginx, raw HTTP/1.0 requests.
 */
test('"_" as a route host: only Host: _ goes there; no Host and other hosts get the any-host routes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-catchall-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const ports = { under: await freePort(), any: await freePort() };
  const ups = [
    await startUpstream({ label: 'under', port: ports.under }),
    await startUpstream({ label: 'any', port: ports.any }),
  ];
  writeFileSync(
    join(dir, 'gw.yaml'),
    `version: 1
runtime: { flavor: nginx }
listen: [{ port: ${port}, address: 127.0.0.1 }]
upstreams:
  under: { servers: ["127.0.0.1:${ports.under}"], hostHeader: under.internal }
  any: { servers: ["127.0.0.1:${ports.any}"], hostHeader: any.internal }
routes:
  - { path: /, upstream: under, host: _, preserveHost: true }
  - { path: /, upstream: any, preserveHost: true }
`,
  );
  const r = await gwctl(['render', 'gw.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  const nginx = await startNginx(join(dir, 'out'), port);
  try {
    assert.deepEqual(
      [
        await raw(port, 'GET / HTTP/1.0'),
        await raw(port, 'GET / HTTP/1.0\r\nHost: _'),
        await raw(port, 'GET / HTTP/1.1\r\nHost: _\r\nConnection: close'),
        await raw(port, 'GET / HTTP/1.0\r\nHost: other.example'),
        await raw(port, 'GET http://_/ HTTP/1.1\r\nHost: other.example\r\nConnection: close'),
      ],
      [
        'any host=any.internal',
        'under host=_',
        'under host=_',
        'any host=other.example',
        // nginx's request-line parser takes no "_" in a host: it refuses the request itself.
        'status 400',
      ],
    );
  } finally {
    await nginx.stop();
    for (const u of ups) await u.close();
  }
});
