/**
 * parse.ts: TypeScript access to the C codec (native/src/codec.c) for whole lists of packets:
 * they are packed into one Buffer + index and parsed in one addon call. Used by tests, explain
 * and the testing kit; the datapath itself never comes back to TypeScript per packet.
 */
import { addon, REC, REC_FIELDS, type ParsedPacket } from '../native.js';

export const LINKTYPE_ETHERNET = 1;

/** Packs packets into one Buffer and a record index, the shape every batch call takes. */
export function packBatch(packets: Uint8Array[], linktype = LINKTYPE_ETHERNET): { data: Buffer; index: Float64Array; count: number } {
  const total = packets.reduce((n, p) => n + p.length, 0);
  const data = Buffer.alloc(total);
  const index = new Float64Array(packets.length * REC_FIELDS);
  let off = 0;
  packets.forEach((p, i) => {
    data.set(p, off);
    const o = i * REC_FIELDS;
    index[o + REC.BUF_OFF] = off;
    index[o + REC.CAPLEN] = p.length;
    index[o + REC.ORIGLEN] = p.length;
    index[o + REC.LINKTYPE] = linktype;
    off += p.length;
  });
  return { data, index, count: packets.length };
}

export function parsePackets(packets: Uint8Array[], linktype = LINKTYPE_ETHERNET): ParsedPacket[] {
  const b = packBatch(packets, linktype);
  return addon().parsePackets(b.data, b.index, b.count);
}

export const CSUM_IPV4_BAD = 1;
export const CSUM_L4_BAD = 2;
export const CSUM_L4_UNVERIFIABLE = 4;

/** Checksum status per packet: 0 when every checksum present is valid (see CSUM_*). */
export function checkChecksums(packets: Uint8Array[], linktype = LINKTYPE_ETHERNET): number[] {
  const b = packBatch(packets, linktype);
  return Array.from(addon().checkChecksums(b.data, b.index, b.count));
}
