/**
 * pcap-writer.ts: writes classic pcap (little-endian, microsecond or nanosecond) to a file
 * descriptor through a buffer, so large outputs stream instead of sitting in memory.
 * Reading is in reader.ts (the C reader in native/src/capture.c does the parsing).
 */
import { openSync, writeSync, closeSync } from 'node:fs';

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;

export interface PcapWriterOptions {
  linktype?: number;
  snaplen?: number;
  /** Nanosecond timestamps (magic a1b23c4d); default microseconds. */
  nanosecond?: boolean;
  /** Bytes buffered before a write(2). */
  bufferSize?: number;
}

/** A timestamp as whole seconds plus nanoseconds, exact for any capture time. */
export interface Timestamp {
  sec: number;
  nsec: number;
}

/** The 24-byte classic pcap file header. */
export function pcapFileHeader(opts: PcapWriterOptions = {}): Uint8Array {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(opts.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(opts.snaplen ?? 262144, 16);
  b.writeUInt32LE(opts.linktype ?? LINKTYPE_ETHERNET, 20);
  return b;
}

export class PcapWriter {
  private fd: number;
  private buf: Buffer;
  private used = 0;
  private readonly nsec: boolean;
  packets = 0;
  bytes = 0;

  constructor(path: string, opts: PcapWriterOptions = {}) {
    this.fd = openSync(path, 'w');
    this.nsec = !!opts.nanosecond;
    this.buf = Buffer.allocUnsafe(opts.bufferSize ?? 1 << 20);
    this.put(pcapFileHeader(opts));
  }

  /** Appends one record; `origlen` defaults to the data length. */
  write(ts: Timestamp, data: Uint8Array, origlen = data.length): void {
    const hdr = Buffer.allocUnsafe(16);
    hdr.writeUInt32LE(ts.sec >>> 0, 0);
    hdr.writeUInt32LE(this.nsec ? ts.nsec : Math.floor(ts.nsec / 1000), 4);
    hdr.writeUInt32LE(data.length, 8);
    hdr.writeUInt32LE(origlen, 12);
    this.put(hdr);
    this.put(data);
    this.packets++;
    this.bytes += data.length;
  }

  private put(b: Uint8Array): void {
    if (this.used + b.length > this.buf.length) this.flush();
    if (b.length > this.buf.length) {
      writeSync(this.fd, b);
      return;
    }
    this.buf.set(b, this.used);
    this.used += b.length;
  }

  flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Builds a whole pcap file in memory: for tests and small fixtures. */
export function pcapBytes(records: { ts: Timestamp; data: Uint8Array; origlen?: number }[], opts: PcapWriterOptions = {}): Buffer {
  const parts: Uint8Array[] = [pcapFileHeader(opts)];
  for (const r of records) {
    const hdr = Buffer.alloc(16);
    hdr.writeUInt32LE(r.ts.sec >>> 0, 0);
    hdr.writeUInt32LE(opts.nanosecond ? r.ts.nsec : Math.floor(r.ts.nsec / 1000), 4);
    hdr.writeUInt32LE(r.data.length, 8);
    hdr.writeUInt32LE(r.origlen ?? r.data.length, 12);
    parts.push(hdr, r.data);
  }
  return Buffer.concat(parts);
}
