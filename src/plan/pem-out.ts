import { createHash } from 'node:crypto';
import type { CertSource } from '../tls/verdict.js';

/** Re-encodes certificates as clean PEM: only the certificates, never anything else the file held. */
export function toPem(certs: readonly CertSource[]): string {
  return certs.map(({ block }) => {
    const b64 = block.der.toString('base64').replace(/.{1,64}/g, '$&\n');
    return `-----BEGIN ${block.label}-----\n${b64}-----END ${block.label}-----\n`;
  }).join('');
}

export function shortHash(content: string, length = 12): string {
  return createHash('sha256').update(content).digest('hex').slice(0, length);
}
