import { request } from './upstream.js';

export interface PeerStatus {
  server: string;
  address: string;
  healthy: boolean;
  lastError: string | null;
}

export interface GatewayStatus {
  upstreams: Record<string, { checked: boolean; peers: PeerStatus[] }>;
}

/** GET /status on a gateway's status listener, parsed. */
export async function getStatus(port: number): Promise<GatewayStatus> {
  const r = await request(port, '/status');
  if (r.status !== 200) throw new Error(`GET /status answered ${r.status}: ${r.body}`);
  return JSON.parse(r.body) as GatewayStatus;
}

/** The status of one peer, by its server text as the spec wrote it. */
export async function peerStatus(port: number, upstream: string, server: string): Promise<PeerStatus> {
  const peer = (await getStatus(port)).upstreams[upstream]?.peers.find((p) => p.server === server);
  if (!peer) throw new Error(`/status has no peer ${server} in upstream ${upstream}`);
  return peer;
}

/** Polls `probe` until it returns a value other than undefined; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
