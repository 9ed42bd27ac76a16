import { MAX_PRIVATE_ROOTS } from '../trust-store-size.js';
import type { ChainFinding } from '../verdict.js';
import { KU, OID } from './certificate.js';
import { finding, isoDate, quoteName, storeLabel } from './describe.js';
import { GEN } from './general-name.js';
import { asnTimeSeconds } from './time.js';
import { isIP } from 'node:net';
import type { ChainCert, SourceOf } from './types.js';

const DAY = 86400;

/**
 * Whole days left when a certificate still valid at `at` expires within `warnDays`; undefined
 * when it has expired, or has longer. The one expiry rule of the chain and of client certificates.
 */
export function expiresWithin(notAfter: ChainCert['notAfter'], at: number, warnDays: number): number | undefined {
  const end = asnTimeSeconds(notAfter);
  if (end === null || end <= at || end - at > warnDays * DAY) return undefined;
  return Math.floor((end - at) / DAY);
}

/** Certificates of the path that expire within `warnDays` of `at`. */
export function expiryWarnings(chain: ChainCert[], at: number, warnDays: number, sourceOf: SourceOf): ChainFinding[] {
  const out: ChainFinding[] = [];
  chain.forEach((c, depth) => {
    const days = expiresWithin(c.notAfter, at, warnDays);
    if (days === undefined) return;
    out.push(
      finding(
        'warning',
        'chain.expiring-soon',
        `${quoteName(c)} (depth ${depth}) expires at ${isoDate(c.notAfter)}, in ${days} day${days === 1 ? '' : 's'}`,
        sourceOf(c),
      ),
    );
  });
  return out;
}

/**
 * Things nginx (OpenSSL without X509_STRICT) accepts but a strict RFC 5280 / browser validator
 * rejects: worth fixing before a stricter client or a newer OpenSSL meets them.
 */
export function strictnessWarnings(chain: ChainCert[], name: string | undefined, sourceOf: SourceOf): ChainFinding[] {
  const out: ChainFinding[] = [];
  const warn = (code: string, msg: string, c: ChainCert) =>
    out.push(finding('warning', code, `${msg}; nginx accepts this, strict RFC 5280 validators do not`, sourceOf(c)));
  chain.forEach((c, i) => {
    const isIssuer = i > 0;
    if (isIssuer && c.ex.ca && c.ex.keyUsage === null)
      warn('chain.strict.ca-without-key-usage', `CA ${quoteName(c)} has no keyUsage extension`, c);
    const bc = c.extensions.find((e) => e.oid === OID.basicConstraints);
    if (isIssuer && c.ex.ca && bc && !bc.critical)
      warn('chain.strict.basic-constraints-not-critical', `CA ${quoteName(c)} has a non-critical basicConstraints`, c);
    if (i === 0 && chain.length > 1 && c.ex.ca)
      warn('chain.strict.leaf-is-ca', `the leaf ${quoteName(c)} is marked CA:TRUE`, c);
    if (i === 0 && c.ex.keyUsage !== null && (c.ex.keyUsage & KU.KEY_CERT_SIGN) !== 0 && !c.ex.ca)
      warn('chain.strict.leaf-key-cert-sign', `the leaf ${quoteName(c)} has keyCertSign without being a CA`, c);
    if (c.version !== 2 && c.extensions.length > 0)
      warn('chain.strict.extensions-in-v1', `${quoteName(c)} has extensions but is not a version 3 certificate`, c);
    if (i + 1 < chain.length && c.version === 2 && !c.ex.akid?.keyId && !c.ex.selfIssued)
      warn('chain.strict.missing-akid', `${quoteName(c)} has no authorityKeyIdentifier`, c);
    if (isIssuer && c.ex.ca && c.version === 2 && !c.ex.skid)
      warn('chain.strict.missing-skid', `CA ${quoteName(c)} has no subjectKeyIdentifier`, c);
    if ((c.ex.altNames?.length ?? -1) === 0)
      warn('chain.strict.empty-san', `${quoteName(c)} has an empty subjectAltName`, c);
    const nc = c.extensions.find((e) => e.oid === OID.nameConstraints);
    if (nc && !nc.critical)
      warn('chain.strict.name-constraints-not-critical', `${quoteName(c)} has non-critical nameConstraints`, c);
    if (nc && !isIssuer)
      warn(
        'chain.strict.name-constraints-in-leaf',
        `the leaf ${quoteName(c)} carries nameConstraints, which belong in CA certificates`,
        c,
      );
    if (isIssuer && !bc)
      warn('chain.strict.ca-without-basic-constraints', `CA ${quoteName(c)} has no basicConstraints extension`, c);
    if (c.serial <= 0n) warn('chain.strict.serial', `${quoteName(c)} has a serial number that is not positive`, c);
    else if (c.serial >= 1n << 159n)
      warn('chain.strict.serial', `${quoteName(c)} has a serial number longer than 20 octets`, c);
    if (c.version === 0 && !(isIssuer && c.ex.selfSigned))
      warn('chain.strict.v1-certificate', `${quoteName(c)} is a version 1 certificate`, c);
    if (c.key?.family === 'dsa')
      warn('chain.strict.dsa-key', `${quoteName(c)} has a DSA key, which browsers and TLS 1.3 no longer accept`, c);
    if ((c.key?.family === 'rsa' || c.key?.family === 'rsa-pss') && c.key.sizeBits % 8 !== 0)
      warn(
        'chain.strict.rsa-size',
        `${quoteName(c)} has an RSA modulus of ${c.key.sizeBits} bits, not a multiple of 8`,
        c,
      );
    const san = c.extensions.find((e) => e.oid === OID.subjectAltName);
    if (san && !san.critical && c.subject.rdns.length === 0)
      warn(
        'chain.strict.empty-subject-san-not-critical',
        `${quoteName(c)} has an empty subject and a non-critical subjectAltName`,
        c,
      );
  });
  const leaf = chain[0];
  if (leaf && name && isIP(name) === 0 && !(leaf.ex.altNames ?? []).some((g) => g.type === GEN.DNS)) {
    out.push(
      finding(
        'warning',
        'chain.cn-only',
        `the leaf ${quoteName(leaf)} has no DNS subjectAltName, so "${name}" can only match its common name; OpenSSL allows that, most other TLS clients do not`,
        sourceOf(leaf),
      ),
    );
  }
  return out;
}

export function ipNameWarning(name: string | undefined): ChainFinding[] {
  if (!name || isIP(name) === 0) return [];
  return [
    finding(
      'warning',
      'chain.ip-name',
      `serverName "${name}" is an IP address: nginx checks it as a DNS name (X509_check_host) and never matches IP SANs; use a DNS name from the certificate`,
    ),
  ];
}

/**
 * For `verify-chain --ca` only: a spec's trust stores get trust.public-bundle once per store from
 * validation (src/validate/files.ts), not this once per upstream.
 */
export function trustStoreWarnings(storeSize: number, storeName: string | undefined): ChainFinding[] {
  if (storeName !== undefined || storeSize <= MAX_PRIVATE_ROOTS) return [];
  return [
    finding(
      'warning',
      'chain.large-trust-store',
      `${storeLabel(storeName)} holds ${storeSize} certificates: every one of them can vouch for this upstream, and nginx loads the file into each TLS context; keep upstream trust stores to the CAs that issue them`,
    ),
  ];
}
