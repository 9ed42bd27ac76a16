import type { KeyObject } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { CertSource } from './verdict.js';

/** Certificates and keys the spec names, read once and shared by every later stage. */
export interface Material {
  trustStores: Map<string, CertSource[]>;
  crls: Map<string, CertSource[]>;
  clientCertificates: Map<string, KeyPair>;
  listeners: Map<number, KeyPair>;
  presentedChains: Map<string, CertSource[]>;
}

export interface KeyPair {
  certs: CertSource[];
  certFile: string;
  keyFile: string;
  passwordFile?: string;
  /** Parsed only to check it matches; never written or printed. */
  key?: KeyObject;
  /** The key (or its passphrase) lives on the gateway host: only the certificate is checked here. */
  onHost?: boolean;
}

export function resolvePath(specDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(specDir, p);
}

/** The modules `runtime.flavor: nginx` loads (plan.ts writes their load_module lines). */
export const MODULE_FILES = ['ndk_http_module.so', 'ngx_http_lua_module.so'];
