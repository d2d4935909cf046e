/**
 * capture-read.ts: capture reading speed. dsrlab's streaming reader (and `pcap info`, which
 * also parses every packet) against pcap-parser and `tcpdump -r FILE -w /dev/null` on the same
 * generated 1M-packet capture, in one run, printed as ratios (so a noisy machine cannot fake it).
 */
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureReader } from '../src/capture/reader.js';
import { captureInfo } from '../src/capture/info.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { buildPacket } from '../src/packet/build.js';
import { median, time, type BenchRow } from './util.js';

const require = createRequire(import.meta.url);
// pcap-parser is untyped CommonJS; only its event interface is used.
const pcapParser = require('pcap-parser') as { parse(p: string): { on(e: string, cb: (...a: unknown[]) => void): void } };

export function makeCapture(dir: string, n = 1_000_000): string {
  const file = join(dir, `bench-${n}.pcap`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const w = new PcapWriter(file);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 64; i++)
    frames.push(buildPacket({ ipv4: { src: `10.0.${i}.1`, dst: '198.51.100.10', id: i }, tcp: { sport: 10000 + i, dport: 80, flags: 'PA', seq: i }, payload: 46 }));
  for (let i = 0; i < n; i++) w.write({ sec: 1_700_000_000 + Math.floor(i / 1000), nsec: (i % 1000) * 1000 }, frames[i % 64]!);
  w.close();
  return file;
}

function readDsrlab(file: string): number {
  let n = 0;
  for (const b of new CaptureReader(file).batches()) n += b.count;
  return n;
}

function readPcapParser(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const p = pcapParser.parse(file);
    p.on('packet', () => n++);
    p.on('end', () => resolve(n));
    p.on('error', (e) => reject(e));
  });
}

export async function benchCaptureRead(dir: string, runs = 3): Promise<BenchRow[]> {
  const file = makeCapture(dir);
  const size = statSync(file).size;
  const t = { dsrlab: [] as number[], info: [] as number[], parser: [] as number[], tcpdump: [] as number[] };
  let packets = 0;
  const haveTcpdump = spawnSync('sh', ['-c', 'command -v tcpdump']).status === 0;
  for (let r = 0; r < runs; r++) {
    t.dsrlab.push(time(() => (packets = readDsrlab(file))));
    t.info.push(time(() => captureInfo(file)));
    const s = performance.now();
    await readPcapParser(file);
    t.parser.push((performance.now() - s) / 1000);
    if (haveTcpdump) t.tcpdump.push(time(() => spawnSync('tcpdump', ['-r', file, '-w', '/dev/null'], { stdio: 'ignore' })));
  }
  const m = { dsrlab: median(t.dsrlab), info: median(t.info), parser: median(t.parser), tcpdump: haveTcpdump ? median(t.tcpdump) : NaN };
  const mpps = (s: number) => packets / s / 1e6;
  return [
    { name: `capture read (${packets.toLocaleString('en-US')} packets, ${(size / 1e6).toFixed(0)} MB)`, value: `${mpps(m.dsrlab).toFixed(1)} Mpps`, ratio: `${(m.parser / m.dsrlab).toFixed(1)}× pcap-parser (target ≥5×)` },
    { name: 'capture read vs tcpdump -r -w /dev/null', value: `${m.dsrlab.toFixed(3)} s vs ${m.tcpdump.toFixed(3)} s`, ratio: `${(m.tcpdump / m.dsrlab).toFixed(2)}× tcpdump's speed` },
    { name: 'pcap info (read + parse every packet)', value: `${mpps(m.info).toFixed(1)} Mpps`, ratio: `${(m.parser / m.info).toFixed(1)}× pcap-parser` },
    { name: 'pcap-parser', value: `${mpps(m.parser).toFixed(1)} Mpps`, ratio: 'baseline' },
  ];
}
