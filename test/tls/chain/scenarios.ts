import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePki, type CertOptions, type Pki, type PkiCert } from '../../support/pki.js';

/**
 * The differential matrix's scenarios: one shared PKI, many ways to serve and trust it. Each
 * scenario names the trusted file and the presented chain (leaf first); the matrix runs every
 * scenario at several depths and names through gwctl and through libcrypto.
 *
 * Chosen to cover each stage of X509_verify_cert() with a case that fails there and a near miss
 * that does not: path building (depth, missing/extra/misordered certificates, trust anchors,
 * self-signed certificates, look-alike issuers), check_extensions (CA flag, keyUsage, pathlen,
 * purpose, critical extensions), security level (key sizes, digests), internal_verify (signature,
 * validity windows), name constraints, and nginx's host check (SAN, CN fallback, wildcards, IP).
 */
export interface Scenario {
  name: string;
  trusted: string;
  chain: string;
  /** Names to check besides the scenario's own. */
  names: (string | undefined)[];
  /** The served leaf's private key, so a real TLS server can serve the chain. */
  key?: string;
}

const DAY = 86400_000;

export async function buildScenarios(): Promise<{ pki: Pki; scenarios: Scenario[] }> {
  const pki = await makePki(join(mkdtempSync(join(tmpdir(), 'gwctl-matrix-')), 'pki'));
  const now = Date.now();
  const past = { notBefore: new Date(now - 400 * DAY), notAfter: new Date(now - 30 * DAY) };
  const future = { notBefore: new Date(now + 30 * DAY), notAfter: new Date(now + 400 * DAY) };
  const s: Scenario[] = [];
  const add = (
    name: string,
    trusted: PkiCert[] | string,
    chain: PkiCert[] | string,
    names: (string | undefined)[] = ['svc.internal', 'other.internal'],
  ) => {
    const file = name.replace(/[^a-z0-9]+/gi, '-');
    s.push({
      name,
      trusted: typeof trusted === 'string' ? trusted : pki.bundle(`${file}.trusted.pem`, trusted),
      chain: typeof chain === 'string' ? chain : pki.bundle(`${file}.chain.pem`, chain),
      names,
      key: typeof chain === 'string' ? undefined : chain[0].key,
    });
  };

  const root = pki.root('Root CA');
  const otherRoot = pki.root('Other Root CA');
  const int1 = pki.intermediate(root, 'Int One');
  const int2 = pki.intermediate(int1, 'Int Two');
  const leaf = pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'] });
  const deep = pki.leaf(int2, { cn: 'svc.internal', dns: ['svc.internal'] });
  const direct = pki.leaf(root, { cn: 'svc.internal', dns: ['svc.internal'] });

  // Path building and depth.
  add('one intermediate', [root], [leaf, int1]);
  add('two intermediates', [root], [deep, int2, int1]);
  add('leaf issued by the root', [root], [direct]);
  add('leaf served alone', [root], [leaf]);
  add('leaf alone, intermediate trusted too', [root, int1], [leaf]);
  add('only the intermediate trusted', [int1], [leaf, int1]);
  add('wrong root trusted', [otherRoot], [leaf, int1]);
  add('middle intermediate missing', [root], [deep, int1]);
  add('root served too', [root], [deep, int2, int1, root]);
  add('chain out of order', [root], [deep, int1, int2]);
  add('duplicate intermediate', [root], [leaf, int1, int1]);
  add('untrusted root served', [otherRoot], [deep, int2, int1, root]);
  add('empty trust for the chain, root in bundle with others', [otherRoot, root], [deep, int2, int1]);

  // Self-signed certificates.
  const selfLeaf = pki.selfSignedLeaf({ cn: 'svc.internal', dns: ['svc.internal'] });
  add('self-signed leaf not trusted', [root], [selfLeaf]);
  add('self-signed leaf pinned', [selfLeaf], [selfLeaf]);
  const mimic = pki.root('Root CA');
  add('self-signed look-alike of the root served', [root], [leaf, int1, mimic]);

  // Look-alike issuers: same name, other key.
  const twin = pki.intermediate(root, 'Int One');
  add('intermediate twin with another key (AKID tells)', [root], [leaf, twin]);
  const noAkidLeaf = pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], noKeyIds: true });
  add('intermediate twin, leaf without AKID (bad signature)', [root], [noAkidLeaf, twin]);
  add('both twins served', [root], [noAkidLeaf, twin, int1]);
  const cross = pki.intermediate(otherRoot, 'Int One', { reuseKeyOf: int1 });
  add('cross-signed intermediate, other root trusted', [otherRoot], [leaf, int1, cross]);
  add('cross-signed intermediate, both roots trusted', [root, otherRoot], [leaf, cross]);

  // Validity windows.
  add('expired leaf', [root], [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], ...past }), int1]);
  add('not yet valid leaf', [root], [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], ...future }), int1]);
  const expiredInt = pki.intermediate(root, 'Expired Int', past);
  add(
    'expired intermediate',
    [root],
    [pki.leaf(expiredInt, { cn: 'svc.internal', dns: ['svc.internal'] }), expiredInt],
  );
  const expiredRoot = pki.root('Expired Root', past);
  const underExpiredRoot = pki.intermediate(expiredRoot, 'Under Expired Root');
  add(
    'expired root',
    [expiredRoot],
    [pki.leaf(underExpiredRoot, { cn: 'svc.internal', dns: ['svc.internal'] }), underExpiredRoot],
  );
  const renewedInt = pki.intermediate(root, 'Expired Int', { reuseKeyOf: expiredInt });
  add(
    'expired and renewed intermediate both served',
    [root],
    [pki.leaf(expiredInt, { cn: 'svc.internal', dns: ['svc.internal'] }), expiredInt, renewedInt],
  );

  // CA-ness, key usage, path length, purpose, critical extensions.
  const notCa = pki.intermediate(root, 'Not A CA', { ca: false });
  add('intermediate with CA:FALSE', [root], [pki.leaf(notCa, { cn: 'svc.internal', dns: ['svc.internal'] }), notCa]);
  const noBc = pki.intermediate(root, 'No BC', { basicConstraints: false });
  add(
    'intermediate without basicConstraints',
    [root],
    [pki.leaf(noBc, { cn: 'svc.internal', dns: ['svc.internal'] }), noBc],
  );
  const noCertSign = pki.intermediate(root, 'No CertSign', { keyUsage: 'critical,digitalSignature,cRLSign' });
  add(
    'intermediate keyUsage without keyCertSign',
    [root],
    [pki.leaf(noCertSign, { cn: 'svc.internal', dns: ['svc.internal'] }), noCertSign],
  );
  const pathlen0 = pki.intermediate(root, 'Pathlen Zero', { pathlen: 0 });
  const belowPathlen0 = pki.intermediate(pathlen0, 'Below Pathlen Zero');
  add(
    'pathlen 0 exceeded',
    [root],
    [pki.leaf(belowPathlen0, { cn: 'svc.internal', dns: ['svc.internal'] }), belowPathlen0, pathlen0],
  );
  add('pathlen 0 respected', [root], [pki.leaf(pathlen0, { cn: 'svc.internal', dns: ['svc.internal'] }), pathlen0]);
  add('client-only leaf', [root], [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], client: true }), int1]);
  add(
    'leaf with serverAuth and clientAuth',
    [root],
    [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], extendedKeyUsage: 'serverAuth,clientAuth' }), int1],
  );
  add(
    'leaf with anyExtendedKeyUsage only',
    [root],
    [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], extendedKeyUsage: 'anyExtendedKeyUsage' }), int1],
  );
  add(
    'leaf keyUsage keyCertSign only',
    [root],
    [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], keyUsage: 'critical,keyCertSign' }), int1],
  );
  add(
    'RSA leaf keyUsage keyEncipherment only',
    [root],
    [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], keyUsage: 'critical,keyEncipherment' }), int1],
  );
  add(
    'ECDSA leaf keyUsage keyAgreement only',
    [root],
    [
      pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], key: 'ec-p256', keyUsage: 'critical,keyAgreement' }),
      int1,
    ],
  );
  const clientInt = pki.intermediate(root, 'Client Int', { extendedKeyUsage: 'clientAuth' });
  add(
    'intermediate restricted to clientAuth',
    [root],
    [pki.leaf(clientInt, { cn: 'svc.internal', dns: ['svc.internal'] }), clientInt],
  );
  const unknownCritical = ['1.3.6.1.4.1.55555.1=critical,ASN1:NULL'];
  add(
    'unknown critical extension in leaf',
    [root],
    [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], extraExtensions: unknownCritical }), int1],
  );
  add(
    'unknown non-critical extension in leaf',
    [root],
    [
      pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], extraExtensions: ['1.3.6.1.4.1.55555.1=ASN1:NULL'] }),
      int1,
    ],
  );
  const critInt = pki.intermediate(root, 'Critical Int', { extraExtensions: unknownCritical });
  add(
    'unknown critical extension in intermediate',
    [root],
    [pki.leaf(critInt, { cn: 'svc.internal', dns: ['svc.internal'] }), critInt],
  );
  add('leaf issued by a leaf', [root], [pki.leaf(leaf, { cn: 'svc.internal', dns: ['svc.internal'] }), leaf, int1]);

  // Security level 2.
  add('RSA 1024 leaf', [root], [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], key: 'rsa-1024' }), int1]);
  add('RSA 2048 leaf', [root], [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], key: 'rsa-2048' }), int1]);
  add('P-192 leaf', [root], [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], key: 'ec-p192' }), int1]);
  add('P-224 leaf', [root], [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], key: 'ec-p224' }), int1]);
  const weakInt = pki.intermediate(root, 'Weak Int', { key: 'rsa-1024' });
  add('RSA 1024 intermediate', [root], [pki.leaf(weakInt, { cn: 'svc.internal', dns: ['svc.internal'] }), weakInt]);
  const weakRoot = pki.root('Weak Root', { key: 'rsa-1024' });
  add('RSA 1024 root', [weakRoot], [pki.leaf(weakRoot, { cn: 'svc.internal', dns: ['svc.internal'] })]);
  add('SHA-1 signed leaf', [root], [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], md: 'sha1' }), int1]);
  const sha1Int = pki.intermediate(root, 'SHA1 Int', { md: 'sha1' });
  add('SHA-1 signed intermediate', [root], [pki.leaf(sha1Int, { cn: 'svc.internal', dns: ['svc.internal'] }), sha1Int]);
  const sha1Root = pki.root('SHA1 Root', { md: 'sha1' });
  add('SHA-1 self-signed root', [sha1Root], [pki.leaf(sha1Root, { cn: 'svc.internal', dns: ['svc.internal'] })]);
  add(
    'SHA-1 expired leaf',
    [root],
    [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], md: 'sha1', ...past }), int1],
  );
  const rsaRoot = pki.root('RSA Root', { key: 'rsa-2048' });
  add(
    'RSA chain, SHA-384',
    [rsaRoot],
    [pki.leaf(rsaRoot, { cn: 'svc.internal', dns: ['svc.internal'], key: 'rsa-2048', md: 'sha384' })],
  );
  const edRoot = pki.root('Ed Root', { key: 'ed25519' });
  const edInt = pki.intermediate(edRoot, 'Ed Int', { key: 'ed25519' });
  add(
    'Ed25519 chain',
    [edRoot],
    [pki.leaf(edInt, { cn: 'svc.internal', dns: ['svc.internal'], key: 'ed25519' }), edInt],
  );

  // RSA sizes where OpenSSL's fixed-point strength formula rounds down (1962 bits: 104, not 112).
  add('RSA 1962 leaf', [root], [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], key: 'rsa-1962' }), int1]);
  const int1962 = pki.intermediate(root, 'Int 1962', { key: 'rsa-1962' });
  add('RSA 1962 intermediate', [root], [pki.leaf(int1962, { cn: 'svc.internal', dns: ['svc.internal'] }), int1962]);
  // Signature algorithms: unknown to OpenSSL 3.0 (no issuer ever matches), known but weak, RSASSA-PSS digests.
  const rsaInt = pki.intermediate(rsaRoot, 'RSA Int', { key: 'rsa-2048' });
  const rsaLeaf = (o: CertOptions) => pki.leaf(rsaInt, { cn: 'svc.internal', dns: ['svc.internal'], ...o });
  add('sha512-256WithRSAEncryption leaf', [rsaRoot], [rsaLeaf({ md: 'sha512-256' }), rsaInt]);
  const int512224 = pki.intermediate(rsaRoot, 'RSA Int 512-224', { key: 'rsa-2048', md: 'sha512-224' });
  add(
    'sha512-224WithRSAEncryption intermediate',
    [rsaRoot],
    [pki.leaf(int512224, { cn: 'svc.internal', dns: ['svc.internal'] }), int512224],
  );
  add(
    'ecdsa-with-SHA3-256 leaf',
    [root],
    [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], md: 'sha3-256' }), int1],
  );
  add('RSA-SHA3-384 leaf', [rsaRoot], [rsaLeaf({ md: 'sha3-384' }), rsaInt]);
  add('RIPEMD-160 signed leaf', [rsaRoot], [rsaLeaf({ md: 'ripemd160' }), rsaInt]);
  const ripemdInt = pki.intermediate(rsaRoot, 'RIPEMD Int', { key: 'rsa-2048', md: 'ripemd160' });
  add(
    'RIPEMD-160 signed intermediate',
    [rsaRoot],
    [pki.leaf(ripemdInt, { cn: 'svc.internal', dns: ['svc.internal'] }), ripemdInt],
  );
  add('MD4 signed leaf', [rsaRoot], [rsaLeaf({ md: 'md4' }), rsaInt]);
  const pss = ['rsa_padding_mode:pss', 'rsa_pss_saltlen:digest'];
  add('RSASSA-PSS SHA-256 leaf', [rsaRoot], [rsaLeaf({ md: 'sha256', sigopt: pss }), rsaInt]);
  add('RSASSA-PSS SHA-512/256 leaf', [rsaRoot], [rsaLeaf({ md: 'sha512-256', sigopt: pss }), rsaInt]);
  add('RSASSA-PSS SHA-512/224 leaf', [rsaRoot], [rsaLeaf({ md: 'sha512-224', sigopt: pss }), rsaInt]);
  add('RSASSA-PSS SHA-1 leaf', [rsaRoot], [rsaLeaf({ md: 'sha1', sigopt: pss }), rsaInt]);
  // A DSA leaf verifies, but the handshake cannot happen (no DSS suite in DEFAULT, no DSA in TLS 1.3).
  add('DSA 2048 leaf', [root], [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], key: 'dsa-2048' }), int1]);

  // RFC 3779 IP address blocks (X509v3_addr_validate_path()).
  const ipv4 = (v: string) => [`sbgp-ipAddrBlock=critical,${v}`];
  add(
    'RFC 3779 leaf, issuers without the extension',
    [root],
    [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], extraExtensions: ipv4('IPv4:10.0.0.0/8') }), int1],
  );
  const ipRoot = pki.root('IP Root', { extraExtensions: ipv4('IPv4:10.0.0.0/8,IPv6:2001:db8::/32') });
  const ipInt = pki.intermediate(ipRoot, 'IP Int', { extraExtensions: ipv4('IPv4:10.1.0.0/16') });
  const inheritInt = pki.intermediate(ipRoot, 'IP Inherit Int', { extraExtensions: ipv4('IPv4:inherit') });
  const ipLeaf = (issuer: PkiCert, v: string) =>
    pki.leaf(issuer, { cn: 'svc.internal', dns: ['svc.internal'], extraExtensions: ipv4(v) });
  add('RFC 3779 leaf inside its issuers', [ipRoot], [ipLeaf(ipInt, 'IPv4:10.1.2.0/24'), ipInt]);
  add('RFC 3779 leaf outside its issuer', [ipRoot], [ipLeaf(ipInt, 'IPv4:10.2.0.0/16'), ipInt]);
  add('RFC 3779 leaf with a family its issuers lack', [ipRoot], [ipLeaf(ipInt, 'IPv6:2001:db8:1::/48'), ipInt]);
  add('RFC 3779 leaf inheriting', [ipRoot], [ipLeaf(ipInt, 'IPv4:inherit'), ipInt]);
  add(
    'RFC 3779 intermediate inheriting',
    [ipRoot],
    [ipLeaf(inheritInt, 'IPv4:10.9.0.0/16,IPv4:10.20.30.1-10.20.30.9'), inheritInt],
  );
  add('RFC 3779 leaf with a range', [ipRoot], [ipLeaf(ipInt, 'IPv4:10.1.0.5-10.1.0.200'), ipInt]);
  const inheritRoot = pki.root('IP Inherit Root', { extraExtensions: ipv4('IPv4:inherit') });
  const underInherit = pki.intermediate(inheritRoot, 'IP Int under inherit', {
    extraExtensions: ipv4('IPv4:10.1.0.0/16'),
  });
  add('RFC 3779 anchor inheriting', [inheritRoot], [ipLeaf(underInherit, 'IPv4:10.1.2.0/24'), underInherit]);

  // Name constraints.
  const ncInt = pki.intermediate(root, 'NC Int', { nameConstraints: 'critical,permitted;DNS:.internal' });
  add('name constraints permit', [root], [pki.leaf(ncInt, { cn: 'svc.internal', dns: ['svc.internal'] }), ncInt]);
  add(
    'name constraints violated',
    [root],
    [pki.leaf(ncInt, { cn: 'svc.example.com', dns: ['svc.example.com'] }), ncInt],
    ['svc.example.com'],
  );
  add('name constraints, CN only', [root], [pki.leaf(ncInt, { cn: 'svc.example.com' }), ncInt], ['svc.example.com']);
  const ncExcl = pki.intermediate(root, 'NC Excluded', { nameConstraints: 'critical,excluded;DNS:bad.internal' });
  add(
    'name constraints excluded',
    [root],
    [pki.leaf(ncExcl, { cn: 'bad.internal', dns: ['bad.internal'] }), ncExcl],
    ['bad.internal'],
  );
  const ncIp = pki.intermediate(root, 'NC IP', { nameConstraints: 'critical,permitted;IP:10.0.0.0/255.0.0.0' });
  add(
    'IP name constraints',
    [root],
    [pki.leaf(ncIp, { cn: 'svc.internal', dns: ['svc.internal'], ip: ['192.168.1.1'] }), ncIp],
  );

  // Aux trust settings (TRUSTED CERTIFICATE blocks, kept by nginx's X509_load_cert_crl_file()).
  add(
    'root trusted for serverAuth (TRUSTED CERTIFICATE)',
    [pki.trusted(root, { addtrust: ['serverAuth'] })],
    [leaf, int1],
  );
  add(
    'root rejected for serverAuth (TRUSTED CERTIFICATE)',
    [pki.trusted(root, { addreject: ['serverAuth'] })],
    [leaf, int1],
  );
  add(
    'root trusted for clientAuth only (TRUSTED CERTIFICATE)',
    [pki.trusted(root, { addtrust: ['clientAuth'] })],
    [leaf, int1],
  );
  add(
    'root trusted for anyExtendedKeyUsage (TRUSTED CERTIFICATE)',
    [pki.trusted(root, { addtrust: ['anyExtendedKeyUsage'] })],
    [leaf, int1],
  );
  add(
    'root rejected for clientAuth only (TRUSTED CERTIFICATE)',
    [pki.trusted(root, { addreject: ['clientAuth'] })],
    [leaf, int1],
  );
  add(
    'root rejected for anyExtendedKeyUsage (TRUSTED CERTIFICATE)',
    [pki.trusted(root, { addreject: ['anyExtendedKeyUsage'] })],
    [leaf, int1],
  );
  add('root with an alias only (TRUSTED CERTIFICATE)', [pki.trusted(root, { alias: 'root' })], [leaf, int1]);
  add(
    'intermediate trusted for serverAuth, no root (TRUSTED CERTIFICATE)',
    [pki.trusted(int1, { addtrust: ['serverAuth'] })],
    [leaf, int1],
  );
  add(
    'intermediate rejected for serverAuth, root trusted',
    [pki.trusted(int1, { addreject: ['serverAuth'] }), root],
    [leaf, int1],
  );
  add(
    'intermediate rejected for serverAuth, no root',
    [pki.trusted(int1, { addreject: ['serverAuth'] })],
    [leaf, int1],
  );
  add(
    'clientAuth intermediate trusted for serverAuth (aux overrides purpose)',
    [pki.trusted(clientInt, { addtrust: ['serverAuth'] }), root],
    [pki.leaf(clientInt, { cn: 'svc.internal', dns: ['svc.internal'] }), clientInt],
  );
  add(
    'plain root first, rejected copy second (first wins)',
    [root, pki.trusted(root, { addreject: ['serverAuth'] })],
    [leaf, int1],
  );
  add('rejected root first, plain copy second', [pki.trusted(root, { addreject: ['serverAuth'] }), root], [leaf, int1]);
  add('rejected root, root also served', [pki.trusted(root, { addreject: ['serverAuth'] })], [leaf, int1, root]);

  // Host names (nginx's X509_check_host with flags 0).
  add(
    'wildcard SAN',
    [root],
    [pki.leaf(int1, { cn: 'wild', dns: ['*.svc.internal'] }), int1],
    ['a.svc.internal', 'svc.internal', 'a.b.svc.internal', 'A.SVC.INTERNAL'],
  );
  add(
    'partial wildcard SAN',
    [root],
    [pki.leaf(int1, { cn: 'partial', dns: ['api*.svc.internal'] }), int1],
    ['api1.svc.internal', 'web.svc.internal'],
  );
  add('CN only, no SAN', [root], [pki.leaf(int1, { cn: 'svc.internal' }), int1], ['svc.internal', 'other.internal']);
  add(
    'SAN without the CN name',
    [root],
    [pki.leaf(int1, { cn: 'svc.internal', dns: ['alt.internal'] }), int1],
    ['svc.internal', 'alt.internal'],
  );
  add(
    'IP SAN',
    [root],
    [pki.leaf(int1, { cn: 'svc.internal', dns: ['svc.internal'], ip: ['127.0.0.1', '::1'] }), int1],
    ['127.0.0.1', '::1', 'svc.internal'],
  );
  add('IP only in CN', [root], [pki.leaf(int1, { cn: '10.0.0.12' }), int1], ['10.0.0.12']);
  add('trailing dot name', [root], [leaf, int1], ['svc.internal.', 'svc.internal', undefined]);
  // nginx cuts proxy_ssl_name at its first ':' (a port): "::1" becomes "".
  add(
    'name with a port',
    [root],
    [pki.leaf(int1, { cn: '127.0.0.1', dns: ['svc.internal'], ip: ['::1'] }), int1],
    ['svc.internal:8443', 'other.internal:443', '::1', '[::1]:443'],
  );

  return { pki, scenarios: s };
}
