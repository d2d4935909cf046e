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
