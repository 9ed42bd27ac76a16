/** Everything the templates see. Values here are plain data; quoting happens in the template helpers. */
export interface RenderModel {
  /** Comment lines at the top of nginx.conf. */
  header: string[];
  /** Absolute paths of dynamic modules to load (stock nginx flavor). */
  loadModules: string[];
  upstreams: UpstreamModel[];
  serverBlocks: ServerBlockModel[];
  /** Files written next to nginx.conf, relative to the output directory. */
  files: OutputFile[];
  /** Comments listing every upstream whose verification is deliberately off. */
  insecure: { upstream: string; reason: string }[];
}

export interface OutputFile {
  path: string;
  content: string;
}

export interface UpstreamModel {
  /** nginx upstream block name: stable, unique, derived from the spec name. */
  id: string;
  specName: string;
  servers: { address: string; params: string[] }[];
  keepalive: number;
}

/** Everything that lives in one OpenSSL SSL_CTX. Upstreams with equal profiles share a context. */
export interface TlsProfileModel {
  id: string;
  verify: boolean;
  trustedCertificate?: string;
  crl?: string;
  verifyDepth: number;
  certificate?: string;
  certificateKey?: string;
  passwordFile?: string;
  protocols?: string[];
  ciphers?: string;
  sessionReuse: boolean;
  /** Spec upstreams using this profile, for the comment above it. */
  usedBy: string[];
}

export interface ServerBlockModel {
  listens: { address: string; params: string[] }[];
  serverNames: string[];
  tls?: { certificate: string; certificateKey: string; passwordFile?: string };
  routes: RouteModel[];
  /** Named locations, one per TLS profile used by this block's routes. */
  profiles: TlsProfileModel[];
  /** A catch-all 404 when no route covers "/". */
  fallback404: boolean;
}

export interface RouteModel {
  path: string;
  upstreamId: string;
  specUpstream: string;
  /** Host header sent upstream: a literal, or the client's own. */
  hostHeader: { literal: string } | { client: true };
  /** Present for TLS upstreams: the route hands the request to this profile's named location. */
  tls?: { profileId: string; sslName: string };
}
