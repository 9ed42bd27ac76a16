import { type KeyObject, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';

/**
 * Many certificates fast, for the speed bench's inputs (1,000 chains, a 50,000-certificate trust
 * store): a small DER writer and node:crypto's ECDSA, in process. The test PKI
 * (test/support/pki.ts) runs the openssl CLI per certificate, which takes minutes at this count.
 * Only what OpenSSL needs to verify a server chain: v3, P-256 keys, ecdsa-with-SHA256,
 * basicConstraints and keyUsage on CAs, subjectAltName and serverAuth on leaves.
 */

export interface BenchCert {
  der: Buffer;
  subject: Buffer;
  key: KeyObject;
  pem: string;
}

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const oid = (hex: string) => tlv(0x06, Buffer.from(hex, 'hex'));
const OID_CN = '550403';
const OID_ECDSA_SHA256 = '2a8648ce3d040302';
const OID_BASIC_CONSTRAINTS = '551d13';
const OID_KEY_USAGE = '551d0f';
const OID_SAN = '551d11';
const OID_EKU = '551d25';
const OID_SERVER_AUTH = '2b06010505070301';

function integer(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

export function cnName(cn: string): Buffer {
  return seq(tlv(0x31, seq(oid(OID_CN), tlv(0x0c, Buffer.from(cn, 'utf8')))));
}

function utcTime(d: Date): Buffer {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return tlv(0x17, Buffer.from(`${s}Z`, 'ascii'));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

export function newKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

/** A certificate of `subjectKey` signed by `issuer` (self-signed when issuer is omitted). */
export function makeCert(opts: {
  cn: string;
  serial: number;
  key: KeyObject;
  issuer?: BenchCert;
  ca: boolean;
  dns?: string;
  notBefore?: Date;
  notAfter?: Date;
}): BenchCert {
  const subject = cnName(opts.cn);
  const issuerName = opts.issuer?.subject ?? subject;
  const signer = opts.issuer?.key ?? opts.key;
  const spki = createPublicKey(opts.key).export({ type: 'spki', format: 'der' });
  const exts = opts.ca
    ? [
        extension(OID_BASIC_CONSTRAINTS, true, seq(tlv(0x01, Buffer.from([0xff])))),
        extension(OID_KEY_USAGE, true, tlv(0x03, Buffer.from([0x01, 0x06]))), // keyCertSign, cRLSign
      ]
    : [
        extension(OID_BASIC_CONSTRAINTS, true, seq()),
        extension(OID_KEY_USAGE, true, tlv(0x03, Buffer.from([0x07, 0x80]))), // digitalSignature
        extension(OID_EKU, false, seq(oid(OID_SERVER_AUTH))),
        ...(opts.dns ? [extension(OID_SAN, false, seq(tlv(0x82, Buffer.from(opts.dns, 'ascii'))))] : []),
      ];
  const alg = seq(oid(OID_ECDSA_SHA256));
  const tbs = seq(
    tlv(0xa0, integer(2)),
    integer(opts.serial),
    alg,
    issuerName,
    seq(
      utcTime(opts.notBefore ?? new Date('2025-01-01T00:00:00Z')),
      utcTime(opts.notAfter ?? new Date('2045-01-01T00:00:00Z')),
    ),
    subject,
    spki,
    tlv(0xa3, seq(...exts)),
  );
  const signature = sign('sha256', tbs, signer);
  const der = seq(tbs, alg, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return { der, subject, key: opts.key, pem: toPem(der) };
}

export function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}
