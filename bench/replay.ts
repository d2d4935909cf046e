/**
 * replay.ts: `dsrlab replay` end to end (read, emulate every hop, write every capture point,
 * flows.jsonl and summary.json) against `tcpdump -r in -w out` on the same generated capture,
 * in one run. Also without outputs, to separate emulation from output writing. With
 * `reference` (`npx tsx bench/run.ts replay 50000 reference`) the TypeScript reference
 * implementation (test/replay/reference: replay before its hot path moved into C) runs in the
 * same process too, for before/after figures on the same machine and load.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../src/scenario/index.js';
import { replay, type ReplayOptions, type ReplayResult } from '../src/replay.js';
import type { Scenario } from '../src/scenario/types.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { buildPacket } from '../src/packet/build.js';
import { median, type BenchRow } from './util.js';

/** Client flows to the real-capture scenario's VIP: SYN, then data segments, per flow. */
function makeCapture(dir: string, n: number): string {
  const file = join(dir, `replay-${n}.pcap`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const w = new PcapWriter(file);
  const perFlow = 10;
  for (let i = 0; i < n; i++) {
    const flow = Math.floor(i / perFlow);
    const k = i % perFlow;
    const frame = buildPacket({ ipv4: { src: '203.0.113.7', dst: '198.51.100.10' }, tcp: { sport: 1024 + (flow % 60000), dport: 80, flags: k === 0 ? 'S' : 'PA', seq: 1000 + k * 100 }, payload: k === 0 ? 0 : 100 });
    w.write({ sec: 1_700_000_000 + Math.floor(i / 10000), nsec: (i % 10000) * 100_000 }, frame);
  }
  w.close();
  return file;
}

/** Bytes of every file under `dir`. */
function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

type ReplayFn = (capture: string, scenario: Scenario, opts: ReplayOptions) => Promise<ReplayResult | { summary: unknown }>;

export async function benchReplay(dir: string, root: string, n = 1_000_000, runs = 3, reference = false): Promise<BenchRow[]> {
  const cap = makeCapture(dir, n);
  const scenario = await loadScenario(join(root, 'fixtures', 'scenarios', 'real-capture.yaml'));
  const out = join(dir, 'replay-out');
  const rows: BenchRow[] = [];
  const tcpdump: number[] = [];
  for (let r = 0; r < runs; r++) {
    const s = performance.now();
    spawnSync('tcpdump', ['-r', cap, '-w', join(dir, 'tcpdump-copy.pcap')], { stdio: 'ignore' });
    tcpdump.push((performance.now() - s) / 1000);
  }
  const td = median(tcpdump);
  const impls: [string, ReplayFn][] = [['', replay]];
  if (reference) {
    const ref = (await import('../test/replay/reference/replay-reference.js')) as { replay: ReplayFn };
    impls.push([' (TypeScript reference)', ref.replay]);
  }
  // Three output levels: none; --out --flows none (every pcap and summary.json); --out (also
  // flows.jsonl, one ~500-byte line per packet per hop: 40–50× the capture's bytes).
  const levels: [string, ReplayOptions][] = [
    ['no outputs', {}],
    ['--out --flows none (pcaps, summary.json)', { out, flows: 'none' }],
    ['--out (pcaps, summary.json, flows.jsonl)', { out }],
  ];
  const capBytes = statSync(cap).size;
  for (const mode of ['snat', 'dsr'] as const) {
    for (const [label, impl] of impls) {
      for (const [what, extra] of levels) {
        const times: number[] = [];
        let written = 0;
        for (let r = 0; r < runs; r++) {
          rmSync(out, { recursive: true, force: true });
          const s = performance.now();
          await impl(cap, scenario, { mode, responder: 'none', ...extra });
          times.push((performance.now() - s) / 1000);
          if (extra.out) written = dirBytes(out);
        }
        const t = median(times);
        const bytes = extra.out ? `, wrote ${(written / 1e6).toFixed(0)} MB = ${(written / capBytes).toFixed(1)}× the capture` : '';
        rows.push({
          name: `replay${label} ${mode}, ${n.toLocaleString('en-US')} packets, ${what}`,
          value: `${t.toFixed(2)} s (${(n / t / 1e3).toFixed(0)} kpps${bytes})`,
          ratio: `${(t / td).toFixed(1)}× tcpdump -r -w (${td.toFixed(3)} s; target ≤3×)`,
        });
      }
    }
  }
  rmSync(out, { recursive: true, force: true });
  return rows;
}
