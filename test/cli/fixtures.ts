import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli.js';
import { copyExample } from '../support/example.js';

/** A temporary directory holding a copy of examples/mtls-upstream as gw/ (spec: gw/gateway.yaml). */
export function exampleCopy(prefix = 'gwctl-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  copyExample(join(dir, 'gw'));
  return dir;
}

export const SPEC = 'gw/gateway.yaml';

/** Misspells tls.serverName; returns the 1-based line of the typo. */
export function misspellServerName(dir: string): number {
  const spec = join(dir, SPEC);
  const text = readFileSync(spec, 'utf8').replace('serverName: orders.internal', 'servrName: orders.internal');
  writeFileSync(spec, text);
  return text.split('\n').findIndex((l) => l.includes('servrName')) + 1;
}

/** Adds a trust store nothing uses: a warning (ref.unused) and nothing else. Returns its line. */
export function addUnusedTrustStore(dir: string): number {
  const spec = join(dir, SPEC);
  const text = readFileSync(spec, 'utf8').replace(
    'trustStores:\n',
    'trustStores:\n  spare:\n    certificates: [pki/demo-root-ca.crt]\n',
  );
  writeFileSync(spec, text);
  return text.split('\n').findIndex((l) => l.includes('spare:')) + 1;
}

/** gwctl in-process, with this process's environment (PATH, for nginx) unless told otherwise. */
export function run(args: string[], cwd: string, env: Record<string, string | undefined> = process.env) {
  return main(args, { cwd, color: false, env });
}

/** An executable shell script standing in for nginx; returns its path. */
export function fakeNginx(dir: string, body: string): string {
  const p = join(dir, 'fake-nginx');
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}
