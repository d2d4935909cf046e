/**
 * table.ts: Maglev tables as Cilium builds them, for TypeScript: backend specs, hash strings,
 * table building, removal disruption and the packet-side lookup. The algorithm itself runs in
 * C (native/src/maglev.c, maglev_hash.c) through the addon, one call per table.
 */
import { addon, type MaglevBackendDesc } from '../native.js';
import { ipBytes, isIPv6Text } from '../packet/addr.js';

/** Cilium's default maglev.hashSeed and maglev.tableSize. */
export const DEFAULT_MAGLEV_SEED = 'JLfvgnHc2kaSUFaI';
export const DEFAULT_MAGLEV_SIZE = 16381;
export const MAGLEV_TABLE_SIZES = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071] as const;

export type MaglevProto = 'TCP' | 'UDP' | 'SCTP' | 'ANY' | 'NONE';
const L4: Record<MaglevProto, number> = { NONE: 0, ANY: 1, TCP: 2, UDP: 3, SCTP: 4 };

export interface MaglevBackend {
  addr: string;
  port: number;
  proto?: MaglevProto;
  /** Cilium's Backend.Weight; Kubernetes' default is 100. */
  weight?: number;
  /** Cluster Mesh cluster ID (0: local). */
  clusterId?: number;
  /** Internal-scope backend ("/i" in the hash string). */
  internal?: boolean;
  /** The caller's backend id (kept as is in the output). */
  id?: number;
}

/** Parses `ADDR:PORT[/PROTO][,weight=N][,cluster=ID][,internal]` (IPv6 in brackets). */
export function parseBackendSpec(spec: string): MaglevBackend {
  const [main, ...opts] = spec.split(',');
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})(?:\/(TCP|UDP|SCTP|tcp|udp|sctp))?$/.exec(main ?? '');
  if (!m) throw new Error(`backend '${spec}': expected ADDR:PORT[/PROTO][,weight=N][,cluster=ID][,internal] (IPv6 in brackets)`);
  const addr = (m[1] ?? m[2])!;
  try {
    ipBytes(addr);
  } catch {
    throw new Error(`backend '${spec}': '${addr}' is not an IP address`);
  }
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`backend '${spec}': port ${port} is not 1..65535`);
  const b: MaglevBackend = { addr, port, proto: (m[4]?.toUpperCase() as MaglevProto | undefined) ?? 'TCP', weight: 100 };
  for (const o of opts) {
    const [k, v] = o.split('=');
    if (k === 'internal' && v === undefined) b.internal = true;
    else if (k === 'weight' && v !== undefined && /^\d+$/.test(v) && Number(v) <= 65535) b.weight = Number(v);
    else if (k === 'cluster' && v !== undefined && /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 255) b.clusterId = Number(v);
    else throw new Error(`backend '${spec}': unknown or bad option '${o}' (allowed: weight=0..65535, cluster=1..255, internal)`);
  }
  return b;
}

export function backendText(b: MaglevBackend): string {
  const a = isIPv6Text(b.addr) ? `[${b.addr}]` : b.addr;
  return `${a}:${b.port}/${b.proto ?? 'TCP'}`;
}

function descOf(b: MaglevBackend): MaglevBackendDesc {
  const v6 = isIPv6Text(b.addr);
  return { family: v6 ? 6 : 4, addr: Buffer.from(ipBytes(b.addr)), port: b.port, l4: L4[b.proto ?? 'TCP'], clusterId: b.clusterId ?? 0, internal: !!b.internal };
}

/** The exact string Cilium hashes for a backend (pkg/maglev: BackendInfo hash string). */
export function maglevHashString(b: MaglevBackend): string {
  return addon().maglevHashString(descOf(b));
}

/** Hash strings of many backends in one addon call. */
export function maglevHashStrings(bs: MaglevBackend[]): string[] {
  return addon().maglevHashString(bs.map(descOf));
}

export interface MaglevSeed {
  murmur: number;
  jhash0: number;
  jhash1: number;
}

/** Decodes maglev.hashSeed; throws with Cilium's rule in the message when it is not 12 bytes of base64. */
export function maglevSeed(b64: string): MaglevSeed {
  return addon().maglevSeed(b64);
}

export interface MaglevTable {
  size: number;
  seed: string;
  weightsUsed: boolean;
  /** Backends in Cilium's order (sorted by hash string). */
  backends: (MaglevBackend & { hashString: string; slots: number; offset: number; skip: number })[];
  /** table[k]: index into `backends` of slot k's owner. */
  table: Uint32Array;
}

/** Builds the table Cilium builds for these backends, seed and size. */
export function buildMaglevTable(backends: MaglevBackend[], seed = DEFAULT_MAGLEV_SEED, size = DEFAULT_MAGLEV_SIZE): MaglevTable {
  if (!(MAGLEV_TABLE_SIZES as readonly number[]).includes(size))
    throw new Error(`maglev.tableSize ${size} is not supported: must be one of ${MAGLEV_TABLE_SIZES.join(', ')}`);
  const s = maglevSeed(seed);
  const strings = maglevHashStrings(backends);
  const built = addon().maglevBuild(strings, backends.map((b) => b.weight ?? 100), size, s.murmur);
  const counts = built.counts;
  const sorted = Array.from(built.order, (inputIdx, i) => ({
    ...backends[inputIdx]!,
    hashString: strings[inputIdx]!,
    slots: counts[i]!,
    offset: built.offset[i]!,
    skip: built.skip[i]!,
  }));
  return { size, seed, weightsUsed: built.weightsUsed, backends: sorted, table: built.table };
}

/** Slots whose owner changes when `removed` (a hash string) leaves the backend set. */
export function maglevDisruption(before: MaglevTable, after: MaglevTable): { moved: number; ownedByRemoved: number; collateral: number } {
  let moved = 0;
  let owned = 0;
  const afterNames = new Set(after.backends.map((b) => b.hashString));
  for (let k = 0; k < before.size; k++) {
    const a = before.backends[before.table[k]!]!.hashString;
    const b = after.backends[after.table[k]!]!.hashString;
    if (a !== b) {
      moved++;
      if (!afterNames.has(a)) owned++;
    }
  }
  return { moved, ownedByRemoved: owned, collateral: moved - owned };
}

export interface MaglevFlow {
  src: string;
  sport: number;
  dport: number;
  /** IP protocol number (6 TCP, 17 UDP). */
  proto: number;
  affinity?: boolean;
}

/** The packet-side hash (bpf/lib/lb.h lb4/lb6_select_backend_id_maglev) and the slot it picks. */
export function maglevLookup(t: MaglevTable, flow: MaglevFlow, hashVersion = 0): { hash: number; slot: number; backend: number } {
  const s = maglevSeed(t.seed);
  const v6 = isIPv6Text(flow.src);
  const hash = addon().maglevPacketHash(v6 ? 6 : 4, Buffer.from(ipBytes(flow.src)), flow.sport, flow.dport, flow.proto, !!flow.affinity, hashVersion, v6 ? s.jhash1 : s.jhash0);
  const slot = hash % t.size;
  return { hash, slot, backend: t.table[slot]! };
}
