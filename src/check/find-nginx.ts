import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** Where OpenResty and nginx live when their directory is not on PATH (e.g. /usr/sbin for a non-root user). */
export const FALLBACK_BINARIES: readonly string[] = [
  '/usr/local/openresty/bin/openresty',
  '/usr/local/openresty/nginx/sbin/nginx',
  '/usr/sbin/nginx',
  '/usr/local/nginx/sbin/nginx',
];

/** Names looked up on PATH, in order: OpenResty first (gwctl's default flavor), then stock nginx. */
export const PATH_NAMES: readonly string[] = ['openresty', 'nginx'];

export interface FindNginxOptions {
  /** `--nginx PATH`: a path or a command name; when given, nothing else is tried. */
  explicit?: string;
  /** The environment: GWCTL_NGINX, then PATH. */
  env: Readonly<Record<string, string | undefined>>;
  /** Relative `--nginx`/`GWCTL_NGINX` paths resolve against this. */
  cwd: string;
  /** Tried after PATH; tests pass [] to simulate a machine with no nginx. */
  fallbacks?: readonly string[];
}

export type FoundNginx = { binary: string; via: string } | { problem: string };

/** `--nginx`, else $GWCTL_NGINX, else openresty or nginx on PATH, else the usual install locations. */
export function findNginx(o: FindNginxOptions): FoundNginx {
  if (o.explicit !== undefined) return named(o.explicit, '--nginx', o);
  const fromEnv = o.env.GWCTL_NGINX;
  if (fromEnv) return named(fromEnv, 'GWCTL_NGINX', o);
  for (const name of PATH_NAMES) {
    const hit = onPath(name, o.env.PATH);
    if (hit) return { binary: hit, via: 'PATH' };
  }
  for (const candidate of o.fallbacks ?? FALLBACK_BINARIES) {
    if (executable(candidate)) return { binary: candidate, via: candidate };
  }
  return {
    problem:
      `no nginx or openresty binary found (looked for ${PATH_NAMES.join(', ')} on PATH and in ${(o.fallbacks ?? FALLBACK_BINARIES).join(', ') || 'no other place'}); ` +
      'install OpenResty or nginx, or point --nginx PATH or GWCTL_NGINX at one',
  };
}

function named(value: string, source: string, o: FindNginxOptions): FoundNginx {
  if (value.includes('/')) {
    const p = isAbsolute(value) ? value : resolve(o.cwd, value);
    return executable(p) ? { binary: p, via: source } : { problem: `${source} ${value}: ${describeMissing(p)}` };
  }
  const hit = onPath(value, o.env.PATH);
  return hit ? { binary: hit, via: source } : { problem: `${source} ${value}: no such command on PATH` };
}

function onPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (executable(p)) return p;
  }
  return undefined;
}

function executable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function describeMissing(p: string): string {
  try {
    const st = statSync(p);
    return st.isFile() ? 'is not executable' : 'is not a file';
  } catch {
    return 'does not exist';
  }
}
