import { createHash } from 'node:crypto';
import type { CertSource } from '../tls/verdict.js';

/** Re-encodes certificates as clean PEM: only the certificates, never anything else the file held. */
export function toPem(certs: readonly CertSource[]): string {
  return certs
    .map(({ block }) => {
      const b64 = block.der.toString('base64').replace(/.{1,64}/g, '$&\n');
      return `-----BEGIN ${block.label}-----\n${b64}-----END ${block.label}-----\n`;
    })
    .join('');
}

export function shortHash(content: string | Buffer, length = 12): string {
  return createHash('sha256').update(content).digest('hex').slice(0, length);
}

/**
 * Every file gwctl writes beside nginx.conf is content-addressed: `tls/<what>-<12 hex>.pem`, so a
 * new render's files land beside the old ones without changing what the old nginx.conf sees.
 */
export function outputFilePath(prefix: string, content: string): string {
  return `tls/${prefix}-${shortHash(content)}.pem`;
}

export const OUTPUT_FILE_NAME = /^[A-Za-z0-9_.-]+-[0-9a-f]{12}\.pem$/;
