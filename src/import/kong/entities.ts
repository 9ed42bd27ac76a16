import { show } from '../../text/show.js';
import type { Findings } from './findings.js';
import { Fields, isRecord, type Entity } from './fields.js';

/** The Kong entities gwctl maps, with their foreign keys resolved. */
export interface KongEntities {
  services: Entity[];
  /** Every route, nested or top-level, with the service it belongs to (undefined: none). */
  routes: { route: Entity; service?: Entity }[];
  upstreams: Entity[];
  /** Targets per upstream, nested or top-level. */
  targets: Map<Entity, Entity[]>;
  certificates: Map<string, Entity>;
  caCertificates: Map<string, Entity>;
  /** Plugins wherever they are: listed as not mapped. */
  plugins: Entity[];
}

/** Top-level keys that are metadata for Kong or decK, not configuration. */
const META_KEYS = new Set(['_format_version', '_transform', '_info', '_workspace', '_comment', '_ignore', '_konnect']);
const MAPPED_KEYS = new Set([
  'services',
  'routes',
  'upstreams',
  'targets',
  'certificates',
  'ca_certificates',
  'plugins',
]);

/**
 * Collects entities in both forms decK and Kong write: nested (routes under services, targets
 * under upstreams) and top-level with a foreign key, given as the other entity's name or id,
 * either as plain text (`service: orders`, Kong's own format) or as a map (`service: {name: orders}`
 * or `{id: ...}`, what decK dumps).
 */
export function collectEntities(root: Entity, findings: Findings): KongEntities {
  const f = new Fields(findings);
  for (const key of Object.keys(root.data)) {
    if (META_KEYS.has(key) || MAPPED_KEYS.has(key)) continue;
    const v = root.data[key];
    const count = Array.isArray(v) ? ` (${v.length})` : '';
    findings.notMapped(
      [key],
      `${key}${count}: gwctl has no equivalent of Kong's ${key.replace(/_/g, ' ')}; not imported`,
    );
  }
  const info = root.data._info;
  if (isRecord(info) && isRecord(info.defaults) && Object.keys(info.defaults).length)
    findings.notMapped(
      ['_info', 'defaults'],
      '_info.defaults: decK fills these into every entity when it syncs; the import reads the entities as written, without them (run `deck file render` first to apply them)',
    );
  const services = f.entities(root, 'services');
  const upstreams = f.entities(root, 'upstreams');
  const plugins = f.entities(root, 'plugins');
  const serviceIndex = index(services, f, 'name');
  const upstreamIndex = index(upstreams, f, 'name');

  const routes: KongEntities['routes'] = [];
  for (const service of services) {
    for (const route of f.entities(service, 'routes')) {
      if (route.data.service !== undefined && route.data.service !== null)
        findings.warn(
          'kong.differs',
          'a route nested under a service takes that service; its own service field is ignored',
          [...route.path, 'service'],
        );
      routes.push({ route, service });
      plugins.push(...f.entities(route, 'plugins'));
    }
    plugins.push(...f.entities(service, 'plugins'));
  }
  for (const route of f.entities(root, 'routes')) {
    routes.push({ route, service: resolveRef(route, 'service', serviceIndex, findings) });
    plugins.push(...f.entities(route, 'plugins'));
  }

  const targets = new Map<Entity, Entity[]>(upstreams.map((u) => [u, f.entities(u, 'targets')]));
  for (const target of f.entities(root, 'targets')) {
    const up = resolveRef(target, 'upstream', upstreamIndex, findings);
    if (up) targets.get(up)!.push(target);
    else if (target.data.upstream === undefined || target.data.upstream === null)
      findings.error(
        'kong.reference',
        'a top-level target needs its upstream (upstream: NAME or {name: NAME})',
        target.path,
      );
  }
  for (const consumer of f.entities(root, 'consumers')) plugins.push(...f.entities(consumer, 'plugins'));

  const certificates = byId(f.entities(root, 'certificates'), f, findings, 'certificates');
  const caCertificates = byId(f.entities(root, 'ca_certificates'), f, findings, 'ca_certificates');
  return { services, routes, upstreams, targets, certificates, caCertificates, plugins };
}

/** name → entity and id → entity. */
function index(entities: Entity[], f: Fields, nameKey: string): Map<string, Entity> {
  const m = new Map<string, Entity>();
  for (const e of entities) {
    const id = f.str(e, 'id');
    const name = f.str(e, nameKey);
    if (id !== undefined) m.set(`id:${id.toLowerCase()}`, e);
    if (name !== undefined) m.set(`name:${name}`, e);
  }
  return m;
}

function byId(entities: Entity[], f: Fields, findings: Findings, kind: string): Map<string, Entity> {
  const m = new Map<string, Entity>();
  entities.forEach((e, i) => {
    const id = f.str(e, 'id');
    // Without an id nothing can name it: kept under its position, to be listed as unused.
    if (id === undefined) {
      m.set(`#${i + 1}`, e);
      return;
    }
    if (m.has(id.toLowerCase()))
      findings.error('kong.invalid', `${kind}: the id ${show(id)} is used twice`, [...e.path, 'id']);
    m.set(id.toLowerCase(), e);
  });
  return m;
}

/** Resolves `key: NAME-OR-ID`, `key: {name: ...}` or `key: {id: ...}`; an error when it names nothing. */
export function resolveRef(
  e: Entity,
  key: string,
  targets: Map<string, Entity>,
  findings: Findings,
): Entity | undefined {
  const v = e.data[key];
  if (v === undefined || v === null) return undefined;
  let wanted: { id?: string; name?: string };
  if (typeof v === 'string') wanted = { id: v, name: v };
  else if (isRecord(v) && (typeof v.id === 'string' || typeof v.name === 'string'))
    wanted = { id: typeof v.id === 'string' ? v.id : undefined, name: typeof v.name === 'string' ? v.name : undefined };
  else {
    findings.error('kong.invalid', `${key}: expected a name or id, or a map with name or id, not ${show(v)}`, [
      ...e.path,
      key,
    ]);
    return undefined;
  }
  const found =
    (wanted.id !== undefined ? targets.get(`id:${wanted.id.toLowerCase()}`) : undefined) ??
    (wanted.name !== undefined ? targets.get(`name:${wanted.name}`) : undefined);
  if (!found)
    findings.error(
      'kong.reference',
      `${key} ${show(wanted.name ?? wanted.id)}: no ${key} with that ${wanted.name !== undefined && wanted.id !== undefined ? 'name or id' : wanted.name !== undefined ? 'name' : 'id'} in this file`,
      [...e.path, key],
    );
  return found;
}
