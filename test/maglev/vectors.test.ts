// Every case of the Maglev reference vectors (tables produced by Cilium's own Go code, packet
// hashes by its BPF code): tables bit-exact, counts, offsets/skips, removals, packet lookups.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { buildMaglevTable, maglevDisruption, maglevLookup, maglevSeed, type MaglevBackend, type MaglevProto } from '../../src/maglev/table.js';

interface VecBackend { addr: string; port: number; proto: string; weight: number; id: number; scope?: number; cluster_id?: number }
interface VecCase {
  name: string; seed: string; seed_murmur: number; seed_jhash0: number; seed_jhash1: number; M: number;
  input_backends: VecBackend[]; weights_used: boolean;
  backends_sorted: { index: number; hash_string: string; id: number; offset: number; skip: number; count: number }[];
  table: number[]; counts_by_index: number[];
}
const V = JSON.parse(readFileSync(join(ROOT, 'test', 'vectors', 'maglev-vectors.json'), 'utf8')) as {
  cases: VecCase[];
  removals: { name: string; before_case: string; after_case: string; changed_entries: number; removed_backend_entries: number; changed_entries_not_owned_by_removed: number }[];
  packet_hash: { vectors: { seed: string; family: string; src: string; sport: number; dport: number; proto: number; session_affinity: boolean; hash: number; lookups: { case: string; M: number; slot: number; backend_index: number; backend_id: number; backend_hash_string: string }[] }[] };
};

const toBackend = (b: VecBackend): MaglevBackend => ({ addr: b.addr, port: b.port, proto: b.proto as MaglevProto, weight: b.weight, id: b.id, internal: b.scope === 1, clusterId: b.cluster_id ?? 0 });
const byName = new Map(V.cases.map((c) => [c.name, c]));

describe('Maglev reference vectors', () => {
  it.each(V.cases.map((c) => [c.name, c] as const))('%s: table, order, offsets and counts are bit-exact', (_, c) => {
    expect(maglevSeed(c.seed)).toEqual({ murmur: c.seed_murmur, jhash0: c.seed_jhash0, jhash1: c.seed_jhash1 });
    const t = buildMaglevTable(c.input_backends.map(toBackend), c.seed, c.M);
    expect(t.weightsUsed).toBe(c.weights_used);
    expect(t.backends.map((b) => b.hashString)).toEqual(c.backends_sorted.map((b) => b.hash_string));
    expect(t.backends.map((b) => [b.id, b.offset, b.skip, b.slots])).toEqual(c.backends_sorted.map((b) => [b.id, b.offset, b.skip, b.count]));
    expect(Array.from(t.table)).toEqual(c.table);
  });

  it.each(V.removals.map((r) => [r.name, r] as const))('%s: the disruption matches', (_, r) => {
    const a = byName.get(r.before_case)!, b = byName.get(r.after_case)!;
    const d = maglevDisruption(buildMaglevTable(a.input_backends.map(toBackend), a.seed, a.M), buildMaglevTable(b.input_backends.map(toBackend), b.seed, b.M));
    expect(d).toEqual({ moved: r.changed_entries, ownedByRemoved: r.removed_backend_entries, collateral: r.changed_entries_not_owned_by_removed });
  });

  it.each(V.packet_hash.vectors.map((v, i) => [`${i}: ${v.family} ${v.src}:${v.sport}→:${v.dport} aff=${v.session_affinity}`, v] as const))('packet hash %s', (_, v) => {
    for (const l of v.lookups) {
      // Tables named by a lookup but left out of the file are rebuilt from the same-sized default case.
      const c = byName.get(l.case) ?? V.cases.find((k) => k.name === l.case.replace(/^alt_/, 'def_'));
      if (!c) continue;
      const t = buildMaglevTable(c.input_backends.map(toBackend), v.seed, l.M);
      const got = maglevLookup(t, { src: v.src, sport: v.sport, dport: v.dport, proto: v.proto, affinity: v.session_affinity });
      expect(got.hash >>> 0).toBe(v.hash >>> 0);
      expect(got.slot).toBe(l.slot);
      expect(t.backends[got.backend]!.hashString).toBe(l.backend_hash_string);
    }
  });
});
