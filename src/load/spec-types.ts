/** The gateway spec as the schema admits it (see schemas/gateway.schema.json). */
export interface GatewaySpec {
  version: 1;
  runtime?: { flavor?: 'openresty' | 'nginx'; nginxVersion?: string; modulesPath?: string };
  limits?: { maxBodySize?: Size };
  listen: ListenSpec[];
  trustStores?: Record<string, TrustStoreSpec>;
  clientCertificates?: Record<string, ClientCertificateSpec>;
  upstreams?: Record<string, UpstreamSpec>;
  routes?: RouteSpec[];
  status?: StatusSpec;
  /** Which fields an environment file may change (src/load/environment.ts, docs/environments.md). */
  environments?: { overridable?: string[] };
}

/** The GET /status listener; health checks run through it too. */
export interface StatusSpec {
  port: number;
  address?: string;
}

export interface HealthCheckSpec {
  path?: string;
  /** Durations as written: "5s", "500ms". */
  interval?: string;
  timeout?: string;
  healthyAfter?: number;
  unhealthyAfter?: number;
  successStatuses?: number[];
}

export interface ListenSpec {
  port: number;
  address?: string;
  tls?: { certificate: string; key: FileRef; passwordFile?: FileRef };
}

/** A key or password file on the gateway host, named in nginx.conf verbatim and never read by gwctl. */
export interface HostFile {
  hostPath: string;
}

/** A path read where gwctl runs (relative to the spec), or a file that exists only on the gateway host. */
export type FileRef = string | HostFile;

export interface TrustStoreSpec {
  certificates: string[];
  crl?: string;
}

export interface ClientCertificateSpec {
  certificate: string;
  key: FileRef;
  passwordFile?: FileRef;
}

export interface ServerObjectSpec {
  address: string;
  weight?: number;
  maxFails?: number;
  /** Seconds, or a duration string. */
  failTimeout?: number | Duration;
  backup?: boolean;
}

export interface UpstreamSpec {
  servers: (string | ServerObjectSpec)[];
  timeouts?: { connect?: Duration; read?: Duration; send?: Duration };
  retry?: RetrySpec;
  keepalive?: number;
  hostHeader?: string;
  /** Path put before every proxied path ("/v1"); see src/plan/traffic.ts. */
  basePath?: string;
  healthCheck?: HealthCheckSpec;
  tls?: UpstreamTlsSpec;
}

export interface UpstreamTlsSpec {
  trustStore?: string;
  serverName?: string;
  verifyDepth?: number;
  clientCertificate?: string;
  presentedChain?: string;
  protocols?: string[];
  ciphers?: string;
  verify?: boolean;
  insecureReason?: string;
  sessionReuse?: boolean;
}

export interface RouteSpec {
  path: string;
  upstream: string;
  host?: string;
  preserveHost?: boolean;
  maxBodySize?: Size;
  buffering?: { request?: boolean; response?: boolean };
  stripPath?: boolean;
}

/** A number and ms, s, m or h, e.g. "5s" (schema definition "duration"). */
export type Duration = string;
/** Bytes, or a number and k, m or g, e.g. "10m"; 0 = no limit (schema definition "size"). */
export type Size = string | number;

export interface RetrySpec {
  tries?: number;
  timeout?: Duration;
  nonIdempotent?: 'never' | 'unsent' | 'always';
}
