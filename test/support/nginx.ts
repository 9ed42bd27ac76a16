import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForPort } from './ports.js';

/** The nginx the tests run: $GWCTL_NGINX, else openresty, else nginx. */
export function nginxBinary(): string {
  if (process.env.GWCTL_NGINX) return process.env.GWCTL_NGINX;
  for (const candidate of ['openresty', 'nginx']) {
    const r = spawnSync('sh', ['-c', `command -v ${candidate}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  for (const p of ['/usr/local/openresty/bin/openresty', '/usr/sbin/nginx']) if (existsSync(p)) return p;
  throw new Error('no nginx or openresty binary found: install nginx-light libnginx-mod-http-lua lua-resty-core');
}

/**
 * `-g` directives that let this machine's nginx run output rendered for another flavor: the
 * openresty flavor's output (Lua directives, no load_module) on stock nginx, which can load the
 * Lua module itself — load_module given with -g is read before nginx.conf.
 */
export function flavorDirectives(flavor: 'nginx' | 'openresty'): string {
  if (flavor === 'nginx' || /openresty/.test(nginxBinary())) return '';
  const modules = process.env.GWCTL_MODULES_PATH ?? '/usr/lib/nginx/modules';
  return `load_module ${modules}/ndk_http_module.so; load_module ${modules}/ngx_http_lua_module.so;`;
}

/** `nginx -t` on a rendered prefix. */
export function nginxTest(prefix: string, globals = ''): { ok: boolean; output: string } {
  const g = globals ? ['-g', globals] : [];
  const r = spawnSync(nginxBinary(), ['-p', prefix, '-c', 'nginx.conf', '-e', 'logs/error.log', ...g, '-t'], {
    encoding: 'utf8',
  });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

export interface RunningNginx {
  prefix: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/** Starts nginx in the foreground on a rendered prefix and waits until `port` accepts connections. */
export async function startNginx(prefix: string, port: number, globals = ''): Promise<RunningNginx> {
  const logBefore = readLog(prefix).length; // a restart in the same prefix: only this run's lines count
  const child: ChildProcess = spawn(
    nginxBinary(),
    ['-p', prefix, '-c', 'nginx.conf', '-e', 'logs/error.log', '-g', `${globals} daemon off;`.trim()],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([
      // A port taken by someone else would answer too: wait for nginx's own word that it bound
      // its sockets and started workers (the rendered config logs at notice level).
      started(prefix, logBefore).then(() => waitForPort(port)),
      exited.then(() => {
        throw new Error(`nginx exited at start: ${stderr}${readLog(prefix)}`);
      }),
    ]);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    prefix,
    errorLog: () => readLog(prefix),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGQUIT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

async function started(prefix: string, logBefore: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = readLog(prefix).slice(logBefore);
    if (/bind\(\) to \S+ failed/.test(log)) throw new Error(`nginx could not bind its port: ${log}`);
    if (log.includes('start worker process')) return;
    if (Date.now() > deadline) throw new Error(`nginx did not start within ${timeoutMs} ms: ${log}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function readLog(prefix: string): string {
  const f = join(prefix, 'logs', 'error.log');
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
}

/**
 * A real nginx as a mutual-TLS upstream on 127.0.0.1:PORT: serves CHAIN, demands a client
 * certificate issued under CLIENT_CA, answers 200 "ok". Its error log is PREFIX/logs/error.log.
 */
export async function startMtlsUpstream(
  prefix: string,
  o: { port: number; chain: string; key: string; clientCa: string; logLevel: 'notice' | 'info' },
): Promise<RunningNginx> {
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `error_log logs/error.log ${o.logLevel};
pid logs/nginx.pid;
events {}
http {
  access_log off;
  server {
    listen 127.0.0.1:${o.port} ssl;
    ssl_certificate ${o.chain};
    ssl_certificate_key ${o.key};
    ssl_client_certificate ${o.clientCa};
    ssl_verify_client on;
    location / { return 200 "ok\\n"; }
  }
}
`,
  );
  return startNginx(prefix, o.port);
}
