import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { PemBlock } from './pem.js';

/**
 * Opening a PEM private key, for the spec's key files (src/validate/files.ts, gwctl test) and the
 * client-certificate analysis alike: one rule for what counts as encrypted, one way to open it.
 */

/** A key protected by a passphrase: PKCS#8 "ENCRYPTED PRIVATE KEY", or a traditional key with a Proc-Type header. */
export function isEncryptedKey(block: Pick<PemBlock, 'label' | 'text'>): boolean {
  return block.label === 'ENCRYPTED PRIVATE KEY' || /^Proc-Type: 4,ENCRYPTED\r?$/m.test(block.text);
}

/**
 * The key, opened with the first of `passphrases` that decrypts it (an unencrypted key ignores
 * them); undefined when none does, or the key cannot be parsed. OpenSSL's error is not kept: it
 * could quote the input.
 */
export function openPrivateKey(
  block: Pick<PemBlock, 'label' | 'text'>,
  passphrases: readonly (string | Buffer)[],
): KeyObject | undefined {
  for (const passphrase of isEncryptedKey(block) ? passphrases : [undefined]) {
    try {
      return createPrivateKey(
        passphrase === undefined ? { key: block.text, format: 'pem' } : { key: block.text, format: 'pem', passphrase },
      );
    } catch {
      /* the next passphrase */
    }
  }
  return undefined;
}
