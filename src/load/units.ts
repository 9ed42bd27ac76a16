/**
 * Durations and sizes as the spec writes them and nginx reads them. The schema admits only the
 * forms nginx's ngx_parse_time / ngx_parse_offset accept, so values are written to nginx.conf as
 * the spec gave them; these functions give their magnitude for comparisons.
 */
import { durationMs } from '../text/duration.js';
import type { Duration, Size } from './spec-types.js';

/** A failTimeout, seconds (integer) or a duration, as nginx's fail_timeout= reads it. */
export function failTimeoutText(value: number | Duration): string {
  return typeof value === 'number' ? `${value}s` : value;
}

/** A failTimeout in seconds (nginx's fail_timeout takes no milliseconds; the schema admits s, m, h). */
export function failTimeoutSeconds(value: number | Duration): number {
  return typeof value === 'number' ? value : durationMs(value) / 1000;
}

const SCALE: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "10m" → 10485760; 0 means no limit. */
export function sizeBytes(value: Size): number {
  if (typeof value === 'number') return value;
  const m = /^([0-9]+)([kKmMgG]?)$/.exec(value);
  if (!m) throw new Error(`not a size: ${value}`);
  return Number(m[1]) * SCALE[m[2].toLowerCase()];
}

/** The size as nginx.conf writes it. */
export function sizeText(value: Size): string {
  return typeof value === 'number' ? String(value) : value.toLowerCase();
}

/** Larger of two body limits, where 0 (no limit) is the largest. */
export function largerLimit(a: Size, b: Size): Size {
  const x = sizeBytes(a);
  const y = sizeBytes(b);
  if (x === 0) return a;
  if (y === 0) return b;
  return y > x ? b : a;
}

/** Whether body limit `a` is stricter than `b` (0 is no limit). */
export function stricterLimit(a: Size, b: Size): boolean {
  const x = sizeBytes(a);
  const y = sizeBytes(b);
  return x !== 0 && (y === 0 || x < y);
}
