import { hostWhy, isHostHeader, parseHostPort, unixSocketProblem } from '../text/addresses.js';
import { show } from '../text/show.js';
import { basePathProblem } from '../text/base-path.js';
import type { Check, Finding } from './types.js';

export const upstreamCaseCollision: Check = {
  code: 'upstream.case-collision',
  severity: 'error',
  scope: 'upstream',
  needs: 'spec',
  summary: 'Two upstream names differ only in case',
  help: 'nginx compares upstream names case-insensitively and would see one upstream declared twice: rename one of them.',
  run: ({ spec }) => {
    const out: Finding[] = [];
    const lowerNames = new Map<string, string>();
    for (const name of Object.keys(spec.upstreams ?? {})) {
      const other = lowerNames.get(name.toLowerCase());
      if (other !== undefined)
        out.push({
          path: ['upstreams', name],
          message: `upstream "${name}" differs from "${other}" only in case; nginx treats upstream names case-insensitively`,
        });
      lowerNames.set(name.toLowerCase(), name);
    }
    return out;
  },
};

export const upstreamBadServer: Check = {
  code: 'upstream.bad-server',
  severity: 'error',
  scope: 'upstream',
  needs: 'spec',
  summary: 'An upstream server is not host:port',
  help: 'Write each server as host:port: a DNS name, an IPv4 address or an [IPv6] address in brackets, then a port from 1 to 65535.',
  run: ({ spec }) =>
    Object.entries(spec.upstreams ?? {}).flatMap(([name, up]) =>
      up.servers.flatMap((s, i): Finding[] => {
        const address = typeof s === 'string' ? s : s.address;
        if (parseHostPort(address)) return [];
        return [
          {
            path:
              typeof s === 'string' ? ['upstreams', name, 'servers', i] : ['upstreams', name, 'servers', i, 'address'],
            message: `${show(address)} ${unixSocketProblem(address.replace(/:\d*$/, '')) ?? hostWhy(address.replace(/:\d*$/, '')) ?? 'is not host:port (a DNS name, IPv4 address or [IPv6] address, then a port 1-65535)'}`,
          },
        ];
      }),
    ),
};

export const upstreamOnlyBackup: Check = {
  code: 'upstream.only-backup',
  severity: 'error',
  scope: 'upstream',
  needs: 'spec',
  summary: 'Every server of an upstream is a backup',
  help: 'nginx needs at least one primary server in an upstream ("no servers in upstream") and would not start: make one server a primary (drop `backup: true`).',
  run: ({ spec }) =>
    Object.entries(spec.upstreams ?? {})
      .filter(([, up]) => up.servers.length > 0 && up.servers.every((s) => typeof s !== 'string' && s.backup === true))
      .map(([name]) => ({
        path: ['upstreams', name, 'servers'],
        message:
          'every server is a backup: nginx needs at least one primary server in an upstream ("no servers in upstream") and would not start',
      })),
};

export const upstreamBadBasePath: Check = {
  code: 'upstream.bad-base-path',
  severity: 'error',
  scope: 'upstream',
  needs: 'spec',
  summary: 'An upstream basePath cannot be sent as written',
  help: 'basePath goes before every proxied path: write it as a plain path starting with "/", of letters, digits and - . _ ~ ! & \' ( ) * + , ; = : @ /, without %-escapes, "$", "//", "." or ".." segments.',
  run: ({ spec }) =>
    Object.entries(spec.upstreams ?? {}).flatMap(([name, up]) => {
      const problem = up.basePath === undefined ? undefined : basePathProblem(up.basePath);
      return problem
        ? [{ path: ['upstreams', name, 'basePath'], message: `basePath ${show(up.basePath)} ${problem}` }]
        : [];
    }),
};

export const upstreamBadHostHeader: Check = {
  code: 'upstream.bad-host-header',
  severity: 'error',
  scope: 'upstream',
  needs: 'spec',
  summary: 'An upstream hostHeader is not a host name',
  help: 'hostHeader is sent as the Host header: write a DNS name, optionally with :port.',
  run: ({ spec }) =>
    Object.entries(spec.upstreams ?? {})
      .filter(([, up]) => up.hostHeader !== undefined && !isHostHeader(up.hostHeader))
      .map(([name, up]) => ({
        path: ['upstreams', name, 'hostHeader'],
        message: `${show(up.hostHeader)} ${hostWhy(up.hostHeader!.replace(/:\d*$/, '')) ?? 'is not a host name (optionally with :port)'}`,
      })),
};
