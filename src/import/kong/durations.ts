/** The spec's durations: a whole number of ms, s, m or h, at most six digits (schemas/gateway.schema.json#/definitions/duration). */
const MAX_DIGITS = 999_999;

/**
 * Milliseconds as seconds when whole ("60s", as nginx's defaults are written), else as ms
 * ("1500ms"); past six digits, rounded to the nearest unit that fits (Kong allows timeouts up to
 * 2^31 ms, about 24 days). At least 1ms.
 */
export function durationText(ms: number): { text: string; exact: boolean } {
  const whole = Math.max(1, Math.round(ms));
  if (whole % 1000 === 0 && whole / 1000 <= MAX_DIGITS) return { text: `${whole / 1000}s`, exact: whole === ms };
  if (whole <= MAX_DIGITS) return { text: `${whole}ms`, exact: whole === ms };
  for (const [unit, size] of [
    ['s', 1000],
    ['m', 60_000],
    ['h', 3_600_000],
  ] as const) {
    const n = Math.round(whole / size);
    if (n <= MAX_DIGITS) return { text: `${n}${unit}`, exact: false };
  }
  return { text: `${MAX_DIGITS}h`, exact: false };
}
