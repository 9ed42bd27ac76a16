import type { KeyObject } from 'node:crypto';
import { statSync } from 'node:fs';
import { isEncryptedKey, openPrivateKey } from '../tls/private-key.js';
import { diag, error, warning, type Diagnostic, type SpecPath } from '../diagnostics/diagnostic.js';
import { isHostFile, refPath } from '../load/file-ref.js';
import type { FileRef, GatewaySpec } from '../load/spec-types.js';
import { readRegularFile } from '../load/read-file.js';
import type { PemBlock, PemKind } from '../tls/pem.js';
import { resolvePath, type KeyPair, type Material } from '../tls/material.js';
import { PemFiles, type PemResult } from '../tls/pem-files.js';
import { certificateFacts } from '../tls/certificate-facts.js';
import type { OpensslPemLoad } from '../tls/openssl-pem.js';
import type { CertSource } from '../tls/verdict.js';
import { decodeVerdicts } from '../tls/x509-pool.js';
import { showPath } from '../text/show.js';

/** nginx's ssl_password_file holds a few passphrases; anything larger is not a password file. */
export const MAX_PASSWORD_FILE_BYTES = 4096;

/** OpenSSL's PEM_BUFSIZE: nginx's password callback hands OpenSSL at most this much of a passphrase. */
const MAX_PASSPHRASE_BYTES = 1024;

/**
 * The passphrases nginx tries, as ngx_ssl_read_password_file() reads them: one per LF-ended line
 * (the last line too), one trailing CR dropped, empty lines skipped, bytes as they are (no text
 * decoding), each cut to 1024 bytes ("password is truncated to 1024 bytes").
 */
export function passphrases(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(0x0a, start);
    if (end < 0) end = data.length;
    let line = data.subarray(start, end);
    if (line.length && line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
    if (line.length) out.push(line.subarray(0, MAX_PASSPHRASE_BYTES));
    start = end + 1;
  }
  return out;
}

/**
 * Reads every file the spec references; problems become diagnostics at the referencing field.
 * `files` is shared by every spec of a run, so each file is read and parsed once.
 */
export function loadMaterial(
  spec: GatewaySpec,
  specDir: string,
  files = new PemFiles(),
): { material: Material; diagnostics: Diagnostic[] } {
  const out: Diagnostic[] = [];
  const material: Material = {
    trustStores: new Map(),
    crls: new Map(),
    clientCertificates: new Map(),
    listeners: new Map(),
    presentedChains: new Map(),
  };

  // Each file's findings once per spec, however often (and by whatever name) the spec lists it:
  // PemFiles hands out one result object per real path.
  const keyWarned = new Set<PemResult>();
  const opensslChecked = new Set<OpensslPemLoad>();
  /** `holder`: for files that should never hold a private key (a CA bundle, an upstream's chain), what the file is. */
  const pem = (p: string, kind: PemKind, path: SpecPath, holder?: string): CertSource[] | undefined => {
    const file = resolvePath(specDir, p);
    const r = files.read(file, kind);
    if ('problem' in r) {
      out.push(error(r.problem.code, `${showPath(p)}: ${r.problem.message}`, path));
      return undefined;
    }
    const key = holder !== undefined ? r.others?.find((o) => /PRIVATE KEY$/.test(o.label)) : undefined;
    if (key && !keyWarned.has(r)) {
      keyWarned.add(r);
      out.push(
        warning(
          'pem.private-key',
          `${showPath(p)}: this ${holder} also holds a private key (the block at line ${key.line}). gwctl never copies it to the output, but a private key in a ${holder} is a leaked secret wherever the file is committed: remove it, and replace the key`,
          path,
        ),
      );
    }
    if (kind === 'certificate') {
      const bad = firstUnparsable(r.blocks);
      if (bad) {
        out.push(
          error(
            'pem.bad-certificate',
            `${showPath(p)}: the certificate at line ${bad.line} is not a valid X.509 certificate`,
            path,
          ),
        );
        return undefined;
      }
    }
    return r.blocks.map((block) => ({ block, file }));
  };

  const keyPair = (
    certPath: string,
    keyRef: FileRef,
    passwordRef: FileRef | undefined,
    path: SpecPath,
  ): KeyPair | undefined => {
    const certs = pem(certPath, 'certificate', [...path, 'certificate']);
    const keyFile = isHostFile(keyRef) ? keyRef.hostPath : resolvePath(specDir, keyRef);
    const passwordFile =
      passwordRef === undefined
        ? undefined
        : isHostFile(passwordRef)
          ? passwordRef.hostPath
          : resolvePath(specDir, passwordRef);
    let key: KeyObject | undefined;
    if (isHostFile(keyRef)) out.push(keyOnHost(keyRef.hostPath, certPath, [...path, 'key', 'hostPath']));
    else
      key = readKey(files, {
        shown: keyRef,
        file: keyFile,
        passwordShown: passwordRef === undefined ? undefined : refPath(passwordRef),
        passwordFile,
        passwordOnHost: isHostFile(passwordRef),
        path: [...path, 'key'],
        out,
      });
    if (!certs) return undefined;
    return {
      certs,
      certFile: resolvePath(specDir, certPath),
      keyFile,
      passwordFile,
      key,
      onHost: isHostFile(keyRef) || isHostFile(passwordRef),
    };
  };

  spec.listen.forEach((l, i) => {
    if (!l.tls) return;
    const pair = keyPair(l.tls.certificate, l.tls.key, l.tls.passwordFile, ['listen', i, 'tls']);
    if (pair) material.listeners.set(i, pair);
  });
  for (const [name, ts] of Object.entries(spec.trustStores ?? {})) {
    const certs: CertSource[] = [];
    const seen = new Set<PemBlock>();
    let complete = true;
    ts.certificates.forEach((p, i) => {
      const c = pem(p, 'certificate', ['trustStores', name, 'certificates', i], 'CA bundle');
      if (!c) complete = false;
      // A file listed twice (by any name) adds nothing: its blocks are the very same objects.
      else if (c.length && !seen.has(c[0].block)) {
        seen.add(c[0].block);
        certs.push(...c);
        const load = files.opensslLoad(resolvePath(specDir, p));
        if (load && !opensslChecked.has(load))
          out.push(...opensslReadability(p, load, ['trustStores', name, 'certificates', i]));
        if (load) opensslChecked.add(load);
      }
    });
    if (complete) material.trustStores.set(name, certs);
    if (ts.crl !== undefined) {
      const crl = pem(ts.crl, 'crl', ['trustStores', name, 'crl']);
      if (crl) material.crls.set(name, crl);
    }
  }
  for (const [name, cc] of Object.entries(spec.clientCertificates ?? {})) {
    const pair = keyPair(cc.certificate, cc.key, cc.passwordFile, ['clientCertificates', name]);
    if (pair) material.clientCertificates.set(name, pair);
  }
  for (const [name, up] of Object.entries(spec.upstreams ?? {})) {
    const chain = up.tls?.presentedChain;
    if (chain === undefined) continue;
    const certs = pem(chain, 'certificate', ['upstreams', name, 'tls', 'presentedChain'], "upstream's chain");
    if (certs) material.presentedChains.set(name, certs);
  }
  return { material, diagnostics: out };
}

/**
 * OpenSSL's verdict on every certificate the spec's files hold, decoded in parallel when there
 * are thousands (x509-pool.ts), before loadMaterial() and the checks ask for them one by one.
 * Returns how many the workers decoded (0 for an ordinary spec: nothing is started).
 */
export async function decodeCertificatesAhead(spec: GatewaySpec, specDir: string, files: PemFiles): Promise<number> {
  const trustFiles = Object.values(spec.trustStores ?? {}).flatMap((ts) => ts.certificates);
  const paths = [
    ...spec.listen.flatMap((l) => (l.tls ? [l.tls.certificate] : [])),
    ...trustFiles,
    ...Object.values(spec.clientCertificates ?? {}).map((cc) => cc.certificate),
    ...Object.values(spec.upstreams ?? {}).flatMap((up) => (up.tls?.presentedChain ? [up.tls.presentedChain] : [])),
  ];
  return decodeVerdicts(certificateDers(files, new Set(paths.map((p) => resolvePath(specDir, p)))), {}, () => {
    // loadMaterial()'s replay of OpenSSL's reading of each trust file needs no verdict.
    for (const p of trustFiles) files.scanAhead(resolvePath(specDir, p));
  });
}

/** The DER of every certificate block of these files (as read ahead: see PemFiles.readAhead). */
export function* certificateDers(files: PemFiles, paths: Iterable<string>): Iterable<Buffer> {
  for (const file of paths) {
    const r = files.readAhead(file);
    // A TRUSTED CERTIFICATE block carries its trust settings after the certificate: the store splits it.
    if (r && 'blocks' in r) for (const b of r.blocks) if (b.label !== 'TRUSTED CERTIFICATE') yield b.der;
  }
}

/**
 * A trust file gwctl reads but OpenSSL would not (src/tls/openssl-pem.ts). The rendered gateway is
 * unaffected, since render re-encodes trust stores from what gwctl read; but nginx or any other
 * OpenSSL tool pointed at the file itself would refuse it (or ignore what follows a NUL byte).
 */
function opensslReadability(p: string, load: OpensslPemLoad, path: SpecPath): Diagnostic[] {
  if (load.error) {
    return [
      warning(
        'pem.openssl-unreadable',
        `${showPath(p)}: OpenSSL cannot load this file (${load.error.reason}, line ${load.error.line}); gwctl re-encodes trust stores, so the rendered gateway works, but nginx or curl given the file itself would refuse it: rewrite it as plain PEM blocks`,
        path,
      ),
    ];
  }
  if (load.stoppedAtLine !== undefined) {
    return [
      warning(
        'pem.openssl-unreadable',
        `${showPath(p)}: OpenSSL stops reading this file at line ${load.stoppedAtLine} (it starts with a NUL byte) and ignores the rest; gwctl re-encodes trust stores, so the rendered gateway trusts every certificate, but other OpenSSL tools given the file would not: remove the NUL bytes`,
        path,
      ),
    ];
  }
  return [];
}

/** The first block that is not an X.509 certificate, checked once per file. */
function firstUnparsable(blocks: PemBlock[]): PemBlock | undefined {
  return blocks.find((b) => !certificateFacts(b));
}

/** A key to open and check: `perms` "host" is gwctl test on the gateway host (only others-readable fails). */
export interface KeyRead {
  shown: string;
  file: string;
  passwordShown?: string;
  passwordFile?: string;
  /** The passphrase lives on the gateway host: an encrypted key cannot be opened here. */
  passwordOnHost?: boolean;
  path: SpecPath;
  out: Diagnostic[];
  perms?: 'warn' | 'host';
}

/** The note for a key gwctl does not read: where it is, and the command that checks it there. */
function keyOnHost(hostPath: string, certPath: string, path: SpecPath): Diagnostic {
  return diag(
    'key.on-host',
    'info',
    `${showPath(hostPath)} lives on the gateway host and is not read here; the certificate in ${showPath(certPath)} is checked. On the host, gwctl test DIR checks the key exists, is not readable by others, decrypts and matches the certificate`,
    path,
  );
}

export function readKey(files: PemFiles, k: KeyRead): KeyObject | undefined {
  const { shown, file, passwordShown, passwordFile, path, out } = k;
  const r = files.read(file, 'key');
  if ('problem' in r) {
    out.push(
      error(
        r.problem.code === 'pem.wrong-kind' || r.problem.code === 'pem.none' ? 'key.not-a-key' : r.problem.code,
        `${showPath(shown)}: ${r.problem.message}`,
        path,
      ),
    );
    return undefined;
  }
  if (k.perms === 'host') readableByOthers(file, shown, path, out);
  else
    warnIfShared(
      file,
      'key.permissions',
      (by, mode) => `${showPath(shown)}: private key is readable by ${by} (mode ${mode}); chmod 600 it`,
      path,
      out,
    );
  const block = r.blocks[0];
  const encrypted = isEncryptedKey(block);
  let passwords: Buffer[] = [];
  if (encrypted && k.passwordOnHost) {
    out.push(
      diag(
        'key.on-host',
        'info',
        `${showPath(shown)} is encrypted and its passphrase lives on the gateway host (${showPath(passwordShown ?? '')}): it is not opened here, nor matched to its certificate. On the host, gwctl test DIR does both`,
        path,
      ),
    );
    return undefined;
  }
  if (passwordFile !== undefined && !k.passwordOnHost) {
    const r = readRegularFile(passwordFile, MAX_PASSWORD_FILE_BYTES);
    if ('problem' in r) {
      // Never the content: a password file named by mistake (or malice) may be anything.
      out.push(
        error(
          'key.password-file',
          `${showPath(passwordShown ?? '')}: ${r.problem.message}${r.problem.code === 'file.too-large' ? ' (a password file holds a few passphrases)' : ''}`,
          [...path.slice(0, -1), 'passwordFile'],
        ),
      );
      return undefined;
    }
    passwords = passphrases(r.data);
    // The passphrase unlocks the key: shared, it is as good as a shared key.
    warnIfShared(
      passwordFile,
      'key.password-file-permissions',
      (by, mode) =>
        `${showPath(passwordShown ?? '')}: the file with the key's passphrase is readable by ${by} (mode ${mode}), which exposes the key as much as a readable key file; chmod 600 it`,
      [...path.slice(0, -1), 'passwordFile'],
      out,
    );
  }
  if (encrypted && passwords.length === 0) {
    out.push(
      error(
        'key.encrypted',
        `${showPath(shown)}: the private key is encrypted; add passwordFile naming a file with its passphrase`,
        path,
      ),
    );
    return undefined;
  }
  const key = openPrivateKey(block, passwords);
  if (key) return key;
  out.push(
    error(
      encrypted ? 'key.wrong-password' : 'key.unparsable',
      encrypted
        ? `${showPath(shown)}: none of the passphrases in ${showPath(passwordShown ?? '')} decrypts the key`
        : `${showPath(shown)}: the private key cannot be parsed`,
      path,
    ),
  );
  return undefined;
}

/** gwctl test on the gateway host: a key every user can read is an error; group-readable is fine. */
function readableByOthers(file: string, shown: string, path: SpecPath, out: Diagnostic[]): void {
  try {
    const mode = statSync(file).mode;
    if (mode & 0o007)
      out.push(
        error(
          'key.readable-by-others',
          `${showPath(shown)}: private key is readable by every user of this host (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); chmod 600 it (or 640 with a group only nginx's user is in)`,
          path,
        ),
      );
  } catch {
    /* already read; a race here changes nothing */
  }
}

/** A warning when `file` (a key, or what unlocks one) is readable by group or others. */
function warnIfShared(
  file: string,
  code: string,
  message: (by: string, mode: string) => string,
  path: SpecPath,
  out: Diagnostic[],
): void {
  try {
    const mode = statSync(file).mode;
    if (mode & 0o077)
      out.push(
        warning(
          code,
          message(mode & 0o007 ? 'others' : 'its group', (mode & 0o777).toString(8).padStart(4, '0')),
          path,
        ),
      );
  } catch {
    /* already read; a race here changes nothing */
  }
}
