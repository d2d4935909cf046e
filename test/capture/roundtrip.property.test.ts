// pcap and pcapng written by dsrlab's writers read back as the same packets, whatever the
// chunk size the reader streams with; arbitrary bytes never crash the reader.
import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pcapBytes } from '../../src/capture/pcap-writer.js';
import { pcapngBytes, type PcapngInterface } from '../../src/capture/pcapng-writer.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { InputError } from '../../src/errors.js';
import { tempDir } from '../helpers.js';

const record = fc.record({
  sec: fc.integer({ min: 0, max: 0xffffffff }),
  nsec: fc.integer({ min: 0, max: 999_999_999 }),
  data: fc.uint8Array({ minLength: 0, maxLength: 1600 }),
});

function readBack(bytes: Uint8Array, chunkSize: number) {
  const t = tempDir();
  try {
    const f = join(t.dir, 'x.cap');
    writeFileSync(f, bytes);
    return [...new CaptureReader(f, { chunkSize, batchRecords: 3 }).packets()];
  } finally {
    t.cleanup();
  }
}

describe('capture round trips', () => {
  test.prop({ recs: fc.array(record, { maxLength: 20 }), nano: fc.boolean(), chunk: fc.integer({ min: 16, max: 5000 }) }, { numRuns: 150 })(
    'pcap write → read gives the same packets',
    ({ recs, nano, chunk }) => {
      const bytes = pcapBytes(recs.map((r) => ({ ts: { sec: r.sec, nsec: r.nsec }, data: r.data })), { nanosecond: nano });
      const got = readBack(bytes, chunk);
      expect(got.length).toBe(recs.length);
      got.forEach((p, i) => {
        const r = recs[i]!;
        expect(Buffer.compare(p.data, Buffer.from(r.data))).toBe(0);
        expect(p.tsSec).toBe(r.sec);
        expect(p.tsNsec).toBe(nano ? r.nsec : Math.floor(r.nsec / 1000) * 1000);
        expect(p.linktype).toBe(1);
      });
    },
  );

  const iface = fc.record({
    linktype: fc.constantFrom(1, 101, 113, 228, 229, 276),
    tsresol: fc.constantFrom(6, 9, 3, 0x80 | 20, 0x80 | 30, 0x80 | 10),
  });

  test.prop(
    {
      sections: fc.array(
        fc.record({
          bigEndian: fc.boolean(),
          ifaces: fc.array(iface, { minLength: 1, maxLength: 3 }),
          recs: fc.array(fc.record({ r: record, which: fc.nat(), spb: fc.boolean() }), { maxLength: 8 }),
          junk: fc.boolean(),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      chunk: fc.integer({ min: 16, max: 5000 }),
    },
    { numRuns: 150 },
  )('pcapng write → read gives the same packets and exact timestamps', ({ sections, chunk }) => {
    const expected: { data: Uint8Array; sec: number; nsec: number; linktype: number; iface: number }[] = [];
    const bytes = pcapngBytes(
      sections.map((s) => {
        const interfaces: PcapngInterface[] = s.ifaces.map((i) => ({ linktype: i.linktype, tsresol: i.tsresol }));
        const packets = s.recs.map(({ r, which, spb }) => {
          const ifc = spb ? 0 : which % interfaces.length;
          const res = interfaces[ifc]!.tsresol!;
          // The reader truncates to the interface's resolution; SPBs carry no timestamp.
          let nsec = 0;
          if (!spb) {
            if (res & 0x80) {
              const n = BigInt(res & 0x7f);
              const units = (BigInt(r.nsec) << n) / 1_000_000_000n;
              nsec = Number((units * 1_000_000_000n) >> n);
            } else {
              const per = 10 ** (9 - res);
              nsec = Math.floor(r.nsec / per) * per;
            }
          }
          expected.push({ data: r.data, sec: spb ? 0 : r.sec, nsec, linktype: interfaces[ifc]!.linktype, iface: ifc });
          return { iface: ifc, ts: { sec: r.sec, nsec: r.nsec }, data: r.data, block: spb ? ('spb' as const) : ('epb' as const) };
        });
        return { bigEndian: s.bigEndian, interfaces, packets, junkBlocks: s.junk };
      }),
    );
    const got = readBack(bytes, chunk);
    expect(got.length).toBe(expected.length);
    got.forEach((p, i) => {
      const e = expected[i]!;
      expect(Buffer.compare(p.data, Buffer.from(e.data))).toBe(0);
      expect([p.tsSec, p.tsNsec]).toEqual([e.sec, e.nsec]);
      expect(p.linktype).toBe(e.linktype);
      expect(p.iface).toBe(e.iface);
    });
  });

  test.prop({ bytes: fc.uint8Array({ maxLength: 400 }), chunk: fc.integer({ min: 1, max: 64 }) }, { numRuns: 500 })(
    'arbitrary bytes either read or fail with an InputError, never crash',
    ({ bytes, chunk }) => {
      try {
        readBack(bytes, chunk);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
      }
    },
  );

  test.prop({ seed: fc.uint8Array({ minLength: 1, maxLength: 64 }), at: fc.nat(), chunk: fc.integer({ min: 1, max: 300 }) }, { numRuns: 300 })(
    'a valid capture with corrupted bytes either reads or fails with an InputError',
    ({ seed, at, chunk }) => {
      const good = Buffer.from(
        pcapngBytes([{ interfaces: [{ linktype: 1, tsresol: 9 }, { linktype: 101 }], packets: [0, 1, 2].map((i) => ({ iface: i % 2, ts: { sec: i, nsec: i }, data: new Uint8Array(40 + i) })) }]),
      );
      const pos = at % good.length;
      good.set(seed.subarray(0, Math.min(seed.length, good.length - pos)), pos);
      try {
        readBack(good, chunk);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
      }
    },
  );
});
