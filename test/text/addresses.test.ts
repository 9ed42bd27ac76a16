import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nginxBinary } from '../support/nginx.js';
import { freePort, waitForPort } from '../support/ports.js';
import { isDnsName, isIPv6, isListenAddress, numericHostProblem, parseHostPort } from '../../src/text/addresses.js';

test('IPv6 addresses are accepted exactly when nginx accepts them (measured with nginx -t on 1.22.1)', () => {
  for (const ok of [
    '::1',
    '::',
    '1::8',
    'fe80::1',
    '::ffff:1.2.3.4',
    '::1.2.3.4',
    '1:2:3:4:5:6:7:8',
    '::0:0:0:0:0:0:0',
    '::0:0:0:0:0.0.0.0',
    '1:2:3:4:5:6:1.2.3.4',
  ])
    assert.ok(isIPv6(ok), ok);
  // Node's isIP accepts these; nginx refuses them ("invalid IPv6 address"), or they are no IPv6 at all.
  for (const bad of [
    '0:0:0:0:0:0:0::',
    '1:2:3:4:5:6:7::',
    '1:2:3:4:5:6:7:1.2.3.4',
    'fe80::1%eth0',
    '1.2.3.4',
    '',
    ':::',
  ])
    assert.ok(!isIPv6(bad), bad);
  assert.equal(parseHostPort('[0:0:0:0:0:0:0::]:443'), undefined);
  assert.equal(parseHostPort('[::1]:443')?.text, '[::1]:443');
  assert.ok(!isListenAddress('[1:2:3:4:5:6:7::]'));
});

test('numeric hosts: only the dotted quad is an address; other numeric forms and all-digit last labels are refused, with the reason', () => {
  for (const bad of [
    '999.1.1.1',
    '1.2.3.4.5',
    '1.2.3',
    '0x7f.0.0.1',
    '2130706433',
    '0x7f000001',
    '01.2.3.4',
    '1.2.3.4.',
    'host.123',
    '123',
  ]) {
    assert.ok(!isDnsName(bad), bad);
    assert.ok(!isListenAddress(bad), bad);
    assert.equal(parseHostPort(`${bad}:80`), undefined, bad);
    assert.ok(numericHostProblem(bad), bad);
  }
  assert.match(numericHostProblem('1.2.3')!, /1\.2\.0\.3/);
  assert.match(numericHostProblem('host.123')!, /RFC 3696/);
  for (const ok of ['1.2.3.4', '255.255.255.255']) {
    assert.equal(numericHostProblem(ok), undefined, ok);
    assert.equal(parseHostPort(`${ok}:80`)?.text, `${ok}:80`);
  }
  for (const name of ['orders.internal', '1a.example', 'x.1a', '123.example.com', 'a-1.b2', 'deadbeef']) {
    assert.ok(isDnsName(name), name);
    assert.equal(numericHostProblem(name), undefined, name);
  }
});

/**
 * Why gwctl refuses the host "unix" in any letter case: real nginx, given the `server HOST:PORT`
 * line gwctl would render for it, connects to a unix-domain socket named PORT (relative to its
 * working directory), not to a host. A socket server there answers; no TCP port is involved.
 */
test('real nginx reads "unix:PORT" in any letter case as a unix socket named PORT; gwctl refuses each spelling', async () => {
  for (const host of ['unix', 'UNIX', 'uNiX']) {
    assert.equal(parseHostPort(`${host}:8443`), undefined, host);
    const dir = mkdtempSync(join(tmpdir(), 'gwctl-unix-'));
    mkdirSync(join(dir, 'logs'));
    const sock = createServer((_req, res) => res.end(`socket ${host}`));
    await new Promise<void>((r) => sock.listen(join(dir, '8443'), r));
    // nginx's workers may run as another user (nobody, when the tests run as root).
    chmodSync(dir, 0o755);
    chmodSync(join(dir, '8443'), 0o777);
    const port = await freePort();
    writeFileSync(
      join(dir, 'nginx.conf'),
      `pid logs/nginx.pid;\nerror_log logs/error.log notice;\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path logs/cb;\n  proxy_temp_path logs/px;\n  upstream u { server ${host}:8443; }\n  server { listen 127.0.0.1:${port}; location / { proxy_pass http://u; } }\n}\n`,
    );
    const nginx = spawn(nginxBinary(), ['-p', `${dir}/`, '-c', 'nginx.conf', '-g', 'daemon off;'], {
      cwd: dir,
      stdio: 'ignore',
    });
    try {
      await waitForPort(port);
      const body = await new Promise<string>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/' }, (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve(`${res.statusCode} ${b}`));
        })
          .on('error', reject)
          .end();
      });
      assert.equal(body, `200 socket ${host}`, readFileSync(join(dir, 'logs/error.log'), 'utf8'));
    } finally {
      // SIGTERM: the master stops its workers (SIGKILL would leave them running).
      const exited = new Promise((r) => nginx.once('exit', r));
      nginx.kill('SIGTERM');
      await exited;
      sock.close();
    }
  }
});
