import { parse } from 'yaml';
import type { Capabilities } from '../../../src/import/kong/capabilities.js';
import { importKong, type ImportOptions } from '../../../src/import/kong/import-kong.js';
import { parseKong } from '../../../src/import/kong/kong-file.js';
import type { GatewayOut, OutRoute, OutUpstream } from '../../../src/import/kong/gateway-out.js';
import { specText } from '../../../src/import/kong/write-import.js';

export const ALL: Capabilities = {
  stripPath: true,
  buffering: true,
  timeouts: true,
  healthCheck: true,
  successStatuses: true,
  retry: true,
};
export const NONE: Capabilities = {
  stripPath: false,
  buffering: false,
  timeouts: false,
  healthCheck: false,
  successStatuses: false,
  retry: false,
};

/** gateway.yaml as the import writes it. */
export interface SpecRead {
  version?: number;
  listen?: { port: number; address?: string }[];
  trustStores?: Record<string, { certificates: string[] }>;
  clientCertificates?: Record<string, { certificate: string; key: string }>;
  upstreams: Record<string, OutUpstream>;
  routes?: OutRoute[];
  status?: { port: number; address: string };
}

export interface Imported {
  /** The spec as written to gateway.yaml, read back. */
  spec: SpecRead;
  out?: GatewayOut;
  /** `line:column severity code` per finding, in order. */
  found: string[];
  messages: string[];
}

/** Imports Kong YAML text as `gwctl import kong` does, without touching the disk. */
export function importText(text: string, opts: Partial<ImportOptions> = {}): Imported {
  const { kong, findings } = parseKong(Buffer.from(text, 'utf8'), '/kong/kong.yml');
  const out = kong
    ? importKong(kong, findings, {
        defaults: { verify: false, verifyDepth: 1 },
        listen: { port: 8000 },
        capabilities: ALL,
        ...opts,
      })
    : undefined;
  const failed = findings.failed;
  return {
    spec: out && !failed ? (parse(specText(out, '/kong/kong.yml', { port: 8000 })) as SpecRead) : { upstreams: {} },
    out,
    found: findings.list.map((d) => `${d.line}:${d.column} ${d.severity} ${d.code}`),
    messages: findings.list.map((d) => d.message),
  };
}

/** A PEM text as a YAML block scalar's lines, indented for a field at `indent` spaces. */
export function block(pem: string, indent: number): string {
  const pad = ' '.repeat(indent + 2);
  return `|\n${pem
    .trimEnd()
    .split(/\r?\n/)
    .map((l) => pad + l)
    .join('\n')}`;
}
