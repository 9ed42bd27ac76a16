import { webcrypto } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quote } from '../text/quote.js';
import { keyUses } from './conf-keys.js';

/**
 * nginx -t where keys live only on the gateway host (hostPath): nginx loads every certificate
 * and key at start-up, so the configuration cannot be tested here as it is. Each TLS context
 * naming such a key (or password file) gets a generated certificate, key and password file in
 * their place, on the same lines; everything else nginx -t reads is the real output.
 */
export interface StandInConf {
  /** Absolute path of the substituted nginx.conf (same line numbers as the original). */
  confFile: string;
  /** TLS contexts that got stand-ins. */
  replaced: number;
  /** Removes the stand-in files. */
  dispose(): void;
}

export async function withStandIns(
  dir: string,
  conf: string,
  hostFiles: ReadonlySet<string>,
): Promise<StandInConf | undefined> {
  const uses = keyUses(conf).filter(
    (u) => hostFiles.has(u.key.value) || (u.passwordFile !== undefined && hostFiles.has(u.passwordFile.value)),
  );
  if (!uses.length) return undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'gwctl-stand-in-'));
  try {
    // nginx resolves certificate paths against the directory of the file given to -c: DIR's own
    // files (tls/...) are linked beside the substituted copy.
    for (const entry of readdirSync(dir))
      if (entry !== 'nginx.conf') symlinkSync(join(dir, entry), join(scratch, entry));
    const stand = join(scratch, '.gwctl-stand-in');
    mkdirSync(stand, { mode: 0o700 });
    const pair = await standInPair();
    const files = {
      certificate: join(stand, 'stand-in.crt'),
      key: join(stand, 'stand-in.key'),
      passwordFile: join(stand, 'stand-in.pass'),
    };
    writeFileSync(files.certificate, pair.certificate);
    writeFileSync(files.key, pair.key, { mode: 0o600 });
    writeFileSync(files.passwordFile, 'unused: the stand-in key is not encrypted\n', { mode: 0o600 });
    const lines = conf.split('\n');
    for (const u of uses)
      for (const field of ['certificate', 'key', 'passwordFile'] as const) {
        const at = u[field];
        if (at)
          lines[at.line - 1] = lines[at.line - 1].replace(
            /\s("(?:[^"\\]|\\.)*"|[^\s;]+)\s*;\s*$/,
            ` ${quote(files[field])};`,
          );
      }
    const confFile = join(scratch, 'nginx.conf');
    writeFileSync(confFile, lines.join('\n'));
    return { confFile, replaced: uses.length, dispose: () => rmSync(scratch, { recursive: true, force: true }) };
  } catch (e) {
    rmSync(scratch, { recursive: true, force: true });
    throw e;
  }
}

/** A P-256 key and a self-signed certificate for it, generated for this one nginx -t. */
async function standInPair(): Promise<{ certificate: string; key: string }> {
  // @peculiar/x509 needs the Reflect metadata polyfill loaded first (nothing else loads it any more).
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as Crypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=gwctl stand-in for a key on the gateway host',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 86_400_000),
    keys: keys as CryptoKeyPair,
    signingAlgorithm: alg,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', (keys as CryptoKeyPair).privateKey));
  const b64 = pkcs8.toString('base64').replace(/.{1,64}/g, '$&\n');
  return { certificate: cert.toString('pem'), key: `-----BEGIN PRIVATE KEY-----\n${b64}-----END PRIVATE KEY-----\n` };
}
