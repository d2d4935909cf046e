/**
 * pcapng-writer.ts: builds pcapng files (SHB, IDB with if_tsresol/if_tsoffset, EPB, SPB) in
 * either byte order. dsrlab writes classic pcap for its outputs; this writer exists so tests
 * and fixtures can produce every pcapng shape the reader must accept.
 */

export interface PcapngInterface {
  linktype: number;
  snaplen?: number;
  /** if_tsresol byte: 6 = microseconds (default), 9 = nanoseconds, 0x80|n = 2^-n. */
  tsresol?: number;
  /** if_tsoffset, seconds added to every timestamp. */
  tsoffset?: bigint;
  name?: string;
}

export interface PcapngPacket {
  iface?: number;
  /** Timestamp in whole seconds + nanoseconds; converted to the interface's units. */
  ts: { sec: number; nsec: number };
  data: Uint8Array;
  origlen?: number;
  /** 'spb' writes a Simple Packet Block (interface 0, no timestamp). */
  block?: 'epb' | 'spb';
  comment?: string;
}

export interface PcapngSection {
  bigEndian?: boolean;
  interfaces: PcapngInterface[];
  packets: PcapngPacket[];
  /** Extra blocks of unknown type to make readers skip them. */
  junkBlocks?: boolean;
}

class Out {
  parts: Buffer[] = [];
  constructor(private be: boolean) {}
  u16(v: number): Buffer {
    const b = Buffer.alloc(2);
    if (this.be) b.writeUInt16BE(v);
    else b.writeUInt16LE(v);
    return b;
  }
  u32(v: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.be) b.writeUInt32BE(v >>> 0);
    else b.writeUInt32LE(v >>> 0);
    return b;
  }
  u64(v: bigint): Buffer {
    const b = Buffer.alloc(8);
    if (this.be) b.writeBigUInt64BE(BigInt.asUintN(64, v));
    else b.writeBigUInt64LE(BigInt.asUintN(64, v));
    return b;
  }
  option(code: number, value: Uint8Array): Buffer {
    const pad = (4 - (value.length % 4)) % 4;
    return Buffer.concat([this.u16(code), this.u16(value.length), Buffer.from(value), Buffer.alloc(pad)]);
  }
  block(type: number, body: Buffer): void {
    const len = 12 + body.length;
    this.parts.push(this.u32(type), this.u32(len), body, this.u32(len));
  }
}

function pad4(b: Uint8Array): Buffer {
  const pad = (4 - (b.length % 4)) % 4;
  return Buffer.concat([Buffer.from(b), Buffer.alloc(pad)]);
}

/** Timestamp in interface units: (sec - tsoffset) * units + fraction, exact in bigint. */
function tsUnits(ts: { sec: number; nsec: number }, resol: number, offset: bigint): bigint {
  const sec = BigInt(ts.sec) - offset;
  if (resol & 0x80) {
    const n = BigInt(resol & 0x7f);
    return (sec << n) + ((BigInt(ts.nsec) << n) / 1_000_000_000n);
  }
  const per = 10n ** BigInt(resol);
  return sec * per + (BigInt(ts.nsec) * per) / 1_000_000_000n;
}

export function pcapngBytes(sections: PcapngSection[]): Buffer {
  const all: Buffer[] = [];
  for (const s of sections) {
    const o = new Out(!!s.bigEndian);
    // SHB: byte-order magic, version 1.0, section length -1 (unknown).
    o.block(0x0a0d0d0a, Buffer.concat([o.u32(0x1a2b3c4d), o.u16(1), o.u16(0), o.u64(-1n), o.option(0, new Uint8Array(0))]));
    for (const itf of s.interfaces) {
      const opts: Buffer[] = [];
      if (itf.name) opts.push(o.option(2, Buffer.from(itf.name)));
      if (itf.tsresol !== undefined) opts.push(o.option(9, Uint8Array.of(itf.tsresol)));
      if (itf.tsoffset !== undefined) opts.push(o.option(14, o.u64(itf.tsoffset)));
      if (opts.length) opts.push(o.option(0, new Uint8Array(0)));
      o.block(1, Buffer.concat([o.u16(itf.linktype), o.u16(0), o.u32(itf.snaplen ?? 0), ...opts]));
    }
    if (s.junkBlocks) o.block(0x00000bad, Buffer.from('custom block body...'.padEnd(20, '.')));
    for (const p of s.packets) {
      if (p.block === 'spb') {
        o.block(3, Buffer.concat([o.u32(p.origlen ?? p.data.length), pad4(p.data)]));
        continue;
      }
      const iface = p.iface ?? 0;
      const itf = s.interfaces[iface];
      const t = tsUnits(p.ts, itf?.tsresol ?? 6, itf?.tsoffset ?? 0n);
      const opts = p.comment ? Buffer.concat([o.option(1, Buffer.from(p.comment)), o.option(0, new Uint8Array(0))]) : Buffer.alloc(0);
      o.block(6, Buffer.concat([o.u32(iface), o.u32(Number(t >> 32n)), o.u32(Number(t & 0xffffffffn)), o.u32(p.data.length), o.u32(p.origlen ?? p.data.length), pad4(p.data), opts]));
      if (s.junkBlocks) o.block(5, Buffer.concat([o.u32(iface), o.u32(0), o.u32(0)]));
    }
    all.push(...o.parts);
  }
  return Buffer.concat(all);
}
