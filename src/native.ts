/**
 * native.ts: loads the addon (build/Release/dsrlab.node, built by cmake-js or node-gyp from
 * native/) and types what it exports. Every call crosses the Node-API boundary once per batch.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Status codes of CapReader.feed, mirroring DL_CAP_* in native/include/dsrlab/capture.h. */
export const CAP_OK = 0;
export const CAP_NEED_MORE = 1;
export const CAP_END = 2;
export const CAP_ERR = -1;

/** Fields per record in the index a CapReader fills (see native/addon/capture.cc). */
export const REC_FIELDS = 8;
export const REC = { BUF_OFF: 0, CAPLEN: 1, ORIGLEN: 2, IFACE: 3, LINKTYPE: 4, TS_SEC: 5, TS_NSEC: 6, FILE_OFF: 7 } as const;

export interface FeedResult {
  status: number;
  /** Records written into the index. */
  count: number;
  /** Bytes of the buffer consumed. */
  consumed: number;
  /** On CAP_NEED_MORE: bytes the next unit needs. */
  need: number;
  /** On CAP_ERR. */
  error?: string;
  errorOffset?: number;
}

export interface NativeCapReader {
  /** Parses complete records of buf[0..len), which starts at fileOffset; index gets REC_FIELDS per record. */
  feed(buf: Buffer, len: number, fileOffset: number, eof: boolean, index: Float64Array): FeedResult;
  /** What the file header said: format, byte order, nanosecond, snaplen, link type, interfaces. */
  header(): { format: 'pcap' | 'pcapng'; bigEndian: boolean; nanosecond: boolean; snaplen: number; linktype: number; interfaces: { linktype: number; snaplen: number }[]; sections: number };
}

/** Per-capture statistics accumulated in C (native/src/capinfo.c). */
export interface NativeCapInfo {
  add(buf: Buffer, index: Float64Array, count: number): void;
  result(): Record<string, number | number[] | { packet: number; reason: string }[]>;
}

export interface ParsedPacket {
  ok: boolean;
  error?: string;
  errorOffset?: number;
  [field: string]: unknown;
}

/** maglevSeed(): the three words of maglev.hashSeed (native/addon/maglev.cc). */
export interface NativeMaglevSeed {
  murmur: number;
  jhash0: number;
  jhash1: number;
}

/** A backend as Cilium's Maglev hash string sees it. `l4`: 0 none, 1 any, 2 TCP, 3 UDP, 4 SCTP. */
export interface NativeMaglevBackendDesc {
  family: 4 | 6;
  addr: Buffer;
  port: number;
  l4: number;
  clusterId: number;
  internal: boolean;
}

/** maglevBuild(): `table[k]` indexes the backends sorted by hash string; `order[i]` maps sorted i → input index. */
export interface NativeMaglevTable {
  table: Uint32Array;
  order: Uint32Array;
  offset: Uint32Array;
  skip: Uint32Array;
  /** counts[i]: slots owned by sorted backend i. */
  counts: Uint32Array;
  weightsUsed: boolean;
}

/**
 * The configuration `new Cluster()` takes (native/addon/cluster.cc, struct dl_cluster_config in
 * native/include/dsrlab/cluster.h). Enums are the C numbers; src/datapath/config.ts builds it.
 */
export interface NativeClusterConfig {
  /** 0 snat, 1 dsr, 2 hybrid. */
  mode: number;
  /** 0 opt, 1 ipip, 2 geneve. */
  dispatch: number;
  /** 0 disabled, 1 native, 2 best-effort. */
  accel: number;
  rejectNoBackend: boolean;
  pmtuDiscovery: boolean;
  externalClusterIP: boolean;
  natPortMin: number;
  natPortMax: number;
  profile: {
    /** 0 v1.15-era, 1 recent main. */
    era: number;
    /** 0 legacy (byte-swapped), 1 network order. */
    optOrder: number;
    perServiceFwdMode: boolean;
    snatClampClosed: boolean;
    snatRetries: number;
    /** 0 current, 1 pre-#37353, 2 legacy. */
    maglevHash: number;
    /** Recent main: ICMP to a service address is DROP_UNSUPP_SERVICE_PROTO. */
    icmpToVipDrop?: boolean;
    /** 1.18+: IPv6 fragments tracked (cilium_ipv6_frag_datagrams); before, DROP_FRAG_NOSUPPORT. */
    ipv6FragTracking?: boolean;
  };
  ct: { syn: number; tcp: number; close: number; any: number; serviceTcp: number; serviceAny: number; rebalance: number };
  lb: { maxServices: number; maglevM: number; seedJhash0: number; seedJhash1: number; defaultAlgorithm: number };
  ctTcpMax: number;
  ctAnyMax: number;
  natMax: number;
  fragMax: number;
  seed: number;
  /** 0 none, 1 echo, 2 capture. */
  responder: number;
  /** DL_FAULT_* bits (src/datapath/faults.ts): test-only planted faults; absent or 0 otherwise. */
  faults?: number;
}

/** cluster.addHost(): kind 0 client, 1 node, 2 pod; `node` is the pod's node host id. */
export interface NativeHostConfig {
  kind: number;
  name: string;
  mac: Buffer;
  v4?: Buffer;
  v6?: Buffer;
  mtu: number;
  node?: number;
}

export interface NativeFrontendRoute {
  family: 4 | 6;
  addr: Buffer;
  /** A node's host id, or -1 for ECMP over all nodes. */
  node: number;
}

/** A backend map entry; `flags` 0 active, 1 terminating, 2 quarantined, 3 maintenance; `host` the pod's host id. */
export interface NativeBackend {
  family: 4 | 6;
  addr: Buffer;
  port: number;
  proto: number;
  flags: number;
  clusterId: number;
  zone: number;
  host?: number;
}

/** A service map key: `scope` 0 external, 1 internal. */
export interface NativeServiceKey {
  family: 4 | 6;
  addr: Buffer;
  port: number;
  proto: number;
  scope: number;
}

/** A service master entry: SVC_FLAG_* flags and flags2; algorithm 0 default, 1 random, 2 maglev. */
export interface NativeService {
  revNatIndex: number;
  flags: number;
  flags2: number;
  algorithm: number;
  affinityTimeout: number;
}

/** What one cluster.run() produced: 64-byte events (struct dl_event) and the frames they point into. */
export interface NativeRunResult {
  processed: number;
  full: boolean;
  events: Buffer;
  arena: Buffer;
}

/** The emulated cluster (native/src/cluster.c); setup calls throw on bad input. */
export interface NativeCluster {
  addHost(host: NativeHostConfig): number;
  setDefaultHost(host: number): void;
  addFrontendRoute(route: NativeFrontendRoute): void;
  addBackend(node: number, id: number, backend: NativeBackend): void;
  addService(node: number, key: NativeServiceKey, svc: NativeService, slots: Uint32Array, lut?: Uint32Array): void;
  run(
    buf: Buffer,
    index: Float64Array,
    count: number,
    hosts: Uint32Array,
    server: Uint8Array,
    ids: Uint32Array,
    maxEvents: number,
    arenaBytes: number,
  ): NativeRunResult;
  /** A node's map pressure (native/src/cluster_stats.c); null for a host that is no node. */
  mapStats(node: number): NativeNodeMapStats | null;
  /** Frees the emulated cluster now (not at garbage collection); any later call throws. */
  close(): void;
}

/** One Cilium map on one node: capacity, live entries, LRU evictions (and refused inserts). */
export interface NativeMapStats {
  maxEntries: number;
  entries: number;
  evictions: number;
  full: number;
}

/** cluster.mapStats(): per map by Cilium's map name, and SNAT/CT failure counts. */
export interface NativeNodeMapStats {
  maps: Record<string, NativeMapStats>;
  snatNoMapping: number;
  ctCreateFailed: number;
}

/** An address the replay sink knows: IP family, its 4 or 16 bytes. */
export type NativeAddress = [family: 4 | 6, bytes: Buffer];

/**
 * The JSON fragments flows.jsonl lines are assembled from in C (native/src/replay_flows.c),
 * each what flowRecord() (src/datapath/flow-record.ts) prints for that part.
 */
export interface NativeFlowNames {
  /** By host id: `"node_name":…,"host":…,"host_kind":…,` and `"peer":…,`. */
  hosts: [record: string, peer: string][];
  /** By dl_point value (0 unused): `"trace_observation_point":…,"point":…,`. */
  points: string[];
  /** By dl_verdict value: `"verdict":…,"action":…,`. */
  verdicts: string[];
  /** By positive drop code: `"drop_reason_desc":…,"drop_reason_name":…,"drop_reason_text":…,`. */
  drops: [code: number, fragment: string][];
  /** By backend id: `{"id":…,"pod":…,"address":…,"port":…}`. */
  backends: [id: number, fragment: string][];
}

/** new ReplaySink(cluster, config) (native/addon/replay.cc, native/include/dsrlab/replay_sink.h). */
export interface NativeReplaySinkConfig {
  hosts: number;
  /** Sender of packets from no host's address. */
  world: number;
  /** responder=capture: IP packets from a frontend are the server's; replies are compared. */
  captureResponder: boolean;
  pcaps: boolean;
  flows: boolean;
  /** Copy every cluster run's events and arena out (ReplayOptions.onRun). */
  keepRuns?: boolean;
  maxEvents: number;
  arenaBytes: number;
  chunkPackets?: number;
  flushBytes?: number;
  nodes: number[];
  addresses: [...NativeAddress, host: number][];
  frontends: NativeAddress[];
  names?: NativeFlowNames;
}

/** What one ReplaySink.run() call produced. */
export interface NativeReplayRunResult {
  /** 0 the batch is done, 1 the outputs filled up (write them and call again), < 0 an error. */
  status: number;
  /** Packets of the batch done so far. */
  done: number;
  /** pcap records of every capture point back to back; pointLengths[p] bytes belong to point p (2 × host: wire, 2 × host + 1: tcpdump). */
  pcap?: Buffer;
  pointLengths?: Float64Array;
  /** flows.jsonl text. */
  flows?: Buffer;
  /** With keepRuns: every cluster run's events and arena (`first`: the batch index of its first packet). */
  runs?: { events: Buffer; arena: Buffer; first: number; processed: number }[];
  /**
   * status < 0: code (DL_SINK_E*), packet, field/value (a bad event; -6, a failed write: the
   * output and the errno, with its text in message), tsSec (a time Date cannot show).
   */
  error?: { code: number; packet: number; field: number; value: number; tsSec: number; message?: string };
}

/** ReplaySink.result(): the summary's numbers; table rows are (key, key, key, count) in first-occurrence order. */
export interface NativeReplayResult {
  totals: Float64Array;
  tables: Float64Array[];
  /** Flow groups: (n, backend × n, flows) back to back. */
  groups: Float64Array;
  mismatches: { packet: number; kind: number; l4Off?: number; l4Proto?: number; expected?: Buffer; got?: Buffer }[];
}

/** `dsrlab replay`'s hot path in C: senders, the cluster runs, outputs and counters. */
export interface NativeReplaySink {
  /** Starts a batch; returns the sender picked for each packet and which are server packets. */
  begin(buf: Buffer, index: Float64Array, count: number, firstId: number): { senders: Uint32Array; servers: Uint8Array };
  /** Runs the batch on; the outputs come back in the result unless openOutput sent them to files. */
  run(): NativeReplayRunResult;
  /**
   * From now on the outputs go to these files (one fd per capture point, then flows.jsonl; -1
   * none), written by a thread of the sink's own while the batches run. Keep the fds open
   * until closeOutput.
   */
  openOutput(fds: Int32Array): void;
  /** Writes what is left and ends the writer; a failed write (output: its index in fds). */
  closeOutput(): { output: number; errno: number; message: string } | null;
  result(): NativeReplayResult;
}

/** A backend as the Maglev hash-string formatter takes it (native/addon/maglev.cc). */
export interface MaglevBackendDesc {
  family: number;
  addr: Buffer;
  port: number;
  l4: number;
  clusterId: number;
  internal: boolean;
}

export interface DsrlabAddon {
  Cluster: new (config: NativeClusterConfig) => NativeCluster;
  ReplaySink: new (cluster: NativeCluster, config: NativeReplaySinkConfig) => NativeReplaySink;
  /** Index of the first packet whose IP source is one of addrs (17 bytes each: family, 16 address bytes), or -1. */
  replayFirstFrom(buf: Buffer, index: Float64Array, count: number, addrs: Buffer): number;
  maglevSeed(b64: string): NativeMaglevSeed;
  maglevHashString(backend: NativeMaglevBackendDesc): string;
  maglevBuild(hashStrings: string[], weights: number[], m: number, seedMurmur: number): NativeMaglevTable;
  /** The Maglev hash of a packet; version 0 current, 1 pre-#37353, 2 legacy. */
  maglevPacketHash(family: 4 | 6, saddr: Buffer, clientPort: number, servicePort: number, proto: number, affinity: boolean, version: number, seed: number): number;
  CapReader: new () => NativeCapReader;
  CapInfo: new () => NativeCapInfo;
  /** Parses each packet of a batch; returns one object per packet (tests and explain only). */
  parsePackets(buf: Buffer, index: Float64Array, count: number): ParsedPacket[];
  /** Verifies checksums of each packet of a batch: bitmask per packet (1 = IPv4 header bad, 2 = L4 bad, 4 = L4 not verifiable). */
  checkChecksums(buf: Buffer, index: Float64Array, count: number): Uint8Array;
  /** A copy of frame with bytes (2 or 4) written at an even offset, checksums updated incrementally (RFC 1624). */
  csumUpdateField(frame: Buffer, off: number, bytes: Buffer): Buffer;
  maglevSeed(b64: string): { murmur: number; jhash0: number; jhash1: number };
  maglevHashString(b: MaglevBackendDesc): string;
  maglevHashString(b: MaglevBackendDesc[]): string[];
  maglevBuild(hashStrings: string[], weights: number[], m: number, seedMurmur: number): { table: Uint32Array; order: Uint32Array; offset: Uint32Array; skip: Uint32Array; counts: Uint32Array; weightsUsed: boolean };
  maglevPacketHash(family: number, saddr: Buffer, clientPort: number, servicePort: number, proto: number, affinity: boolean, version: number, seed: number): number;
  /** Recomputes every checksum of each packet in place. */
  fixChecksums(buf: Buffer, index: Float64Array, count: number): void;
}

function findAddon(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const p = join(dir, 'build', 'Release', 'dsrlab.node');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error('dsrlab: the native addon build/Release/dsrlab.node is missing; run `npm run build` (needs cmake and a C compiler)');
}

let cached: DsrlabAddon | undefined;

export function addon(): DsrlabAddon {
  if (!cached) cached = createRequire(import.meta.url)(findAddon()) as DsrlabAddon;
  return cached;
}
