import { execFileSync } from 'node:child_process';
import { X509Certificate, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Throw-away PKIs for tests, made with the `openssl` CLI (`openssl req` + `openssl ca`, so any
 * validity window, digest or extension can be chosen). Keys come from node:crypto, which is
 * much faster than `openssl genpkey`; RSA keys are pooled across PKIs of one process.
 *
 *   const pki = await makePki(dir);
 *   const root = pki.root('Root CA');
 *   const int = pki.intermediate(root, 'Issuing CA');
 *   const leaf = pki.leaf(int, { cn: 'orders.internal', dns: ['orders.internal'] });
 *   leaf.chain  // PEM file the upstream serves: leaf + intermediates (no root)
 *   root.cert   // PEM file to trust
 *
 * Certificates are never committed: every test generates its own.
 */

export type KeySpec =
  | 'ec-p256'
  | 'ec-p384'
  | 'ec-p521'
  | 'ec-p224'
  | 'ec-p192'
  | 'rsa-1024'
  | 'rsa-1962'
  | 'rsa-2048'
  | 'rsa-3072'
  | 'rsa-4096'
  | 'rsa-pss-2048'
  | 'ed25519'
  | 'ed448'
  | 'dsa-2048';

export interface CertOptions {
  /** Common name; the subject is /CN=cn unless `subject` is given. */
  cn?: string;
  /** Full subject in `openssl req -subj` form, e.g. "/O=Acme/CN=Issuing CA". */
  subject?: string;
  dns?: string[];
  ip?: string[];
  email?: string[];
  uri?: string[];
  key?: KeySpec;
  /** Use the key of another certificate (cross-signing, re-issuing, "same subject, other key"). */
  reuseKeyOf?: PkiCert;
  /** Signature digest used by the issuer; 'default' for EdDSA issuers is chosen automatically. */
  md?:
    | 'sha256'
    | 'sha384'
    | 'sha512'
    | 'sha224'
    | 'sha1'
    | 'md5'
    | 'md4'
    | 'ripemd160'
    | 'sha512-224'
    | 'sha512-256'
    | 'sha3-256'
    | 'sha3-384';
  /** `openssl ca -sigopt` values, e.g. ['rsa_padding_mode:pss', 'rsa_pss_saltlen:digest'] for RSASSA-PSS. */
  sigopt?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** basicConstraints CA flag; `false` with `basicConstraints: false` omits the extension. */
  ca?: boolean;
  pathlen?: number;
  /** Raw basicConstraints value, or false to omit the extension. */
  basicConstraints?: string | false;
  /** Raw keyUsage value (e.g. "critical,digitalSignature"), or false to omit it. */
  keyUsage?: string | false;
  /** Raw extendedKeyUsage value (e.g. "clientAuth"), or false to omit it. */
  extendedKeyUsage?: string | false;
  /** A client certificate: extendedKeyUsage clientAuth only. */
  client?: boolean;
  /** Raw nameConstraints value, e.g. "critical,permitted;DNS:.internal". */
  nameConstraints?: string;
  /** More extension lines for the openssl extension section, e.g. "1.2.3.4=critical,ASN1:NULL". */
  extraExtensions?: string[];
  /** Omit subject/authority key identifiers. */
  noKeyIds?: boolean;
}

export interface PkiCert {
  /** Subject as OpenSSL prints it with -nameopt RFC2253, e.g. "CN=Issuing CA". */
  name: string;
  cn: string;
  /** PEM file of this certificate alone. */
  cert: string;
  /** PEM file of the private key (PKCS#8, unencrypted). */
  key: string;
  /** PEM file: this certificate then its issuers, without the self-signed root (what a server serves). */
  chain: string;
  /** PEM file: this certificate and every issuer up to the root. */
  fullChain: string;
  pem: string;
  issuer: PkiCert | null;
  keyObject: KeyObject;
  keySpec: KeySpec;
}

export interface Pki {
  dir: string;
  root(cn: string, opts?: CertOptions): PkiCert;
  intermediate(parent: PkiCert, cn: string, opts?: CertOptions): PkiCert;
  leaf(issuer: PkiCert, opts?: CertOptions): PkiCert;
  /** A self-signed end-entity certificate (not a CA). */
  selfSignedLeaf(opts?: CertOptions): PkiCert;
  /** Writes the certificates into one PEM file, in the given order, and returns its path. */
  bundle(fileName: string, certs: PkiCert[]): string;
  /**
   * A TRUSTED CERTIFICATE block of `cert` (certificate plus X509_CERT_AUX), written by
   * `openssl x509 -trustout` with each `addtrust`/`addreject` purpose; usable in `bundle()`.
   */
  trusted(cert: PkiCert, aux: { addtrust?: string[]; addreject?: string[]; alias?: string }): PkiCert;
  /** Writes an encrypted copy of a certificate's key (PKCS#8, AES-256) and returns its path. */
  encryptedKey(cert: PkiCert, passphrase: string): string;
  /** Issues a CRL of `ca` with `openssl ca -gencrl` and returns the path of its PEM file. */
  crl(ca: PkiCert, opts?: CrlOptions): string;
  /** Concatenates PEM files (CRLs, say) into one file under the PKI and returns its path. */
  concat(fileName: string, files: string[]): string;
}

export interface CrlOptions {
  /** Certificates the CRL lists as revoked (by serial). */
  revoke?: PkiCert[];
  /** A CRL reason for every entry, e.g. "keyCompromise" or "removeFromCRL". */
  reason?: string;
  /** lastUpdate (thisUpdate); default an hour ago. */
  lastUpdate?: Date;
  /** nextUpdate; default 90 days ahead. */
  nextUpdate?: Date;
  /** Sign with this certificate's key and name instead (e.g. a twin of `ca` with another key). */
  signer?: PkiCert;
  /** Add an authorityKeyIdentifier (keyid of the signer); `openssl ca` adds none by default. */
  akid?: boolean;
  /** More lines for the CRL extension section, e.g. "1.2.3.4=critical,ASN1:NULL". */
  extensions?: string[];
  md?: 'sha256' | 'sha1' | 'sha384';
}

const DAY = 86400_000;
const rsaPool = new Map<number, KeyObject[]>();

function rsaKey(bits: number, index: number): KeyObject {
  const pool = rsaPool.get(bits) ?? [];
  rsaPool.set(bits, pool);
  while (pool.length <= index) pool.push(generateKeyPairSync('rsa', { modulusLength: bits }).privateKey);
  return pool[index];
}

function newKey(spec: KeySpec, rsaIndex: number): KeyObject {
  switch (spec) {
    case 'ec-p256':
      return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    case 'ec-p384':
      return generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    case 'ec-p521':
      return generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey;
    case 'ec-p224':
      return generateKeyPairSync('ec', { namedCurve: 'secp224r1' }).privateKey;
    case 'ec-p192':
      return generateKeyPairSync('ec', { namedCurve: 'prime192v1' }).privateKey;
    case 'ed25519':
      return generateKeyPairSync('ed25519').privateKey;
    case 'ed448':
      return generateKeyPairSync('ed448').privateKey;
    case 'rsa-pss-2048':
      return generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey;
    case 'rsa-1024':
      return rsaKey(1024, rsaIndex);
    case 'rsa-1962':
      return rsaKey(1962, rsaIndex);
    case 'dsa-2048':
      return generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).privateKey;
    case 'rsa-2048':
      return rsaKey(2048, rsaIndex);
    case 'rsa-3072':
      return rsaKey(3072, rsaIndex);
    case 'rsa-4096':
      return rsaKey(4096, rsaIndex);
  }
}

/** openssl ca wants UTCTime-style dates (GeneralizedTime from 2050 on). */
function caDate(d: Date): string {
  const iso = d.toISOString();
  const y = d.getUTCFullYear();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  return (y < 2050 ? digits.slice(2) : digits) + 'Z';
}

function subjectOf(o: CertOptions, cn: string): string {
  if (o.subject) return o.subject;
  return `/CN=${cn.replace(/([/+=\\])/g, '\\$1')}`;
}

function rfc2253(subject: string): string {
  const parts = subject
    .split(/(?<!\\)\//)
    .filter(Boolean)
    .map((p) => p.replace(/\\(.)/g, '$1'));
  return parts.reverse().join(',');
}

function extensionSection(o: CertOptions, role: 'root' | 'intermediate' | 'leaf' | 'self-signed-leaf'): string {
  const lines: string[] = [];
  const isCa = o.ca ?? (role === 'root' || role === 'intermediate');
  if (o.basicConstraints !== false) {
    const bc =
      o.basicConstraints ??
      (isCa ? `critical,CA:TRUE${o.pathlen !== undefined ? `,pathlen:${o.pathlen}` : ''}` : 'critical,CA:FALSE');
    lines.push(`basicConstraints=${bc}`);
  }
  if (o.keyUsage !== false) {
    lines.push(
      `keyUsage=${o.keyUsage ?? (isCa ? 'critical,keyCertSign,cRLSign' : 'critical,digitalSignature,keyEncipherment')}`,
    );
  }
  const eku = o.extendedKeyUsage ?? (o.client ? 'clientAuth' : isCa ? false : 'serverAuth');
  if (eku !== false) lines.push(`extendedKeyUsage=${eku}`);
  const san = [
    ...(o.dns ?? []).map((d) => `DNS:${d}`),
    ...(o.ip ?? []).map((i) => `IP:${i}`),
    ...(o.email ?? []).map((e) => `email:${e}`),
    ...(o.uri ?? []).map((u) => `URI:${u}`),
  ];
  if (san.length > 0) lines.push(`subjectAltName=${san.join(',')}`);
  if (o.nameConstraints) lines.push(`nameConstraints=${o.nameConstraints}`);
  // OpenSSL 3 adds key identifiers on its own unless told "none".
  lines.push(`subjectKeyIdentifier=${o.noKeyIds ? 'none' : 'hash'}`);
  lines.push(`authorityKeyIdentifier=${o.noKeyIds ? 'none' : 'keyid:always'}`);
  lines.push(...(o.extraExtensions ?? []));
  return `[ext]\n${lines.join('\n')}\n`;
}

/** Creates an empty PKI under `dir` (created if needed). */
export async function makePki(dir: string): Promise<Pki> {
  mkdirSync(join(dir, 'newcerts'), { recursive: true });
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  const config = join(dir, 'ca.cnf');
  writeFileSync(
    config,
    [
      '[ca]',
      'default_ca=gwctl_test_ca',
      '[gwctl_test_ca]',
      `dir=${dir}`,
      'database=$dir/index.txt',
      'new_certs_dir=$dir/newcerts',
      'serial=$dir/serial',
      'default_md=sha256',
      'policy=policy_any',
      'unique_subject=no',
      'email_in_dn=yes',
      'copy_extensions=none',
      '[policy_any]',
      'commonName=optional',
      '',
    ].join('\n'),
  );
  const used = new Set<string>();
  let counter = 0;
  let rsaIndex = 0;

  const fileBase = (cn: string) => {
    let base =
      cn
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '') || 'cert';
    if (used.has(base)) base = `${base}-${++counter}`;
    used.add(base);
    return join(dir, base);
  };

  const issue = (
    cn: string,
    o: CertOptions,
    role: 'root' | 'intermediate' | 'leaf' | 'self-signed-leaf',
    issuer: PkiCert | null,
  ): PkiCert => {
    const base = fileBase(cn);
    const keySpec = o.reuseKeyOf?.keySpec ?? o.key ?? 'ec-p256';
    const keyObject = o.reuseKeyOf?.keyObject ?? newKey(keySpec, keySpec.startsWith('rsa') ? rsaIndex++ : 0);
    const keyFile = `${base}.key`;
    writeFileSync(keyFile, keyObject.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    writeFileSync(`${base}.ext`, extensionSection(o, role));
    const subject = subjectOf(o, cn);
    execFileSync(
      'openssl',
      ['req', '-new', '-key', keyFile, '-subj', subject, '-out', `${base}.csr`, '-config', config],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const now = Date.now();
    const notBefore = o.notBefore ?? new Date(now - DAY);
    const notAfter = o.notAfter ?? new Date(now + 365 * DAY);
    const signerSpec = issuer ? issuer.keySpec : keySpec;
    const md = signerSpec === 'ed25519' || signerSpec === 'ed448' ? 'default' : (o.md ?? 'sha256');
    const args = [
      'ca',
      '-batch',
      '-config',
      config,
      '-notext',
      '-preserveDN',
      '-in',
      `${base}.csr`,
      '-out',
      `${base}.crt`,
      '-extfile',
      `${base}.ext`,
      '-extensions',
      'ext',
      '-startdate',
      caDate(notBefore),
      '-enddate',
      caDate(notAfter),
      '-md',
      md,
    ];
    for (const opt of o.sigopt ?? []) args.push('-sigopt', opt);
    // MD4 lives in OpenSSL 3's legacy provider.
    if (md === 'md4') args.push('-provider', 'legacy', '-provider', 'default');
    if (issuer) args.push('-cert', issuer.cert, '-keyfile', issuer.key);
    else args.push('-selfsign', '-keyfile', keyFile);
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const pem = readFileSync(`${base}.crt`, 'utf8');
    const ancestors: PkiCert[] = [];
    for (let p = issuer; p; p = p.issuer) ancestors.push(p);
    const served = ancestors.filter((a) => a.issuer !== null);
    const chain = `${base}.chain.pem`;
    const fullChain = `${base}.fullchain.pem`;
    writeFileSync(chain, pem + served.map((a) => a.pem).join(''));
    writeFileSync(fullChain, pem + ancestors.map((a) => a.pem).join(''));
    return {
      name: rfc2253(subject),
      cn,
      cert: `${base}.crt`,
      key: keyFile,
      chain,
      fullChain,
      pem,
      issuer,
      keyObject,
      keySpec,
    };
  };

  return {
    dir,
    root: (cn, o = {}) => issue(cn, o, 'root', null),
    intermediate: (parent, cn, o = {}) => issue(cn, o, 'intermediate', parent),
    leaf: (issuer, o = {}) => issue(o.cn ?? o.dns?.[0] ?? 'leaf', o, 'leaf', issuer),
    selfSignedLeaf: (o = {}) => issue(o.cn ?? o.dns?.[0] ?? 'self-signed', o, 'self-signed-leaf', null),
    bundle: (fileName, certs) => {
      const path = join(dir, fileName);
      writeFileSync(path, certs.map((c) => c.pem).join(''));
      return path;
    },
    trusted: (cert, aux) => {
      const args = ['x509', '-in', cert.cert, '-trustout'];
      for (const t of aux.addtrust ?? []) args.push('-addtrust', t);
      for (const r of aux.addreject ?? []) args.push('-addreject', r);
      if (aux.alias !== undefined) args.push('-setalias', aux.alias);
      const pem = execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const file = cert.cert.replace(
        /\.pem$|$/,
        `.trusted-${(aux.addtrust ?? []).join('+')}-${(aux.addreject ?? []).join('+')}.pem`,
      );
      writeFileSync(file, pem);
      return { ...cert, cert: file, pem };
    },
    crl: (ca, o = {}) => {
      const signer = o.signer ?? ca;
      const base = fileBase(`crl-${ca.cn}`);
      mkdirSync(base, { recursive: true });
      const now = Date.now();
      const lines = (o.revoke ?? []).map((c) => {
        const x = new X509Certificate(c.pem);
        return [
          'R',
          '491231235959Z',
          `${caDate(new Date(now - 2 * 3600_000))}${o.reason ? `,${o.reason}` : ''}`,
          x.serialNumber,
          'unknown',
          `/CN=${c.cn}`,
        ].join('\t');
      });
      writeFileSync(join(base, 'index.txt'), lines.map((l) => `${l}\n`).join(''));
      const exts = [...(o.akid ? ['authorityKeyIdentifier=keyid:always'] : []), ...(o.extensions ?? [])];
      writeFileSync(
        join(base, 'ca.cnf'),
        [
          '[ca]',
          'default_ca=c',
          '[c]',
          `database=${join(base, 'index.txt')}`,
          'default_md=sha256',
          ...(exts.length ? ['crl_extensions=crlext', '[crlext]', ...exts] : []),
          '',
        ].join('\n'),
      );
      const out = `${base}.crl.pem`;
      execFileSync(
        'openssl',
        [
          'ca',
          '-gencrl',
          '-batch',
          '-config',
          join(base, 'ca.cnf'),
          '-cert',
          signer.cert,
          '-keyfile',
          signer.key,
          '-md',
          signer.keySpec === 'ed25519' ? 'default' : (o.md ?? 'sha256'),
          '-out',
          out,
          '-crl_lastupdate',
          caDate(o.lastUpdate ?? new Date(now - 3600_000)),
          '-crl_nextupdate',
          caDate(o.nextUpdate ?? new Date(now + 90 * DAY)),
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      return out;
    },
    concat: (fileName, files) => {
      const path = join(dir, fileName);
      writeFileSync(path, files.map((f) => readFileSync(f, 'utf8')).join(''));
      return path;
    },
    encryptedKey: (cert, passphrase) => {
      const path = cert.key.replace(/\.key$/, '.enc.key');
      writeFileSync(
        path,
        cert.keyObject.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string,
        { mode: 0o600 },
      );
      return path;
    },
  };
}
