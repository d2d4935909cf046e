/** maglev.ts: `dsrlab maglev`: builds a Maglev table as Cilium would and shows its balance. */
import pc from '../colour.js';
import { InputError } from '../../errors.js';
import { backendText, buildMaglevTable, DEFAULT_MAGLEV_SEED, DEFAULT_MAGLEV_SIZE, maglevDisruption, parseBackendSpec, type MaglevBackend, type MaglevTable } from '../../maglev/table.js';
import { table } from '../table.js';

export interface MaglevOptions {
  seed?: string;
  size?: string;
  remove?: string;
  dump?: boolean;
  json?: boolean;
}

function parseBackends(specs: string[]): MaglevBackend[] {
  return specs.map((s, i) => {
    try {
      return parseBackendSpec(s);
    } catch (e) {
      throw new InputError({ file: '<command line>', keyPath: `BACKEND[${i}]` }, (e as Error).message);
    }
  });
}

function build(backends: MaglevBackend[], seed: string, size: number): MaglevTable {
  try {
    return buildMaglevTable(backends, seed, size);
  } catch (e) {
    throw new InputError({ file: '<command line>', keyPath: /seed|Seed/.test((e as Error).message) ? '--seed' : '--size' }, (e as Error).message);
  }
}

function jsonOf(t: MaglevTable, dump: boolean, moved?: number): Record<string, unknown> {
  return {
    size: t.size,
    seed: t.seed,
    backends: t.backends.map((b) => ({ backend: backendText(b), hashString: b.hashString, weight: b.weight ?? 100, slots: b.slots })),
    ...(dump ? { table: Array.from(t.table) } : {}),
    ...(moved !== undefined ? { moved } : {}),
  };
}

export function maglevCommand(specs: string[], opts: MaglevOptions): number {
  if (specs.length === 0) throw new InputError({ file: '<command line>', keyPath: 'BACKEND' }, 'give at least one backend, e.g. 10.0.0.1:8080');
  const seed = opts.seed ?? DEFAULT_MAGLEV_SEED;
  if (opts.size !== undefined && !/^\d+$/.test(opts.size)) throw new InputError({ file: '<command line>', keyPath: '--size' }, `'${opts.size}' is not a number`);
  const size = opts.size ? Number(opts.size) : DEFAULT_MAGLEV_SIZE;
  const backends = parseBackends(specs);
  const t = build(backends, seed, size);
  let after: MaglevTable | undefined;
  let disruption: ReturnType<typeof maglevDisruption> | undefined;
  if (opts.remove) {
    const gone = parseBackends([opts.remove])[0]!;
    const key = backendText(gone);
    const rest = backends.filter((b) => backendText(b) !== key);
    if (rest.length === backends.length) throw new InputError({ file: '<command line>', keyPath: '--remove' }, `${key} is not one of the backends`);
    if (rest.length === 0) throw new InputError({ file: '<command line>', keyPath: '--remove' }, 'removing the only backend leaves no table');
    after = build(rest, seed, size);
    disruption = maglevDisruption(t, after);
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify(jsonOf(t, !!opts.dump, disruption?.moved), null, 2) + '\n');
    return 0;
  }
  const n = t.backends.length;
  const ideal = t.size / n;
  const rows = t.backends.map((b) => [backendText(b), b.hashString, b.weight ?? 100, b.slots, `${((100 * b.slots) / t.size).toFixed(2)}%`, `${(((b.slots - ideal) / ideal) * 100).toFixed(2)}%`]);
  const out: string[] = [];
  out.push(`Maglev table: M = ${t.size}, seed ${seed}, ${n} backend${n === 1 ? '' : 's'}${t.weightsUsed ? ', weights used' : ', weights ignored (Cilium uses them only when sum/N > 1)'}`);
  out.push(table(['backend', 'hash string', 'weight', 'slots', 'share', 'vs M/N'], rows));
  const counts = t.backends.map((b) => b.slots);
  out.push(`imbalance: max ${Math.max(...counts)} / min ${Math.min(...counts)} slots (ideal ${ideal.toFixed(1)})`);
  if (t.size <= 100 * n) out.push(pc.yellow(`warning: M = ${t.size} is not > 100 × N = ${100 * n}; Cilium's docs advise M > 100·N to keep disruption near 1%`));
  if (disruption && after) {
    out.push(`removing ${opts.remove}: ${disruption.moved} of ${t.size} slots change owner (${((100 * disruption.moved) / t.size).toFixed(2)}%): ${disruption.ownedByRemoved} were the removed backend's, ${disruption.collateral} collateral (${((100 * disruption.collateral) / t.size).toFixed(2)}% of M)`);
  }
  if (opts.dump) {
    const lines: string[] = [];
    for (let k = 0; k < t.size; k += 16) lines.push(`${String(k).padStart(6)}: ${Array.from(t.table.subarray(k, k + 16)).map((x) => String(x).padStart(3)).join(' ')}`);
    out.push('table (slot: backend index in the order above):', ...lines);
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
