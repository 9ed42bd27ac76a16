import { error, warning, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { GatewaySpec, Size } from '../load/spec-types.js';
import { MIN_SUPPORTED, atLeast, parseVersion, unknownVersion, versionText } from '../plan/nginx-version.js';
import { durationMs, sizeBytes } from '../plan/units.js';

/** nginx's documentation: "the timeout usually cannot exceed 75 seconds" (the kernel gives up first). */
export const CONNECT_TIMEOUT_CEILING_MS = 75_000;
/** Sizes are compared as JavaScript numbers: exact up to 2^53 bytes (8 PiB), far above any body. */
const LARGEST_SIZE = Number.MAX_SAFE_INTEGER;

/** Settings of traffic and of the targeted nginx version that the schema alone cannot judge. */
export function validateTraffic(spec: GatewaySpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const version = spec.runtime?.nginxVersion;
  if (version !== undefined) {
    const v = parseVersion(version);
    if (v && !atLeast(v, MIN_SUPPORTED))
      out.push(
        error(
          'runtime.nginx-version-unsupported',
          `nginx ${version} is older than ${versionText(MIN_SUPPORTED)}, the oldest core gwctl renders for (directives its output uses are missing); upgrade nginx, or check what runs with \`nginx -v\``,
          ['runtime', 'nginxVersion'],
        ),
      );
    else if (v) {
      const why = unknownVersion(v);
      if (why)
        out.push(
          warning(
            'runtime.nginx-version-unknown',
            `gwctl does not know nginx ${version}: ${why}; check the version with \`nginx -v\` (OpenResty: \`openresty -v\`, the first three numbers)`,
            ['runtime', 'nginxVersion'],
          ),
        );
    }
  }
  const checkSize = (size: Size | undefined, path: (string | number)[]) => {
    if (size !== undefined && sizeBytes(size) > LARGEST_SIZE)
      out.push(error('limits.size-too-large', `${size} is larger than gwctl accepts (8 PiB)`, path));
  };
  checkSize(spec.limits?.maxBodySize, ['limits', 'maxBodySize']);
  for (const [name, up] of Object.entries(spec.upstreams ?? {})) {
    const connect = up.timeouts?.connect;
    if (connect !== undefined && durationMs(connect) > CONNECT_TIMEOUT_CEILING_MS)
      out.push(
        warning(
          'upstream.connect-timeout-long',
          `connect timeout ${connect} is above 75s: the kernel usually gives up on a connection attempt before that (nginx documents the same), so the effective timeout is shorter`,
          ['upstreams', name, 'timeouts', 'connect'],
        ),
      );
    if (up.retry?.tries !== undefined && up.retry.tries > 1 && up.servers.length === 1)
      out.push(
        warning(
          'upstream.retry-one-server',
          `retry.tries ${up.retry.tries} has no effect: nginx tries each server at most once per request and this upstream has one; add servers or remove tries`,
          ['upstreams', name, 'retry', 'tries'],
        ),
      );
  }
  (spec.routes ?? []).forEach((r, i) => {
    checkSize(r.maxBodySize, ['routes', i, 'maxBodySize']);
    if (r.stripPath && r.path === '/')
      out.push(
        warning('route.strip-root', 'stripPath on path "/" removes nothing; remove stripPath', [
          'routes',
          i,
          'stripPath',
        ]),
      );
  });
  return out;
}
