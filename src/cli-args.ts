import { InvalidArgumentError } from 'commander';

/** The output formats (--format); here, so that cli.ts names them without loading the formatters. */
export const FORMATS = ['human', 'json', 'github', 'sarif'] as const;
export type Format = (typeof FORMATS)[number];

/** Parsers for command-line values: a bad value is a usage error (exit 2) naming the option. */

export function parseTime(v: string): Date {
  const d = parseIsoTime(v);
  if (!d)
    throw new InvalidArgumentError(
      'expected a real ISO-8601 date or date-time with its zone, such as 2027-01-31 or 2027-01-31T12:00:00Z',
    );
  return d;
}

/** As the spec's verifyDepth: nginx's proxy_ssl_verify_depth, which it hands to OpenSSL as an int. */
export const MAX_VERIFY_DEPTH = 2147483647;

export function parseDepth(v: string): number {
  if (!/^\d{1,10}$/.test(v) || Number(v) > MAX_VERIFY_DEPTH)
    throw new InvalidArgumentError(`expected a whole number from 0 to ${MAX_VERIFY_DEPTH} (as the spec's verifyDepth)`);
  return Number(v);
}

/** An empty --name would silently skip the host check (nginx always checks proxy_ssl_name). */
export function parseServerName(v: string): string {
  if (v.trim() === '') throw new InvalidArgumentError('expected a DNS name such as orders.internal');
  return v;
}

export function parseCount(v: string): number {
  if (!/^\d{1,6}$/.test(v)) throw new InvalidArgumentError('expected a whole number');
  return Number(v);
}

/**
 * A strict ISO-8601 date or date-time for `--at`: `2027-01-31` (midnight UTC) or
 * `2027-01-31T12:00:00Z` / `…+02:00` (seconds and fractions optional). `new Date()` alone would
 * roll 2024-02-30 over to March, ignore trailing text, and read a time without a zone in the
 * machine's local time.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2})))?$/;

function parseIsoTime(text: string): Date | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (m[4] !== undefined) {
    const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
    if (hour > 23 || minute > 59 || second > 59) return undefined;
    if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  }
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
