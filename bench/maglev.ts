/**
 * maglev.ts: Maglev table build time against a baseline run in the same process: the fill as
 * Cilium's Go builder does it (pkg/maglev: a full permutation array per backend, N×M memory)
 * written plainly in TypeScript over the same offsets and skips. Cilium's own Go figures on a
 * machine of this kind are printed for reference (2.8 ms, 97 ms, 192 ms).
 */
import { buildMaglevTable, maglevHashStrings, maglevSeed, type MaglevBackend } from '../src/maglev/table.js';
import { addon } from '../src/native.js';
import { median, type BenchRow } from './util.js';

const GO_MS: Record<string, number> = { '100/16381': 2.8, '1000/65521': 97, '1000/131071': 192 };

/** Cilium's getPermutation + the fill loop, with the N×M permutation table it allocates. */
function naiveFill(offset: Uint32Array, skip: Uint32Array, m: number): Uint32Array {
  const n = offset.length;
  const perm = new Uint32Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) perm[i * m + j] = (offset[i]! + j * skip[i]!) % m;
  const next = new Uint32Array(n);
  const entry = new Int32Array(m).fill(-1);
  for (let filled = 0; ; ) {
    for (let i = 0; i < n; i++) {
      let c = perm[i * m + next[i]!]!;
      while (entry[c]! >= 0) {
        next[i]!++;
        c = perm[i * m + next[i]!]!;
      }
      entry[c] = i;
      next[i]!++;
      if (++filled === m) return Uint32Array.from(entry);
    }
  }
}

function backends(n: number): MaglevBackend[] {
  return Array.from({ length: n }, (_, i) => ({ addr: `10.${(i >> 8) & 255}.${i & 255}.1`, port: 8080, proto: 'TCP' as const, weight: 1 }));
}

export function benchMaglev(runs = 5): BenchRow[] {
  const rows: BenchRow[] = [];
  const seed = maglevSeed('JLfvgnHc2kaSUFaI');
  for (const [n, m] of [[100, 16381], [1000, 65521], [1000, 131071]] as const) {
    const bs = backends(n);
    const ours: number[] = [];
    const naive: number[] = [];
    let check: Uint32Array | undefined;
    // dsrlab's builds first: the baseline's N×M arrays would otherwise bring GC pauses into them.
    for (let r = 0; r < runs; r++) {
      const s = performance.now();
      buildMaglevTable(bs, undefined, m);
      ours.push(performance.now() - s);
    }
    const t = buildMaglevTable(bs, undefined, m);
    for (let r = 0; r < runs; r++) {
      const built = addon().maglevBuild(maglevHashStrings(bs), bs.map(() => 1), m, seed.murmur);
      const s = performance.now();
      check = naiveFill(built.offset, built.skip, m);
      naive.push(performance.now() - s);
      if (r === 0 && !check.every((v, k) => v === t.table[k])) throw new Error(`bench: naive fill disagrees at N=${n} M=${m}`);
    }
    const o = median(ours), b = median(naive), go = GO_MS[`${n}/${m}`]!;
    rows.push({ name: `Maglev build N=${n} M=${m}`, value: `${o.toFixed(2)} ms`, ratio: `${(b / o).toFixed(1)}× the N×M fill in TS (${b.toFixed(1)} ms); Cilium Go ${go} ms → ${(go / o).toFixed(0)}× (target ≥5×)` });
  }
  return rows;
}
