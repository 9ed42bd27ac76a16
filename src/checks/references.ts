import type { SpecPath } from '../diagnostics/diagnostic.js';
import type { GatewaySpec } from '../load/spec-types.js';
import { suggest } from '../validate/suggest.js';
import { show } from '../text/show.js';
import type { Check, Finding } from './types.js';

interface Reference {
  kind: 'trust store' | 'client certificate' | 'upstream';
  name: string;
  path: SpecPath;
}

/** Every name the spec refers to, in spec order. */
function references(spec: GatewaySpec): Reference[] {
  const out: Reference[] = [];
  for (const [name, up] of Object.entries(spec.upstreams ?? {})) {
    const tls = up.tls;
    if (tls?.trustStore !== undefined)
      out.push({ kind: 'trust store', name: tls.trustStore, path: ['upstreams', name, 'tls', 'trustStore'] });
    if (tls?.clientCertificate !== undefined)
      out.push({
        kind: 'client certificate',
        name: tls.clientCertificate,
        path: ['upstreams', name, 'tls', 'clientCertificate'],
      });
  }
  (spec.routes ?? []).forEach((r, i) =>
    out.push({ kind: 'upstream', name: r.upstream, path: ['routes', i, 'upstream'] }),
  );
  return out;
}

function declared(spec: GatewaySpec, kind: Reference['kind']): string[] {
  if (kind === 'trust store') return Object.keys(spec.trustStores ?? {});
  if (kind === 'client certificate') return Object.keys(spec.clientCertificates ?? {});
  return Object.keys(spec.upstreams ?? {});
}

/** "did you mean" costs a scan of every declared name: only the first few unknown names of a kind get one. */
const SUGGESTIONS_PER_KIND = 20;
/** Declared names a message lists (a spec may declare thousands). */
const LISTED_NAMES = 10;

function listed(names: readonly string[]): string {
  const shown = names.slice(0, LISTED_NAMES).join(', ');
  return names.length > LISTED_NAMES ? `${shown} and ${names.length - LISTED_NAMES} more` : shown;
}

export const refUnknown: Check = {
  code: 'ref.unknown',
  severity: 'error',
  scope: 'references',
  needs: 'spec',
  summary: 'A name refers to no trust store, client certificate or upstream',
  help: 'Declare the name, or correct the reference (gwctl suggests the closest declared name).',
  run: ({ spec }) => {
    const kinds = new Map<Reference['kind'], { names: string[]; set: Set<string>; suggested: number }>();
    return references(spec).flatMap((ref): Finding[] => {
      let known = kinds.get(ref.kind);
      if (!known) {
        const names = declared(spec, ref.kind);
        known = { names, set: new Set(names), suggested: 0 };
        kinds.set(ref.kind, known);
      }
      if (known.set.has(ref.name)) return [];
      const hint = known.suggested++ < SUGGESTIONS_PER_KIND ? suggest(ref.name, known.names) : undefined;
      return [
        {
          path: ref.path,
          message: `no ${ref.kind} named ${show(ref.name)}${hint ? `: did you mean ${show(hint)}?` : known.names.length ? ` (declared: ${listed(known.names)})` : ` (none declared)`}`,
        },
      ];
    });
  },
};

export const refUnused: Check = {
  code: 'ref.unused',
  severity: 'warning',
  scope: 'references',
  needs: 'spec',
  summary: 'A trust store, client certificate or upstream is declared but never used',
  help: 'Remove it, or refer to it where it was meant to be used (a typo in the reference shows as ref.unknown).',
  run: ({ spec }) => {
    const used = new Set(references(spec).map((r) => `${r.kind}\0${r.name}`));
    const unused = (kind: Reference['kind'], section: string, what: string) =>
      declared(spec, kind)
        .filter((name) => !used.has(`${kind}\0${name}`))
        .map((name) => ({ path: [section, name], message: `${kind} "${name}" is not used by any ${what}` }));
    return [
      ...unused('trust store', 'trustStores', 'upstream'),
      ...unused('client certificate', 'clientCertificates', 'upstream'),
      ...unused('upstream', 'upstreams', 'route'),
    ];
  },
};
