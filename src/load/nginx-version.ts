/**
 * What the rendered output depends on in the nginx core it targets (runtime.nginxVersion). Each
 * difference is one named fact here, used by plan and explained in docs/traffic.md.
 */
export type Version = readonly [number, number, number];

/** Oldest core gwctl renders for: every directive its output uses exists there. */
export const MIN_SUPPORTED: Version = [1, 18, 0];
/** Newest branch gwctl knows of; later versions are rendered as for this one, with a warning. */
export const NEWEST_KNOWN_MINOR = 29;
/** Last release of branches that are closed: a later patch level does not exist. */
export const LAST_PATCH: Record<number, number> = {
  18: 0,
  19: 10,
  20: 2,
  21: 6,
  22: 1,
  23: 4,
  24: 0,
  25: 5,
  26: 3,
  27: 5,
};

/** nginx 1.23.4 added TLSv1.3 to the default of ssl_protocols and proxy_ssl_protocols. */
export const TLS13_DEFAULT_SINCE: Version = [1, 23, 4];
/** What gwctl writes where the spec names no protocols and nginx's default lacks TLSv1.3. */
export const DEFAULT_PROTOCOLS = ['TLSv1.2', 'TLSv1.3'];

export function parseVersion(text: string): Version | undefined {
  const m = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function atLeast(v: Version, min: Version): boolean {
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i] > min[i];
  return true;
}

export const versionText = (v: Version): string => v.join('.');

/**
 * The version facts plan needs. Without a version gwctl cannot know and writes nothing
 * version-dependent: the defaults of whichever nginx runs the output apply.
 */
export interface NginxTarget {
  version?: Version;
  /** Protocols to write where the spec sets none; undefined: nginx's default already has TLSv1.3. */
  defaultProtocols?: string[];
}

export function nginxTarget(nginxVersion: string | undefined): NginxTarget {
  const version = nginxVersion === undefined ? undefined : parseVersion(nginxVersion);
  const lacksTls13 = version !== undefined && !atLeast(version, TLS13_DEFAULT_SINCE);
  return { version, defaultProtocols: lacksTls13 ? DEFAULT_PROTOCOLS : undefined };
}

/** Why gwctl does not know this version, or undefined when it does. */
export function unknownVersion(v: Version): string | undefined {
  if (v[0] !== 1 || v[1] > NEWEST_KNOWN_MINOR)
    return `gwctl knows nginx up to 1.${NEWEST_KNOWN_MINOR}.x; the output is rendered as for 1.${NEWEST_KNOWN_MINOR}`;
  const last = LAST_PATCH[v[1]];
  if (last !== undefined && v[2] > last) return `the 1.${v[1]} branch ended with 1.${v[1]}.${last}`;
  return undefined;
}

/**
 * The protocols nginx offers an upstream whose spec sets no tls.protocols, with gwctl's output:
 * what gwctl writes for a declared version before 1.23.4 (TLSv1.2 TLSv1.3), else nginx's own
 * default — TLSv1 TLSv1.1 TLSv1.2 before 1.23.4 (no TLS 1.3: measured with Debian's 1.22.1),
 * TLSv1.2 TLSv1.3 from then on. Without a runtime.nginxVersion gwctl writes nothing and the
 * older default is assumed, the one Debian 12 and OpenResty 1.21 ship. probe and the offline
 * checks use this, so they predict the handshake the rendered gateway makes.
 */
export function nginxDefaultProtocols(version: string | undefined): string[] {
  const target = nginxTarget(version);
  if (target.defaultProtocols) return target.defaultProtocols;
  const v = target.version ?? [1, 22, 1];
  return atLeast(v, TLS13_DEFAULT_SINCE) ? ['TLSv1.2', 'TLSv1.3'] : ['TLSv1', 'TLSv1.1', 'TLSv1.2'];
}
