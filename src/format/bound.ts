import type { Diagnostic, Severity } from '../diagnostics/diagnostic.js';

/**
 * Output bounds: however hostile the spec, one value never makes more than one line of a few KB,
 * and one kind of problem never more than MAX_PER_CODE lines. Totals (the summary line, `ok`,
 * the exit code) always count everything.
 */
export const MAX_PER_CODE = 20;
/** Characters of one message; longer ones are cut with a note of how much was left out. */
export const MAX_MESSAGE_CHARS = 2000;

export interface Omitted {
  code: string;
  severity: Severity;
  /** Diagnostics of this code not printed. */
  count: number;
}

export function boundMessage(message: string): string {
  if (message.length <= MAX_MESSAGE_CHARS) return message;
  return `${message.slice(0, MAX_MESSAGE_CHARS)}… (${message.length - MAX_MESSAGE_CHARS} more characters)`;
}

/**
 * The first MAX_PER_CODE diagnostics of each code (in their order), messages bounded, and how
 * many of each code were left out. One pass, one Map: linear in the number of diagnostics.
 */
export function boundDiagnostics(diagnostics: readonly Diagnostic[]): { shown: Diagnostic[]; omitted: Omitted[] } {
  const seen = new Map<string, Omitted>();
  const shown: Diagnostic[] = [];
  for (const d of diagnostics) {
    let o = seen.get(d.code);
    if (!o) {
      o = { code: d.code, severity: d.severity, count: -MAX_PER_CODE };
      seen.set(d.code, o);
    }
    if (++o.count > 0) continue;
    shown.push(d.message.length > MAX_MESSAGE_CHARS ? { ...d, message: boundMessage(d.message) } : d);
  }
  return { shown, omitted: [...seen.values()].filter((o) => o.count > 0) };
}

/** "… 1980 more like this [ref.unknown]" */
export function omittedLine(o: Omitted): string {
  return `… ${o.count} more like this (${o.severity}) [${o.code}]`;
}
