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

export interface DsrlabAddon {
  CapReader: new () => NativeCapReader;
  CapInfo: new () => NativeCapInfo;
  /** Parses each packet of a batch; returns one object per packet (tests and explain only). */
  parsePackets(buf: Buffer, index: Float64Array, count: number): ParsedPacket[];
  /** Verifies checksums of each packet of a batch: bitmask per packet (1 = IPv4 header bad, 2 = L4 bad, 4 = L4 not verifiable). */
  checkChecksums(buf: Buffer, index: Float64Array, count: number): Uint8Array;
  /** A copy of frame with bytes (2 or 4) written at an even offset, checksums updated incrementally (RFC 1624). */
  csumUpdateField(frame: Buffer, off: number, bytes: Buffer): Buffer;
  maglevSeed(b64: string): { murmur: number; jhash0: number; jhash1: number };
  maglevHashString(b: { family: number; addr: Buffer; port: number; l4: number; clusterId: number; internal: boolean }): string;
  maglevBuild(hashStrings: string[], weights: number[], m: number, seedMurmur: number): { table: Uint32Array; order: Uint32Array; offset: Uint32Array; skip: Uint32Array; weightsUsed: boolean };
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
