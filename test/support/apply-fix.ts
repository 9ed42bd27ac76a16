import { X509Certificate, createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertRef, FixStep } from '../../src/diagnostics/fix.js';
import { parsePem } from '../../src/tls/pem.js';

/**
 * Applies gwctl's machine-readable fixes the way a user would, with nothing but the fix and the
 * certificates the user's PKI holds: add the named certificates to the named file, set the named
 * depth, reorder the chain, set the name. `add-issuers` walks up from the named certificate to
 * the certificate whose key really signed it (the PKI may hold same-name twins).
 */

/** One certificate as it sits in a file: its PEM block, the certificate's DER, and node's view of it. */
export interface Held {
  pem: string;
  der: Buffer;
  sha256: string;
  x509: X509Certificate;
  /** Its private key file, when the PKI has it (for serving the chain). */
  key?: string;
}

/** What the spec says about one upstream, as far as the fixes change it. */
export interface UpstreamState {
  chain: Held[];
  trusted: Held[];
  depth: number;
  name: string | undefined;
  /** proxy_ssl_protocols; undefined: nginx 1.22's default. */
  protocols?: string[];
}

/** The certificate DER inside a PEM block (a TRUSTED CERTIFICATE block is the certificate followed by its aux settings). */
function certificateDer(der: Buffer): Buffer {
  const lenByte = der[1];
  if (lenByte < 0x80) return der.subarray(0, 2 + lenByte);
  const n = lenByte & 0x7f;
  return der.subarray(0, 2 + n + der.readUIntBE(2, n));
}

/** The certificates of a PEM file, each with its own block text. */
export function readHeld(file: string): Held[] {
  const r = parsePem(readFileSync(file), 'certificate');
  if ('problem' in r) throw new Error(`${file}: ${r.problem.message}`);
  return r.blocks.map((b) => held(`${b.text.trimEnd()}\n`, certificateDer(b.der)));
}

function held(pem: string, der: Buffer, key?: string): Held {
  return { pem, der, sha256: createHash('sha256').update(der).digest('hex'), x509: new X509Certificate(der), key };
}

/** Every certificate a test PKI issued (its `*.crt` files), with its key. */
export function pkiUniverse(dir: string): Held[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.crt'))
    .map((f) => {
      const [one] = readHeld(join(dir, f));
      const key = join(dir, f.replace(/\.crt$/, '.key'));
      return { ...one, key: existsSync(key) ? key : undefined };
    });
}

export function writeHeld(file: string, certs: Held[]): string {
  writeFileSync(file, certs.map((c) => c.pem).join(''));
  return file;
}

const selfSigned = (c: Held) => c.x509.checkIssued(c.x509) && verifies(c, c);

function verifies(child: Held, issuer: Held): boolean {
  try {
    return child.x509.verify(issuer.x509.publicKey);
  } catch {
    return false; // node cannot check this signature algorithm
  }
}

/** Why a fix could not be applied as written (the test reports it: such advice is wrong). */
export class FixNotApplicable extends Error {}

export class FixApplier {
  constructor(private readonly universe: Held[]) {}

  find(ref: CertRef, state: UpstreamState): Held {
    const c = [...state.chain, ...state.trusted, ...this.universe].find((h) => h.sha256 === ref.sha256);
    if (!c) throw new FixNotApplicable(`no certificate ${ref.subject} with SHA-256 ${ref.sha256}`);
    if (c.x509.subject.split('\n').reverse().join(',') !== ref.subject)
      throw new FixNotApplicable(`the fix names ${ref.subject}, but that certificate is ${c.x509.subject}`);
    return c;
  }

  /**
   * The certificate that signed `c`: same name as its issuer, its key verifies the signature.
   * Among several (a renewal, a cross-signed copy), one the user already has, then one valid now.
   */
  issuerOf(c: Held, state: UpstreamState): Held | undefined {
    const now = Date.now();
    const candidates = [...state.chain, ...state.trusted, ...this.universe].filter(
      (u) => u.sha256 !== c.sha256 && c.x509.checkIssued(u.x509) && verifies(c, u),
    );
    const rank = (u: Held) =>
      (state.trusted.some((t) => t.sha256 === u.sha256) ? 0 : 2) +
      (Date.parse(u.x509.validTo) > now && Date.parse(u.x509.validFrom) <= now ? 0 : 1);
    return candidates.sort((a, b) => rank(a) - rank(b))[0];
  }

  /** Applies the steps to a copy of the state; null when a step is outside the spec. */
  apply(state: UpstreamState, steps: FixStep[]): UpstreamState | null {
    let s: UpstreamState = { ...state, chain: [...state.chain], trusted: [...state.trusted] };
    const add = (list: Held[], c: Held) => {
      if (!list.some((h) => h.sha256 === c.sha256)) list.push(c);
    };
    const listOf = (field: 'presentedChain' | 'trustStore') => (field === 'presentedChain' ? s.chain : s.trusted);
    for (const step of steps) {
      switch (step.kind) {
        case 'outside-spec':
          return null;
        case 'set-verify-depth':
          s.depth = step.value;
          break;
        case 'reorder-chain':
          s.chain = step.order.map((r) => {
            const c = s.chain.find((h) => h.sha256 === r.sha256);
            if (!c) throw new FixNotApplicable(`reorder-chain names ${r.subject}, which the chain does not hold`);
            return c;
          });
          break;
        case 'add-issuers': {
          let cur = this.find(step.of, s);
          const added: Held[] = [];
          for (let i = 0; i < 10 && !selfSigned(cur); i++) {
            const up = this.issuerOf(cur, s);
            if (!up) throw new FixNotApplicable(`the PKI holds no certificate that issued ${cur.x509.subject}`);
            if (selfSigned(up) && step.upTo === 'intermediates') break;
            added.push(up);
            cur = up;
          }
          if (added.length === 0) throw new FixNotApplicable(`add-issuers of ${step.of.subject} adds nothing`);
          for (const c of added) add(listOf(step.field), c);
          break;
        }
        case 'add-certificate':
          add(listOf(step.field), this.find(step.certificate, s));
          break;
        case 'remove-certificate': {
          const list = listOf(step.field);
          if (!list.some((h) => h.sha256 === step.certificate.sha256))
            throw new FixNotApplicable(`remove-certificate: ${step.certificate.subject} is not in ${step.field}`);
          if (step.field === 'presentedChain') s.chain = list.filter((h) => h.sha256 !== step.certificate.sha256);
          else s.trusted = list.filter((h) => h.sha256 !== step.certificate.sha256);
          break;
        }
        case 'drop-trust-settings':
          s = {
            ...s,
            trusted: s.trusted.map((h) =>
              h.sha256 === step.certificate.sha256 ? held(h.x509.toString(), h.der, h.key) : h,
            ),
          };
          break;
        case 'add-protocol':
          s.protocols = [...(s.protocols ?? ['TLSv1.2']), step.value];
          break;
        case 'set-server-name':
          // A wildcard stands for any one label: take one.
          s.name = step.names[0].replace('*', 'x');
          break;
      }
    }
    return s;
  }
}
