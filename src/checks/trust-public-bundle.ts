import type { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { certificateFacts } from '../tls/certificate-facts.js';
import { MAX_PRIVATE_ROOTS } from '../tls/trust-store-size.js';
import type { CertSource } from '../tls/verdict.js';
import { show } from '../text/show.js';
import type { Check, Finding } from './types.js';
import { resolvePath } from '../tls/material.js';
import { derKey } from '../tls/x509-once.js';

export const trustPublicBundle: Check = {
  code: 'trust.public-bundle',
  severity: 'warning',
  scope: 'trust-store',
  needs: 'material',
  summary: 'A trust store holds public Web PKI roots, or looks like a public CA bundle',
  help: "Any of those CAs can issue a certificate for an upstream's serverName and impersonate it. Trust only the CA that signs the upstream's certificate (its own root, or an internal root).",
  run: ({ spec, specDir, material }) =>
    Object.entries(spec.trustStores ?? {}).flatMap(([name, ts]): Finding[] => {
      const bundle = publicBundle(material?.trustStores.get(name) ?? []);
      if (!bundle) return [];
      const index = ts.certificates.findIndex((p) => resolvePath(specDir, p) === bundle.file);
      return [
        {
          path: ['trustStores', name, 'certificates', index],
          message: `trust store "${name}" ${bundle.why}: any of those CAs can issue a certificate for an upstream's serverName and impersonate it. Trust only the CA that signs the upstream's certificate (its own root, or an internal root)${bundle.count > MAX_PRIVATE_ROOTS ? `; a bundle this size also costs nginx memory and start-up time in every TLS context` : ''}`,
        },
      ];
    }),
};

/** Why a trust store looks like a public CA bundle, or undefined. */
function publicBundle(certs: CertSource[]): { why: string; file: string; count: number } | undefined {
  if (certs.length === 0) return undefined;
  const roots: CertSource[] = [];
  const publicOnes: { cert: CertSource; x509: X509Certificate }[] = [];
  for (const c of certs) {
    const facts = certificateFacts(c.block);
    if (!facts?.selfIssued) continue;
    roots.push(c);
    if (publicRoots().has(derKey(c.block.der))) publicOnes.push({ cert: c, x509: facts.x509 });
  }
  if (publicOnes.length > 0) {
    const first = publicOnes[0];
    return {
      why: `holds ${publicOnes.length} public Web PKI root${publicOnes.length === 1 ? '' : 's'} (such as ${show(commonName(first.x509))})`,
      file: first.cert.file,
      count: roots.length,
    };
  }
  if (roots.length > MAX_PRIVATE_ROOTS)
    return {
      why: `holds ${roots.length} self-signed roots (more than ${MAX_PRIVATE_ROOTS}: a public-style CA bundle, not an internal CA)`,
      file: roots[0].file,
      count: roots.length,
    };
  return undefined;
}

let publicRootSet: Set<string> | undefined;
/**
 * SHA-256 fingerprints (derKey) of the public Web PKI roots: the Mozilla store built into Node. Not the system
 * bundle: it also holds CAs installed locally (a company's own root would count as public), and it
 * differs from machine to machine.
 */
function publicRoots(): Set<string> {
  if (!publicRootSet) {
    publicRootSet = new Set();
    for (const pem of rootCertificates) {
      const body = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
      if (body) publicRootSet.add(derKey(Buffer.from(body[1].replace(/\s/g, ''), 'base64')));
    }
  }
  return publicRootSet;
}

function commonName(x: X509Certificate): string {
  const cn = x.subject.split('\n').find((l) => l.startsWith('CN='));
  return cn ? cn.slice(3) : x.subject.replace(/\n/g, ', ');
}
