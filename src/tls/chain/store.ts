import type { CertSource } from '../verdict.js';
import { derKey, x509Verdict } from '../x509-once.js';
import { parseCertificate } from './certificate.js';
import { likelyIssued } from './issued.js';
import { subjectCanon } from './subject-key.js';
import { laterThan, validAt } from './time.js';
import { splitTrustedBlock } from './trust.js';
import type { ChainCert, StoreEntry, TrustAux, TrustStore } from './types.js';

const stores = new Map<string, TrustStore>();
const STORE_LIMIT = 1000;
/** The spec loader hands every upstream of a trust store the same array: look that up first, for free. */
const byArray = new WeakMap<CertSource[], TrustStore>();

/**
 * Builds (or reuses) the store for these certificates; hundreds of upstreams share a few stores.
 * Every certificate is decoded by OpenSSL (a certificate it refuses makes nginx refuse the file)
 * and indexed by its canonical subject; the engine's full parse (certificate.ts) waits until a
 * chain looks a certificate up as a possible issuer, which in a bundle of hundreds is a handful.
 */
export function trustStoreOf(trusted: CertSource[]): TrustStore {
  const same = byArray.get(trusted);
  if (same) return same;
  const keys = trusted.map((s) => derKey(s.block.der));
  const key = trusted.map((s, i) => `${s.file}\0${keys[i]}`).join('\n');
  const hit = stores.get(key);
  if (hit) {
    byArray.set(trusted, hit);
    return hit;
  }
  const store = newStore();
  const held = new Set<string>();
  trusted.forEach((source, i) => {
    // PEM_X509_INFO_read_bio(): TRUSTED CERTIFICATE blocks are read with d2i_X509_AUX(), others with d2i_X509().
    let der = source.block.der;
    let k = keys[i];
    let aux: TrustAux | null = null;
    if (source.block.label === 'TRUSTED CERTIFICATE') {
      const split = splitTrustedBlock(der);
      if ('error' in split) {
        store.problems.push({ source, message: split.error, by: 'openssl' });
        return;
      }
      ({ cert: der, aux } = split);
      k = derKey(der);
    }
    const refused = x509Verdict(der, k);
    if (refused !== null) {
      store.problems.push({ source, message: `OpenSSL cannot parse it (${refused})`, by: 'openssl' });
      return;
    }
    const canon = subjectCanon(der);
    const entry: StoreEntry = { der, key: k, source, aux };
    if (canon === null && !parsed(store, entry)) return; // beyond the plain reader: parsed now, as before
    // X509_STORE_add_cert() ignores a certificate it already holds.
    if (held.has(k)) return;
    held.add(k);
    store.size++;
    const subject = (canon ?? entry.cert!.subject.canon).toString('hex');
    const list = store.bySubject.get(subject) ?? [];
    list.push(entry);
    store.bySubject.set(subject, list);
  });
  if (stores.size >= STORE_LIMIT) stores.delete(stores.keys().next().value as string);
  stores.set(key, store);
  byArray.set(trusted, store);
  return store;
}

function newStore(): TrustStore {
  const store = {
    size: 0,
    sources: new Map(),
    problems: [],
    bySubject: new Map(),
    aux: new Map(),
  } as unknown as TrustStore;
  // Every certificate, fully parsed: for callers that list the store (the engine itself does not).
  Object.defineProperty(store, 'certs', {
    get: () => [...store.bySubject.values()].flat().flatMap((e) => (parsed(store, e) ? [e.cert!] : [])),
  });
  return store;
}

/**
 * The entry's full parse, done once; false (and a problem the engine reports) when the ASN.1
 * library cannot decode what OpenSSL accepted.
 */
function parsed(store: TrustStore, entry: StoreEntry): boolean {
  if (entry.cert !== undefined) return entry.cert !== null;
  const r = parseCertificate(entry.der, entry.key);
  if ('error' in r) {
    entry.cert = null;
    store.problems.push({ source: entry.source, message: r.error, by: r.by });
    return false;
  }
  entry.cert = r.cert;
  // The first copy loaded is the one the store keeps (a duplicate parses to the same object).
  if (!store.sources.has(r.cert)) {
    store.sources.set(r.cert, entry.source);
    if (entry.aux) store.aux.set(r.cert, entry.aux);
  }
  return true;
}

/**
 * X509_STORE_CTX_get1_issuer(): among trusted certificates whose subject is x's issuer, in load
 * order, the first that likely issued x and is valid now; failing that, the one that expires last.
 */
export function trustedIssuer(store: TrustStore, x: ChainCert, at: number): ChainCert | null {
  const candidates = store.bySubject.get(x.issuer.canon.toString('hex')) ?? [];
  let best: ChainCert | null = null;
  for (const e of candidates) {
    if (!parsed(store, e)) continue;
    const c = e.cert!;
    if (!likelyIssued(c, x)) continue;
    if (validAt(c, at)) return c;
    if (best === null || laterThan(c.notAfter, best.notAfter)) best = c;
  }
  return best;
}
