import type { Size } from '../load/spec-types.js';
import { MIN_SUPPORTED, atLeast, parseVersion, unknownVersion, versionText } from '../load/nginx-version.js';
import { sizeBytes } from '../load/units.js';
import { durationMs } from '../text/duration.js';
import type { Check, Finding } from './types.js';

/** nginx's documentation: "the timeout usually cannot exceed 75 seconds" (the kernel gives up first). */
export const CONNECT_TIMEOUT_CEILING_MS = 75_000;
/** Sizes are compared as JavaScript numbers: exact up to 2^53 bytes (8 PiB), far above any body. */
const LARGEST_SIZE = Number.MAX_SAFE_INTEGER;

export const runtimeNginxVersionUnsupported: Check = {
  code: 'runtime.nginx-version-unsupported',
  severity: 'error',
  scope: 'runtime',
  needs: 'spec',
  summary: 'runtime.nginxVersion is older than any nginx gwctl renders for',
  help: `gwctl's output uses directives nginx ${versionText(MIN_SUPPORTED)} and later have: upgrade nginx, or correct nginxVersion (\`nginx -v\` tells which version runs). See docs/traffic.md#nginx-versions.`,
  run: ({ spec }) => {
    const version = spec.runtime?.nginxVersion;
    const v = version === undefined ? undefined : parseVersion(version);
    if (!v || atLeast(v, MIN_SUPPORTED)) return [];
    return [
      {
        path: ['runtime', 'nginxVersion'],
        message: `nginx ${version} is older than ${versionText(MIN_SUPPORTED)}, the oldest core gwctl renders for (directives its output uses are missing); upgrade nginx, or check what runs with \`nginx -v\``,
      },
    ];
  },
};

export const runtimeNginxVersionUnknown: Check = {
  code: 'runtime.nginx-version-unknown',
  severity: 'warning',
  scope: 'runtime',
  needs: 'spec',
  summary: 'runtime.nginxVersion names a version gwctl does not know',
  help: 'A version newer than gwctl knows is rendered as for the newest it knows; a patch level a closed branch never had is likely a typo. Check with `nginx -v` (OpenResty: the first three numbers of `openresty -v`).',
  run: ({ spec }) => {
    const version = spec.runtime?.nginxVersion;
    const v = version === undefined ? undefined : parseVersion(version);
    const why = v && atLeast(v, MIN_SUPPORTED) ? unknownVersion(v) : undefined;
    if (!why) return [];
    return [
      {
        path: ['runtime', 'nginxVersion'],
        message: `gwctl does not know nginx ${version}: ${why}; check the version with \`nginx -v\` (OpenResty: \`openresty -v\`, the first three numbers)`,
      },
    ];
  },
};

export const upstreamConnectTimeoutLong: Check = {
  code: 'upstream.connect-timeout-long',
  severity: 'warning',
  scope: 'upstream',
  needs: 'spec',
  summary: 'A connect timeout above 75s',
  help: 'The kernel usually gives up on a connection attempt before 75s (nginx documents the same), so a longer timeouts.connect never takes effect: set 75s or less.',
  run: ({ spec }) =>
    Object.entries(spec.upstreams ?? {}).flatMap(([name, up]): Finding[] => {
      const connect = up.timeouts?.connect;
      if (connect === undefined || durationMs(connect) <= CONNECT_TIMEOUT_CEILING_MS) return [];
      return [
        {
          path: ['upstreams', name, 'timeouts', 'connect'],
          message: `connect timeout ${connect} is above 75s: the kernel usually gives up on a connection attempt before that (nginx documents the same), so the effective timeout is shorter`,
        },
      ];
    }),
};

export const upstreamRetryOneServer: Check = {
  code: 'upstream.retry-one-server',
  severity: 'warning',
  scope: 'upstream',
  needs: 'spec',
  summary: 'retry.tries above 1 on an upstream with one server',
  help: 'nginx tries each server at most once per request, so with one server there is nothing to retry on: add servers, or remove retry.tries.',
  run: ({ spec }) =>
    Object.entries(spec.upstreams ?? {})
      .filter(([, up]) => up.retry?.tries !== undefined && up.retry.tries > 1 && up.servers.length === 1)
      .map(([name, up]) => ({
        path: ['upstreams', name, 'retry', 'tries'],
        message: `retry.tries ${up.retry!.tries} has no effect: nginx tries each server at most once per request and this upstream has one; add servers or remove tries`,
      })),
};

export const routeStripRoot: Check = {
  code: 'route.strip-root',
  severity: 'warning',
  scope: 'route',
  needs: 'spec',
  summary: 'stripPath on the path "/" removes nothing',
  help: 'Every URI starts with "/", which stripPath keeps: remove stripPath from the route.',
  run: ({ spec }) =>
    (spec.routes ?? []).flatMap((r, i): Finding[] =>
      r.stripPath && r.path === '/'
        ? [{ path: ['routes', i, 'stripPath'], message: 'stripPath on path "/" removes nothing; remove stripPath' }]
        : [],
    ),
};

export const limitsSizeTooLarge: Check = {
  code: 'limits.size-too-large',
  severity: 'error',
  scope: 'route',
  needs: 'spec',
  summary: 'A body size limit above 8 PiB',
  help: 'Write a smaller size, or 0 for no limit.',
  run: ({ spec }) => {
    const sizes: [Size | undefined, (string | number)[]][] = [
      [spec.limits?.maxBodySize, ['limits', 'maxBodySize']],
      ...(spec.routes ?? []).map((r, i): [Size | undefined, (string | number)[]] => [
        r.maxBodySize,
        ['routes', i, 'maxBodySize'],
      ]),
    ];
    return sizes
      .filter(([size]) => size !== undefined && sizeBytes(size) > LARGEST_SIZE)
      .map(([size, path]) => ({ path, message: `${size} is larger than gwctl accepts (8 PiB); 0 means no limit` }));
  },
};

/** Traffic settings and the targeted nginx version (docs/traffic.md). */
export const TRAFFIC_CHECKS: readonly Check[] = [
  runtimeNginxVersionUnsupported,
  runtimeNginxVersionUnknown,
  upstreamConnectTimeoutLong,
  upstreamRetryOneServer,
  routeStripRoot,
  limitsSizeTooLarge,
];
