/** util.ts: timing helpers for the benchmarks (medians of runs interleaved in one process). */
export interface BenchRow {
  name: string;
  value: string;
  ratio: string;
}

export function time(fn: () => unknown): number {
  const s = performance.now();
  fn();
  return (performance.now() - s) / 1000;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Builds a C benchmark program from native/bench with the core sources (no Node involved). */
export function buildCBench(root: string, name: string): string {
  const { execFileSync } = require_('node:child_process') as typeof import('node:child_process');
  const { readdirSync, mkdirSync } = require_('node:fs') as typeof import('node:fs');
  const out = `${root}/build-bench/${name}`;
  mkdirSync(`${root}/build-bench`, { recursive: true });
  const srcs = readdirSync(`${root}/native/src`).filter((f) => f.endsWith('.c')).map((f) => `${root}/native/src/${f}`);
  // -flto as the addon is built (CMakeLists.txt: INTERPROCEDURAL_OPTIMIZATION).
  execFileSync('cc', ['-std=c11', '-O2', '-flto=auto', `-I${root}/native/include`, `${root}/native/bench/${name}.c`, ...srcs, '-o', out], { stdio: 'inherit' });
  return out;
}
import { createRequire } from 'node:module';
const require_ = createRequire(import.meta.url);
