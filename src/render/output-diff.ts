import { join } from 'node:path';
import { readRegularFile } from '../load/read-file.js';
import type { OutputFile } from '../plan/render-model.js';
import { MAX_CONF_BYTES } from '../output/layout.js';
import type { Drift } from './write-output.js';

/** What `render` would change in DIR, for `render --check`. */
export interface OutputDiff {
  /** Unified diff of DIR/nginx.conf (as on disk) against the one gwctl would write; null when equal. */
  nginxConf: string | null;
  /** The other files (tls/...): written new, written over, removed. */
  files: { added: string[]; changed: string[]; removed: string[] };
}

/** `shown`: DIR as the user named it, for the diff's file names. */
export async function outputDiff(
  outDir: string,
  shown: string,
  files: OutputFile[],
  drift: Drift[],
): Promise<OutputDiff> {
  const others = (kind: Drift['kind']) =>
    drift.filter((d) => d.kind === kind && d.path !== 'nginx.conf').map((d) => d.path);
  const conf = drift.find((d) => d.path === 'nginx.conf');
  let nginxConf: string | null = null;
  if (conf) {
    const after = files.find((f) => f.path === 'nginx.conf')?.content ?? '';
    const before = conf.kind === 'missing' ? '' : onDisk(join(outDir, 'nginx.conf'));
    const { createTwoFilesPatch } = await import('diff');
    // git's form (a/ b/, /dev/null for a new file), without the Index and ==== lines.
    const name = join(shown, 'nginx.conf');
    nginxConf = createTwoFilesPatch(
      conf.kind === 'missing' ? '/dev/null' : `a/${name}`,
      `b/${name}`,
      before,
      after,
      undefined,
      undefined,
      { context: 3 },
    ).replace(/^(?:Index: [^\n]*\n)?=+\n/, '');
  }
  return { nginxConf, files: { added: others('missing'), changed: others('differs'), removed: others('extra') } };
}

/** The current nginx.conf as text; what cannot be read as a file shows as empty (the drift names why). */
function onDisk(file: string): string {
  const r = readRegularFile(file, MAX_CONF_BYTES);
  return 'data' in r ? r.data.toString('utf8') : '';
}

/** The human form: the unified diff, then one line per kind of file change. */
export function describeDiff(d: OutputDiff): string {
  const lines: string[] = [];
  const list = (what: string, paths: string[]) => {
    if (paths.length) lines.push(`${what}: ${paths.join(', ')}`);
  };
  list('files added', d.files.added);
  list('files changed', d.files.changed);
  list('files removed', d.files.removed);
  return `${d.nginxConf ?? ''}${lines.map((l) => `${l}\n`).join('')}`;
}
