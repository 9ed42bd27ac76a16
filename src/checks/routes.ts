import { hostWhy, isHostPattern, normalizeRouteHost } from '../text/addresses.js';
import { routePathProblem } from '../text/route-path.js';
import { show } from '../text/show.js';
import type { Check, Finding } from './types.js';
import { NGINX_TOKEN_MAX_BYTES, quotedBytes } from '../text/quote.js';

export const routeBadPath: Check = {
  code: 'route.bad-path',
  severity: 'error',
  scope: 'route',
  needs: 'spec',
  summary: 'A route path is not a plain URI prefix',
  help: 'Write the path as an absolute prefix starting with "/", without spaces, control characters, query or fragment.',
  run: ({ spec }) =>
    (spec.routes ?? []).flatMap((r, i): Finding[] => {
      const problem =
        routePathProblem(r.path) ??
        (quotedBytes(r.path) > NGINX_TOKEN_MAX_BYTES
          ? `is ${quotedBytes(r.path)} bytes in nginx.conf once quoted and escaped; nginx reads a value of at most ${NGINX_TOKEN_MAX_BYTES} bytes ("too long parameter")`
          : undefined);
      return problem ? [{ path: ['routes', i, 'path'], message: `path ${show(r.path)} ${problem}` }] : [];
    }),
};

export const routeBadHost: Check = {
  code: 'route.bad-host',
  severity: 'error',
  scope: 'route',
  needs: 'spec',
  summary: 'A route host is not a DNS name or *.wildcard',
  help: 'Write a DNS name (api.example.com) or a leading wildcard (*.example.com); leave `host` out to match any host.',
  run: ({ spec }) =>
    (spec.routes ?? []).flatMap((r, i): Finding[] =>
      r.host !== undefined && !isHostPattern(r.host)
        ? [
            {
              path: ['routes', i, 'host'],
              message: `host ${show(r.host)} ${hostWhy(r.host.replace(/^\*\./, '')) ?? 'is not a DNS name or *.wildcard'}`,
            },
          ]
        : [],
    ),
};

export const routeDuplicate: Check = {
  code: 'route.duplicate',
  severity: 'error',
  scope: 'route',
  needs: 'spec',
  summary: 'Two routes match the same host and path',
  help: 'nginx would refuse a duplicate location: remove one route or change its path or host.',
  run: ({ spec }) => {
    const out: Finding[] = [];
    const seen = new Map<string, number>();
    (spec.routes ?? []).forEach((r, i) => {
      const key = `${r.host === undefined ? '*' : normalizeRouteHost(r.host)} ${r.path}`;
      const first = seen.get(key);
      if (first !== undefined)
        out.push({
          path: ['routes', i, 'path'],
          message: `routes[${first}] already routes ${r.host ?? 'any host'} ${r.path}`,
        });
      else seen.set(key, i);
    });
    return out;
  },
};
