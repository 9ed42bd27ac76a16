import type { SpecPath } from '../diagnostics/diagnostic.js';
import type { GatewaySpec, UpstreamTlsSpec } from '../load/spec-types.js';

export interface TlsUpstream {
  name: string;
  tls: UpstreamTlsSpec;
  /** `upstreams.NAME.tls` */
  path: SpecPath;
  verify: boolean;
}

/** Every upstream with a `tls` block, in spec order. */
export function tlsUpstreams(spec: GatewaySpec): TlsUpstream[] {
  return Object.entries(spec.upstreams ?? {}).flatMap(([name, up]) =>
    up.tls ? [{ name, tls: up.tls, path: ['upstreams', name, 'tls'], verify: up.tls.verify ?? true }] : [],
  );
}
