import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertRef, FixStep } from '../../src/diagnostics/fix.js';
import { CRL_REASON_REMOVE_FROM_CRL, parseCrl } from '../../src/tls/chain/crl.js';
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
  /** The trust store's CRL file (proxy_ssl_crl); undefined: none. */
  crls?: HeldCrl[];
}

/** One CRL as it sits in the CRL file: its PEM block, its issuer (RFC 2253) and the serials it revokes. */
export interface HeldCrl {
  pem: string;
  issuer: string;
  revoked: bigint[];
}

/** The CRLs of a PEM file. */
export function readCrls(file: string): HeldCrl[] {
  const r = parsePem(readFileSync(file), 'crl');
  if ('problem' in r) throw new Error(`${file}: ${r.problem.message}`);
  return r.blocks.map((b) => heldCrl(`${b.text.trimEnd()}\n`));
}

function heldCrl(pem: string): HeldCrl {
  const r = parsePem(Buffer.from(pem), 'crl');
  if ('problem' in r) throw new Error(r.problem.message);
  const parsed = parseCrl(r.blocks[0].der);
  if ('error' in parsed) throw new Error(parsed.error);
  const revoked = [...parsed.crl.revoked].filter(([, reason]) => reason !== CRL_REASON_REMOVE_FROM_CRL).map(([n]) => n);
  return { pem, issuer: parsed.crl.issuerText, revoked };
}

export function writeCrls(file: string, crls: HeldCrl[]): string {
  writeFileSync(file, crls.map((c) => c.pem).join(''));
  return file;
}

/**
 * Plays the CA for `add-crl`/`replace-crl`: its current CRL, signed now with its key, valid for 30
 * days, still revoking every serial the CRLs of that name in the file revoke (a fresh CRL never
 * un-revokes a certificate, so the advice cannot pass by forgetting a revocation).
 */
export function publishCrl(ca: Held, current: HeldCrl[]): HeldCrl {
  if (!ca.key) throw new FixNotApplicable(`the PKI holds no key of ${ca.x509.subject}`);
  const dir = mkdtempSync(join(ca.key, '..', 'ca-'));
  const name = rfc2253(ca);
  const serials = new Set(current.filter((c) => c.issuer === name).flatMap((c) => c.revoked));
  const hex = (n: bigint) => {
    const h = n.toString(16).toUpperCase();
    return h.length % 2 ? `0${h}` : h;
  };
  writeFileSync(
    join(dir, 'index.txt'),
    [...serials].map((n) => `R\t491231235959Z\t200101000000Z\t${hex(n)}\tunknown\t/CN=revoked\n`).join(''),
  );
  writeFileSync(join(dir, 'ca.cnf'), `[ca]\ndefault_ca=c\n[c]\ndatabase=${join(dir, 'index.txt')}\n`);
  const out = join(dir, 'crl.pem');
  execFileSync(
    'openssl',
    ['ca', '-gencrl', '-batch', '-config', join(dir, 'ca.cnf'), '-cert', writeHeld(join(dir, 'ca.pem'), [ca])]
      .concat(['-keyfile', ca.key, '-md', 'default', '-out', out])
      .concat([
        '-crl_lastupdate',
        caTime(Date.now() - 3600_000),
        '-crl_nextupdate',
        caTime(Date.now() + 30 * 86400_000),
      ]),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return heldCrl(readFileSync(out, 'utf8'));
}

/** YYMMDDHHMMSSZ, the form `openssl ca` takes. */
const caTime = (ms: number) => `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;

const rfc2253 = (c: Held) => c.x509.subject.split('\n').reverse().join(',');

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
    if (rfc2253(c) !== ref.subject)
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
    let s: UpstreamState = {
      ...state,
      chain: [...state.chain],
      trusted: [...state.trusted],
      crls: state.crls && [...state.crls],
    };
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
        case 'add-crl':
        case 'replace-crl': {
          const of = this.find(step.of, s);
          const ca = selfSigned(of) ? of : this.issuerOf(of, s);
          if (!ca) throw new FixNotApplicable(`the PKI holds no certificate that issued ${step.of.subject}`);
          if (rfc2253(ca) !== step.issuer)
            throw new FixNotApplicable(
              `${step.kind} names issuer ${step.issuer}, but ${step.of.subject} was issued by ${rfc2253(ca)}`,
            );
          const before = s.crls ?? [];
          const kept = step.kind === 'replace-crl' ? before.filter((c) => c.issuer !== step.issuer) : before;
          if (step.kind === 'replace-crl' && kept.length === before.length)
            throw new FixNotApplicable(`replace-crl: the CRL file holds no CRL of ${step.issuer}`);
          const signer = this.universe.find((u) => u.sha256 === ca.sha256) ?? ca; // the PKI's copy holds the key
          s.crls = [...kept, publishCrl(signer, before)];
          break;
        }
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

/**
 * Null when the words of a finding name what its fix does (each certificate, the depth, the name,
 * the CRL to add); else what they leave out.
 */
export function messageNamesFix(message: string, steps: FixStep[]): string | null {
  for (const step of steps) {
    const named =
      step.kind === 'add-issuers' || step.kind === 'add-crl' || step.kind === 'replace-crl'
        ? [step.issuer]
        : step.kind === 'reorder-chain'
          ? step.order.map((r) => r.subject)
          : step.kind === 'add-certificate' || step.kind === 'remove-certificate' || step.kind === 'drop-trust-settings'
            ? [step.certificate.subject]
            : step.kind === 'outside-spec' && step.certificate
              ? [step.certificate.subject]
              : [];
    for (const subject of named)
      if (!message.includes(`'${subject}'`)) return `${step.kind} names '${subject}', the message does not`;
    if (step.kind === 'set-verify-depth' && !message.includes(`set verifyDepth to ${step.value}`))
      return `set-verify-depth ${step.value}, the message does not say so`;
    if (step.kind === 'add-protocol' && !message.includes(`Add ${step.value} to protocols`))
      return `add-protocol ${step.value}, the message does not say so`;
    if (step.kind === 'set-server-name' && !/serverName/.test(message))
      return 'set-server-name, the message does not mention serverName';
    if (step.kind === 'add-crl' && !message.includes(`add the current CRL of '${step.issuer}'`))
      return 'add-crl, the message does not say to add the current CRL of that CA';
    if (step.kind === 'replace-crl' && !message.includes(`with the current CRL of '${step.issuer}'`))
      return 'replace-crl, the message does not say to replace it with the current CRL of that CA';
    if (step.kind === 'outside-spec' && !/reissue|renew|serve (one|a certificate)/i.test(message))
      return 'outside-spec, the message does not say to reissue or renew';
  }
  return null;
}
