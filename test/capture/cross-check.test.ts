// Independent readers agree with dsrlab's: pcap-parser on every classic fixture, and editcap's
// conversions (to pcapng, to nanosecond pcap) read as the same packets.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { CaptureReader } from '../../src/capture/reader.js';
import { FIXTURES, hasTool, tempDir } from '../helpers.js';

const require = createRequire(import.meta.url);
// pcap-parser is CommonJS without types: its event payloads are described here.
const pcapParser = require('pcap-parser') as {
  parse(path: string): {
    on(ev: 'packet', cb: (p: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) => void): void;
    on(ev: 'end', cb: () => void): void;
    on(ev: 'error', cb: (e: Error) => void): void;
  };
};

const classic = readdirSync(join(FIXTURES, 'captures')).filter((f) => f.endsWith('.pcap') && !f.includes('nsec'));

function viaPcapParser(file: string): Promise<{ sec: number; usec: number; caplen: number; origlen: number; data: Buffer }[]> {
  return new Promise((resolve, reject) => {
    const out: { sec: number; usec: number; caplen: number; origlen: number; data: Buffer }[] = [];
    const p = pcapParser.parse(file);
    p.on('packet', (pk) =>
      out.push({ sec: pk.header.timestampSeconds, usec: pk.header.timestampMicroseconds, caplen: pk.header.capturedLength, origlen: pk.header.originalLength, data: Buffer.from(pk.data) }),
    );
    p.on('end', () => resolve(out));
    p.on('error', reject);
  });
}

describe('pcap-parser agrees with dsrlab on every classic fixture', () => {
  it.each(classic)('%s', async (name) => {
    const file = join(FIXTURES, 'captures', name);
    const theirs = await viaPcapParser(file);
    const ours = [...new CaptureReader(file).packets()];
    expect(ours.length).toBe(theirs.length);
    expect(ours.length).toBeGreaterThan(0);
    ours.forEach((p, i) => {
      const t = theirs[i]!;
      expect([p.tsSec, p.tsNsec / 1000, p.caplen, p.origlen]).toEqual([t.sec, t.usec, t.caplen, t.origlen]);
      expect(Buffer.compare(p.data, t.data)).toBe(0);
    });
  });
});

describe.runIf(hasTool('editcap'))('editcap conversions read as the same packets', () => {
  const cases = ['tcp-handshake.pcap', 'ipv6-ext.pcap', 'fragments.pcap', 'sll2.pcap', 'raw.pcap'];
  it.each(cases)('%s → pcapng and → nanosecond pcap', (name) => {
    const src = join(FIXTURES, 'captures', name);
    const t = tempDir();
    try {
      const ng = join(t.dir, 'x.pcapng');
      const ns = join(t.dir, 'x-ns.pcap');
      expect(spawnSync('editcap', ['-F', 'pcapng', src, ng]).status).toBe(0);
      expect(spawnSync('editcap', ['-F', 'nsecpcap', src, ns]).status).toBe(0);
      const base = [...new CaptureReader(src).packets()];
      for (const f of [ng, ns]) {
        const got = [...new CaptureReader(f).packets()];
        expect(got.length).toBe(base.length);
        got.forEach((p, i) => {
          const b = base[i]!;
          expect([p.tsSec, p.tsNsec, p.caplen, p.origlen, p.linktype]).toEqual([b.tsSec, b.tsNsec, b.caplen, b.origlen, b.linktype]);
          expect(Buffer.compare(p.data, b.data)).toBe(0);
        });
      }
    } finally {
      t.cleanup();
    }
  });
});
