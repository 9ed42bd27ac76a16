import type { CertSource } from '../verdict.js';
import { parseCertificate } from './certificate.js';
import { likelyIssued } from './issued.js';
import { laterThan, validAt } from './time.js';
import { splitTrustedBlock } from './trust.js';
import type { ChainCert, TrustAux, TrustStore } from './types.js';

const stores = new Map<string, TrustStore>();
const STORE_LIMIT = 1000;
/** The spec loader hands every upstream of a trust store the same array: look that up first, for free. */
const byArray = new WeakMap<CertSource[], TrustStore>();

/** Builds (or reuses) the store for these certificates; hundreds of upstreams share a few stores. */
export function trustStoreOf(trusted: CertSource[]): TrustStore {
  const same = byArray.get(trusted);
  if (same) return same;
  const key = trusted.map((s) => `${s.file}\0${s.block.der.toString('base64')}`).join('\n');
  const hit = stores.get(key);
  if (hit) {
    byArray.set(trusted, hit);
    return hit;
  }
  const store: TrustStore = { certs: [], sources: new Map(), problems: [], bySubject: new Map(), aux: new Map() };
  for (const source of trusted) {
    // PEM_X509_INFO_read_bio(): TRUSTED CERTIFICATE blocks are read with d2i_X509_AUX(), others with d2i_X509().
    let der = source.block.der;
    let aux: TrustAux | null = null;
    if (source.block.label === 'TRUSTED CERTIFICATE') {
      const split = splitTrustedBlock(der);
      if ('error' in split) {
        store.problems.push({ source, message: split.error, by: 'openssl' });
        continue;
      }
      ({ cert: der, aux } = split);
    }
    const r = parseCertificate(der);
    if ('error' in r) {
      store.problems.push({ source, message: r.error, by: r.by });
      continue;
    }
    // X509_STORE_add_cert() ignores a certificate it already holds.
    if (store.certs.some((c) => c.der.equals(r.cert.der))) continue;
    store.certs.push(r.cert);
    store.sources.set(r.cert, source);
    if (aux) store.aux.set(r.cert, aux);
    const k = r.cert.subject.canon.toString('hex');
    const list = store.bySubject.get(k) ?? [];
    list.push(r.cert);
    store.bySubject.set(k, list);
  }
  if (stores.size >= STORE_LIMIT) stores.delete(stores.keys().next().value as string);
  stores.set(key, store);
  byArray.set(trusted, store);
  return store;
}

/**
 * X509_STORE_CTX_get1_issuer(): among trusted certificates whose subject is x's issuer, in load
 * order, the first that likely issued x and is valid now; failing that, the one that expires last.
 */
export function trustedIssuer(store: TrustStore, x: ChainCert, at: number): ChainCert | null {
  const candidates = store.bySubject.get(x.issuer.canon.toString('hex')) ?? [];
  let best: ChainCert | null = null;
  for (const c of candidates) {
    if (!likelyIssued(c, x)) continue;
    if (validAt(c, at)) return c;
    if (best === null || laterThan(c.notAfter, best.notAfter)) best = c;
  }
  return best;
}
