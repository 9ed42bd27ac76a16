/** The gwctl spec the import writes, in the contract's field names, and the files beside it. */

export interface OutTls {
  trustStore?: string;
  serverName?: string;
  verifyDepth?: number;
  clientCertificate?: string;
  verify?: boolean;
  insecureReason?: string;
}

export interface OutHealthCheck {
  path: string;
  interval: string;
  timeout: string;
  healthyAfter: number;
  unhealthyAfter: number;
  successStatuses?: number[];
}

export interface OutUpstream {
  servers: (string | { address: string; weight: number })[];
  hostHeader?: string;
  basePath?: string;
  tls?: OutTls;
  healthCheck?: OutHealthCheck;
  timeouts?: { connect: string; read: string; send: string };
  retry?: { tries: number; nonIdempotent: 'unsent' };
}

export interface OutRoute {
  path: string;
  upstream: string;
  host?: string;
  stripPath?: boolean;
  preserveHost?: boolean;
  buffering?: { request?: boolean; response?: boolean };
}

export interface OutFile {
  /** Relative to DIR. */
  path: string;
  content: string;
  mode: number;
}

/** Names in the spec: letters, digits, _ . - (schemas/gateway.schema.json#/definitions/name). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class GatewayOut {
  readonly trustStores = new Map<string, { certificates: string[] }>();
  readonly clientCertificates = new Map<string, { certificate: string; key: string }>();
  readonly upstreams = new Map<string, OutUpstream>();
  readonly routes: OutRoute[] = [];
  /** The status listener health checks run through, when there are any. */
  status?: { port: number; address: string };
  readonly files = new Map<string, OutFile>();
  /** Trust store name per set of CA files, and client certificate name per Kong certificate id: one each, however many services share them. */
  readonly storeByFiles = new Map<string, string>();
  readonly clientById = new Map<string, string>();
  readonly caIds = new Set<string>();
  /** Kong certificates some service or upstream names as its client certificate (mapped or not). */
  readonly clientCertIds = new Set<string>();
  private readonly names = new Set<string>();

  addFile(path: string, content: string, mode = 0o644): string {
    this.files.set(path, { path, content, mode });
    return path;
  }

  /**
   * A spec name made from a Kong name (which may hold characters the spec refuses, or be absent),
   * unique among every name handed out, so that `kind` namespaces never collide in messages.
   */
  uniqueName(wanted: string | undefined, fallback: string): string {
    let base = (wanted ?? '')
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 56);
    if (!NAME.test(base)) base = fallback;
    let name = base;
    for (let i = 2; this.names.has(name.toLowerCase()); i++) name = `${base}-${i}`;
    this.names.add(name.toLowerCase());
    return name;
  }
}
