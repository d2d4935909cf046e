/**
 * reader.ts: streams a pcap or pcapng file through the C reader (native/src/capture.c) in
 * chunks, so captures larger than memory or 2 GiB are read in bounded memory. Each batch is
 * one Buffer plus an index of records: the addon is called once per chunk, never per packet.
 * Writing is in pcap-writer.ts; capture statistics in info.ts.
 */
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { InputError } from '../errors.js';
import { addon, CAP_END, CAP_ERR, CAP_NEED_MORE, REC, REC_FIELDS, type NativeCapReader } from '../native.js';

export interface ReaderOptions {
  /** Bytes read per chunk (default 4 MiB); grows by itself for a record larger than this. */
  chunkSize?: number;
  /** Records per batch at most (default 65536). */
  batchRecords?: number;
}

/**
 * A batch of packets. `data` and `index` are reused by the next batch: use them (or copy)
 * before asking for the next one.
 */
export interface PacketBatch {
  data: Buffer;
  /** REC_FIELDS numbers per record; see REC in native.ts. */
  index: Float64Array;
  count: number;
}

/** One packet, copied out of a batch (convenient, slower: for tests and small captures). */
export interface CapturedPacket {
  data: Buffer;
  caplen: number;
  origlen: number;
  iface: number;
  linktype: number;
  tsSec: number;
  tsNsec: number;
  fileOffset: number;
}

export class CaptureReader {
  readonly path: string;
  private readonly native: NativeCapReader;
  private readonly chunkSize: number;
  private readonly batchRecords: number;
  /** Bytes of the file read so far. */
  bytesRead = 0;
  fileSize = 0;

  constructor(path: string, opts: ReaderOptions = {}) {
    this.path = path;
    this.native = new (addon().CapReader)();
    this.chunkSize = opts.chunkSize ?? 4 << 20;
    this.batchRecords = opts.batchRecords ?? 65536;
  }

  header(): ReturnType<NativeCapReader['header']> {
    return this.native.header();
  }

  /** Yields every batch of the file; throws InputError naming the file and offset on corrupt input. */
  *batches(): Generator<PacketBatch> {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (e) {
      throw new InputError({ file: this.path }, `cannot open: ${(e as Error).message}`);
    }
    try {
      this.fileSize = fstatSync(fd).size;
      let buf = Buffer.allocUnsafe(this.chunkSize);
      const index = new Float64Array(this.batchRecords * REC_FIELDS);
      let filled = 0;
      let base = 0; // file offset of buf[0]
      let eof = false;
      for (;;) {
        while (!eof && filled < buf.length) {
          const n = readSync(fd, buf, filled, buf.length - filled, null);
          if (n === 0) eof = true;
          filled += n;
          this.bytesRead += n;
        }
        const r = this.native.feed(buf, filled, base, eof, index);
        // Records before a bad one are good: hand them out, then report the bad one.
        if (r.count > 0) yield { data: buf, index, count: r.count };
        if (r.status === CAP_ERR) {
          throw new InputError({ file: this.path, offset: r.errorOffset ?? base, offsetInDetail: true }, r.error ?? 'corrupt capture');
        }
        if (r.status === CAP_END) return;
        if (r.status === CAP_NEED_MORE && r.consumed === 0 && r.count === 0) {
          if (eof) throw new Error(`dsrlab internal: reader stalled at end of ${this.path}`);
          if (r.need > buf.length - 0) {
            const bigger = Buffer.allocUnsafe(Math.max(r.need, buf.length * 2));
            buf.copy(bigger, 0, 0, filled);
            buf = bigger;
          }
        }
        if (r.consumed > 0) {
          buf.copy(buf, 0, r.consumed, filled);
          filled -= r.consumed;
          base += r.consumed;
        } else if (r.count === 0 && r.status !== CAP_NEED_MORE && eof) {
          throw new Error(`dsrlab internal: reader made no progress at offset ${base} of ${this.path}`);
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Every packet, copied: for tests and small captures. */
  *packets(): Generator<CapturedPacket> {
    for (const b of this.batches()) {
      for (let i = 0; i < b.count; i++) {
        const o = i * REC_FIELDS;
        const off = b.index[o + REC.BUF_OFF]!;
        const caplen = b.index[o + REC.CAPLEN]!;
        yield {
          data: Buffer.from(b.data.subarray(off, off + caplen)),
          caplen,
          origlen: b.index[o + REC.ORIGLEN]!,
          iface: b.index[o + REC.IFACE]!,
          linktype: b.index[o + REC.LINKTYPE]!,
          tsSec: b.index[o + REC.TS_SEC]!,
          tsNsec: b.index[o + REC.TS_NSEC]!,
          fileOffset: b.index[o + REC.FILE_OFF]!,
        };
      }
    }
  }
}

/** Reads a whole capture into memory (small files only). */
export function readAllPackets(path: string): CapturedPacket[] {
  return [...new CaptureReader(path).packets()];
}
