import type { SpecPath } from '../../diagnostics/diagnostic.js';
import { show } from '../../text/show.js';
import type { Findings } from './findings.js';

/** A Kong entity as read from the file, with where it is. */
export interface Entity {
  data: Record<string, unknown>;
  path: SpecPath;
}

/**
 * Typed reads of Kong fields. A wrong type is an error at the field (Kong would refuse the file
 * too); `null`, which decK dumps write for unset fields, counts as absent. Kong's YAML reader is
 * YAML 1.1, gwctl's is 1.2: `yes`/`on` are text here, and the message says to write `true`.
 */
export class Fields {
  constructor(private readonly findings: Findings) {}

  has(e: Entity, key: string): boolean {
    return e.data[key] !== undefined && e.data[key] !== null;
  }

  str(e: Entity, key: string): string | undefined {
    const v = e.data[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    this.bad(e, key, 'text');
    return undefined;
  }

  bool(e: Entity, key: string): boolean | undefined {
    const v = e.data[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    const hint =
      typeof v === 'string' && /^(y|yes|on|n|no|off)$/i.test(v)
        ? ` (YAML 1.1 reads ${show(v)} as a boolean, YAML 1.2 as text: write ${/^(y|yes|on)$/i.test(v) ? 'true' : 'false'})`
        : '';
    this.findings.error('kong.invalid', `${key}: expected true or false, not ${show(v)}${hint}`, [...e.path, key]);
    return undefined;
  }

  num(e: Entity, key: string, min: number, max: number, integer = true): number | undefined {
    const v = e.data[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isFinite(v) && (!integer || Number.isInteger(v)) && v >= min && v <= max)
      return v;
    this.findings.error(
      'kong.invalid',
      `${key}: expected ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, not ${show(v)}`,
      [...e.path, key],
    );
    return undefined;
  }

  /** Kong's `set`/`array` fields: a list of texts. */
  strings(e: Entity, key: string): string[] | undefined {
    const v = e.data[key];
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    this.bad(e, key, 'a list of texts');
    return undefined;
  }

  /** A nested record (healthchecks.active), or undefined. */
  record(e: Entity, key: string): Entity | undefined {
    const v = e.data[key];
    if (v === undefined || v === null) return undefined;
    if (isRecord(v)) return { data: v, path: [...e.path, key] };
    this.bad(e, key, 'a map');
    return undefined;
  }

  /** A list of entities (services, nested routes, targets). */
  entities(e: Entity, key: string): Entity[] {
    const v = e.data[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.bad(e, key, 'a list');
      return [];
    }
    const out: Entity[] = [];
    v.forEach((item, i) => {
      if (isRecord(item)) out.push({ data: item, path: [...e.path, key, i] });
      else
        this.findings.error('kong.invalid', `${key}[${i}]: expected a map (one entity), not ${show(item)}`, [
          ...e.path,
          key,
          i,
        ]);
    });
    return out;
  }

  private bad(e: Entity, key: string, expected: string): void {
    const v = e.data[key];
    const what = Array.isArray(v) ? 'a list' : isRecord(v) ? 'a map' : show(v);
    this.findings.error('kong.invalid', `${key}: expected ${expected}, not ${what}`, [...e.path, key]);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
