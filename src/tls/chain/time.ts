import { TAG } from './asn1.js';
import type { AsnTime, ChainCert } from './types.js';

const MDAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function leap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/**
 * Seconds since the epoch for a certificate time, or null where X509_cmp_time() reports a format
 * error: OpenSSL insists on exactly YYMMDDHHMMSSZ / YYYYMMDDHHMMSSZ with in-range fields.
 */
export function asnTimeSeconds(t: AsnTime): number | null {
  const want = t.tag === TAG.UTCTime ? 13 : t.tag === TAG.GeneralizedTime ? 15 : -1;
  if (t.text.length !== want || !/^[0-9]+Z$/.test(t.text)) return null;
  let s = t.text;
  let year: number;
  if (t.tag === TAG.UTCTime) {
    const yy = Number(s.slice(0, 2));
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    s = s.slice(2);
  } else {
    year = Number(s.slice(0, 4));
    s = s.slice(4);
  }
  const [mon, day, hour, min, sec] = [0, 2, 4, 6, 8].map((i) => Number(s.slice(i, i + 2)));
  if (mon < 1 || mon > 12 || day < 1 || hour > 23 || min > 59 || sec > 59) return null;
  const mdays = mon === 2 ? 28 + (leap(year) ? 1 : 0) : MDAYS[mon - 1];
  if (day > mdays) return null;
  const d = new Date(0);
  d.setUTCFullYear(year, mon - 1, day);
  d.setUTCHours(hour, min, sec, 0);
  return Math.floor(d.getTime() / 1000);
}

/** X509_cmp_time(): -1 when the time is at or before `at`, 1 when after, 0 on a format error. */
export function cmpTime(t: AsnTime, at: number): -1 | 0 | 1 {
  const v = asnTimeSeconds(t);
  if (v === null) return 0;
  return v <= at ? -1 : 1;
}

export function epochSeconds(at: Date): number {
  return Math.floor(at.getTime() / 1000);
}

/** ossl_x509_check_cert_time(ctx, x, -1): is the certificate valid at `at`? */
export function validAt(c: ChainCert, at: number): boolean {
  return cmpTime(c.notBefore, at) < 0 && cmpTime(c.notAfter, at) > 0;
}

/** ASN1_TIME_compare(a, b) > 0, i.e. a strictly later than b (parse errors never win). */
export function laterThan(a: AsnTime, b: AsnTime): boolean {
  const x = asnTimeSeconds(a);
  const y = asnTimeSeconds(b);
  return x !== null && y !== null && x > y;
}
