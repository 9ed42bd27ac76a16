import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parsePem } from '../pem.js';

/** First line of every chain file gwctl probe writes: how it knows a file is its own to replace. */
export const PROBE_MARKER = '# Written by gwctl probe';

export type SaveOutcome =
  | { kind: 'written'; count: number; backup?: string }
  | { kind: 'unchanged' }
  | { kind: 'refused' }
  | { kind: 'empty' };

/**
 * Writes the served chain, leaf first and exactly as sent, to `file`. A file gwctl probe wrote
 * (its first line is PROBE_MARKER) is replaced; one holding exactly the same certificates is
 * left alone; any other file is replaced only with `force`, and then kept as FILE.bak. The write
 * goes to a temporary sibling renamed into place, so a crash never leaves half a file.
 */
export function saveChain(
  file: string,
  certs: readonly Buffer[],
  servers: readonly string[],
  opts: { force: boolean; now: Date },
): SaveOutcome {
  if (!certs.length) return { kind: 'empty' };
  let backup: string | undefined;
  if (existsSync(file)) {
    const old = readFileSync(file);
    const blocks = parsePem(old, 'certificate');
    const same =
      'blocks' in blocks &&
      blocks.blocks.length === certs.length &&
      blocks.blocks.every((b, i) => b.der.equals(certs[i]));
    if (same) return { kind: 'unchanged' };
    if (!old.toString('latin1').startsWith(PROBE_MARKER)) {
      if (!opts.force) return { kind: 'refused' };
      backup = `${file}.bak`;
      copyFileSync(file, backup);
    }
  }
  const text = [
    `${PROBE_MARKER} from ${servers.join(', ')} at ${opts.now.toISOString()}: the chain as served, leaf first.`,
    '# gwctl probe --save replaces this file; keep your own edits elsewhere.',
    ...certs.map((der) => pem(der)),
  ].join('\n');
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.gwctl-probe-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  return { kind: 'written', count: certs.length, ...(backup ? { backup } : {}) };
}

function pem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----`;
}
