import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { tlv } from '../../../src/tls/chain/name.js';

/**
 * Hand-assembled certificates for the cases the openssl CLI will not produce (odd name
 * encodings, arbitrary bytes): DER built field by field and signed with node:crypto.
 */
export type NameSpec = [oid: string, tag: number, value: Buffer | string][][];

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes = [40 * parts[0] + parts[1]];
  for (const p of parts.slice(2)) {
    const chunk = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

export function nameDer(spec: NameSpec): Buffer {
  return tlv(
    0x30,
    Buffer.concat(
      spec.map((rdn) =>
        tlv(
          0x31,
          Buffer.concat(
            rdn.map(([o, tag, v]) =>
              tlv(0x30, Buffer.concat([oid(o), tlv(tag, typeof v === 'string' ? Buffer.from(v, 'latin1') : v)])),
            ),
          ),
        ),
      ),
    ),
  );
}

export const CN = '2.5.4.3';
export const O = '2.5.4.10';

export interface BuildOptions {
  issuer: Buffer;
  subject: Buffer;
  publicKey: KeyObject;
  signingKey: KeyObject;
  serial?: number;
  /** Extensions as [oid, critical, DER value]. */
  extensions?: [string, boolean, Buffer][];
  /** notBefore and notAfter as whole TLVs (default UTCTime 200101000000Z to 491231235959Z). */
  validity?: [Buffer, Buffer];
  /** The signature AlgorithmIdentifier (default ecdsa-with-SHA256) and how to sign the TBSCertificate with it. */
  signature?: { algorithm: Buffer; sign: (tbs: Buffer) => Buffer };
}

/** An AlgorithmIdentifier without parameters. */
export const algorithmId = (dotted: string): Buffer => tlv(0x30, oid(dotted));

const ECDSA_SHA256 = tlv(0x30, oid('1.2.840.10045.4.3.2'));

export function buildCertificate(o: BuildOptions): Buffer {
  const spki = (o.publicKey.type === 'public' ? o.publicKey : createPublicKey(o.publicKey)).export({
    type: 'spki',
    format: 'der',
  });
  const validity = tlv(
    0x30,
    Buffer.concat(o.validity ?? [tlv(0x17, Buffer.from('200101000000Z')), tlv(0x17, Buffer.from('491231235959Z'))]),
  );
  const exts = o.extensions?.length
    ? [
        tlv(
          0xa3,
          tlv(
            0x30,
            Buffer.concat(
              o.extensions.map(([id, crit, value]) =>
                tlv(0x30, Buffer.concat([oid(id), ...(crit ? [Buffer.from('0101ff', 'hex')] : []), tlv(0x04, value)])),
              ),
            ),
          ),
        ),
      ]
    : [];
  const tbs = tlv(
    0x30,
    Buffer.concat([
      tlv(0xa0, tlv(0x02, Buffer.from([2]))),
      tlv(0x02, Buffer.from([o.serial ?? 1])),
      o.signature?.algorithm ?? ECDSA_SHA256,
      o.issuer,
      validity,
      o.subject,
      spki,
      ...exts,
    ]),
  );
  const signature = o.signature ? o.signature.sign(tbs) : sign('sha256', tbs, o.signingKey);
  return tlv(
    0x30,
    Buffer.concat([
      tbs,
      o.signature?.algorithm ?? ECDSA_SHA256,
      tlv(0x03, Buffer.concat([Buffer.from([0]), signature])),
    ]),
  );
}

/** basicConstraints CA:TRUE. */
export const CA_TRUE: [string, boolean, Buffer] = ['2.5.29.19', true, Buffer.from('30030101ff', 'hex')];

export function toPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}
