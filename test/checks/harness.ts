import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { stringify } from 'yaml';
import { formatPath } from '../../src/diagnostics/diagnostic.js';
import { checkSpec } from '../../src/pipeline/check-spec.js';
import { makePki } from '../support/pki.js';

/**
 * A registered check's fixtures: a spec that triggers it, with the exact diagnostics checkSpec
 * reports, and a near miss that must not trigger it (usually `expect: []`). Specs are built from
 * BASE_SPEC, written as YAML beside real files, and run through the whole spec check (load →
 * schema → checks → files → checks of the files).
 */
export interface CheckFixture {
  trigger: FixtureCase;
  nearMiss: FixtureCase;
}

export interface FixtureCase {
  /** Changes a copy of BASE_SPEC in place. */
  spec: (s: SpecDoc) => void;
  /** Every diagnostic, as `severity code $.path`, in the order reported. */
  expect: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: fixtures edit the document freely, as a user would
export type SpecDoc = Record<string, any>;

/**
 * Files beside the spec: `root.crt` (a private root), `client.crt` / `client.key` (a client
 * certificate and its key), `other.key` (a key of another certificate), `public-root.pem` (one
 * public Web PKI root, from Node's store).
 */
export const BASE_SPEC: SpecDoc = {
  version: 1,
  listen: [{ port: 8080 }],
  trustStores: { internal: { certificates: ['root.crt'] } },
  upstreams: {
    orders: { servers: ['127.0.0.1:8443'], tls: { trustStore: 'internal', serverName: 'orders.internal' } },
  },
  routes: [{ path: '/orders/', upstream: 'orders' }],
};

let dirPromise: Promise<string> | undefined;

async function fixtureDir(): Promise<string> {
  dirPromise ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gwctl-check-fixtures-'));
    const pki = await makePki(join(dir, 'pki'));
    const root = pki.root('Fixture Root CA');
    const client = pki.leaf(root, { cn: 'fixture-client', client: true });
    const other = pki.leaf(root, { cn: 'fixture-other', client: true });
    copyFileSync(root.cert, join(dir, 'root.crt'));
    copyFileSync(client.cert, join(dir, 'client.crt'));
    copyFileSync(client.key, join(dir, 'client.key'));
    copyFileSync(other.key, join(dir, 'other.key'));
    writeFileSync(join(dir, 'public-root.pem'), rootCertificates[0]);
    return dir;
  })();
  return dirPromise;
}

let n = 0;
/** The diagnostics checkSpec reports for the case's spec. */
export async function runCase(c: FixtureCase): Promise<string[]> {
  const dir = await fixtureDir();
  const doc = structuredClone(BASE_SPEC);
  c.spec(doc);
  const file = join(dir, `spec-${n++}.yaml`);
  writeFileSync(file, stringify(doc));
  return checkSpec(file, dir).diagnostics.map((d) => `${d.severity} ${d.code} ${formatPath(d.path)}`);
}
