import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GeneratedCase, RouteFacts, UpstreamFacts } from './cases.js';

/**
 * Hand-written nginx configurations of the same routes, for comparison with gwctl's output:
 *
 * - naive-tls: one location per route, each with proxy_pass https:// to its upstream block and its
 *   own proxy_ssl_* directives (one SSL context per route on nginx < 1.23.1);
 * - plain-http: the same locations proxying over plain http (the floor);
 * - per-host-servers: gwctl's previous layout, one server block per (listener group × host) and a
 *   named location per TLS profile in each of them.
 */
export type Layout = 'naive-tls' | 'plain-http' | 'per-host-servers';

const MODULES = ['/usr/lib/nginx/modules/ndk_http_module.so', '/usr/lib/nginx/modules/ngx_http_lua_module.so'];

export function writeLayout(g: GeneratedCase, layout: Layout): string {
  const dir = join(g.dir, layout);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  mkdirSync(join(dir, 'temp'), { recursive: true });
  const out: string[] = [];
  for (const m of MODULES) out.push(`load_module "${m}";`);
  out.push(
    'worker_processes auto;',
    'pid logs/nginx.pid;',
    'error_log logs/error.log notice;',
    'events { worker_connections 1024; }',
    'http {',
  );
  out.push(
    '    access_log logs/access.log;',
    '    client_body_temp_path temp/client_body;',
    '    proxy_temp_path temp/proxy;',
    '    server_tokens off;',
  );
  if (layout === 'per-host-servers') out.push('    variables_hash_max_size 2048;');
  for (const u of g.upstreams) out.push(`    upstream up_${u.name} { server ${u.address}; keepalive 16; }`);

  const hosts = [...new Set(g.routes.filter((r) => r.host).map((r) => r.host!))].sort();
  const anyHost = g.routes.filter((r) => !r.host);
  const serverRoutes = (host: string | undefined): RouteFacts[] =>
    host === undefined ? anyHost : [...g.routes.filter((r) => r.host === host), ...anyHost];
  const listenGroups =
    layout === 'per-host-servers'
      ? [[`listen 127.0.0.1:${g.plainPort}`], [`listen 127.0.0.1:${g.tlsPort} ssl`]]
      : [[`listen 127.0.0.1:${g.plainPort}`, `listen 127.0.0.1:${g.tlsPort} ssl`]];
  for (const listens of listenGroups) {
    const tls = listens.some((l) => l.endsWith(' ssl'));
    for (const host of [...hosts, undefined]) {
      out.push('    server {');
      for (const l of listens) out.push(`        ${l}${host === undefined ? ' default_server' : ''};`);
      out.push(`        server_name "${host ?? '_'}";`);
      if (tls)
        out.push(`        ssl_certificate "${g.listener.cert}";`, `        ssl_certificate_key "${g.listener.key}";`);
      const routes = serverRoutes(host);
      const profiles = new Set<number>();
      for (const r of routes) {
        const u = g.upstreams[r.upstream];
        out.push(`        location "${r.path}" {`);
        if (layout === 'naive-tls')
          out.push(
            ...tlsProxy(g, u, `https://up_${u.name}`, `"${u.serverName}"`).map((l) => `    ${l}`),
            `            proxy_set_header Host "${u.serverName}";`,
          );
        else if (layout === 'plain-http')
          out.push(
            `            proxy_pass http://up_${u.name};`,
            '            proxy_http_version 1.1;',
            '            proxy_set_header Connection "";',
            `            proxy_set_header Host "${u.serverName}";`,
          );
        else {
          profiles.add(u.store);
          out.push(
            `            set $gw_upstream up_${u.name};`,
            `            set $gw_ssl_name "${u.serverName}";`,
            `            set $gw_host "${u.serverName}";`,
            `            error_page 418 = @p${u.store};`,
            '            return 418;',
          );
        }
        out.push('        }');
      }
      out.push('        location / { return 404; }');
      for (const k of [...profiles].sort()) {
        out.push(
          `        location @p${k} {`,
          ...tlsProxy(g, { store: k } as UpstreamFacts, 'https://$gw_upstream', '$gw_ssl_name').map((l) => `    ${l}`),
          '            proxy_set_header Host $gw_host;',
          '        }',
        );
      }
      out.push('    }');
    }
  }
  out.push('}', '');
  writeFileSync(join(dir, 'nginx.conf'), out.join('\n'));
  return dir;
}

function tlsProxy(g: GeneratedCase, u: Pick<UpstreamFacts, 'store'>, pass: string, name: string): string[] {
  return [
    `        proxy_pass ${pass};`,
    '        proxy_http_version 1.1;',
    '        proxy_set_header Connection "";',
    `        proxy_ssl_name ${name};`,
    '        proxy_ssl_server_name on;',
    '        proxy_ssl_verify on;',
    `        proxy_ssl_trusted_certificate "${g.storeFiles[u.store]}";`,
    '        proxy_ssl_verify_depth 1;',
    '        proxy_ssl_session_reuse on;',
  ];
}
