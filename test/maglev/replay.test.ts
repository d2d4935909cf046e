// Scenario level: flows of the reference packet-hash vectors, replayed against a Maglev Service
// with the backends of case def_M251_N3, land on exactly the backend the vectors name.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, FIXTURES, tempDir } from '../helpers.js';
import { loadScenario } from '../../src/scenario/index.js';
import { replay } from '../../src/replay.js';
import { buildPacket } from '../../src/packet/build.js';
import { pcapBytes } from '../../src/capture/pcap-writer.js';

const V = JSON.parse(readFileSync(join(ROOT, 'test', 'vectors', 'maglev-vectors.json'), 'utf8')) as {
  packet_hash: { vectors: { seed: string; family: string; src: string; sport: number; dport: number; proto: number; session_affinity: boolean; lookups: { case: string; backend_hash_string: string }[] }[] };
};
const POD_OF: Record<string, string> = { '10.244.0.2': 'be-0-2', '10.244.1.3': 'be-1-3', '10.244.2.4': 'be-2-4' };

const cases = V.packet_hash.vectors
  .filter((v) => v.family === 'ipv4' && v.seed === 'JLfvgnHc2kaSUFaI')
  .flatMap((v) => v.lookups.filter((l) => l.case === 'def_M251_N3').map((l) => ({ v, expected: /^\[([0-9.]+):/.exec(l.backend_hash_string)![1]! })));

describe('Maglev through the datapath', () => {
  it('has vectors to check', () => expect(cases.length).toBeGreaterThanOrEqual(5));

  it.each(cases.map((c) => [`${c.v.src}:${c.v.sport} → :${c.v.dport}${c.v.session_affinity ? ' (affinity)' : ''} → ${c.expected}`, c] as const))('%s', async (_, { v, expected }) => {
    const scenario = await loadScenario(join(FIXTURES, 'scenarios', 'maglev-vectors.yaml'));
    const vip = v.session_affinity ? '198.51.100.21' : '198.51.100.20';
    const syn = buildPacket({ ipv4: { src: v.src, dst: vip }, tcp: { sport: v.sport, dport: v.dport, flags: 'S', seq: 1 } });
    const t = tempDir();
    try {
      const cap = join(t.dir, 'flow.pcap');
      writeFileSync(cap, pcapBytes([{ ts: { sec: 1_700_000_000, nsec: 0 }, data: syn }]));
      const r = await replay(cap, scenario, { responder: 'none' });
      expect(r.summary.flowsByBackend).toEqual({ [POD_OF[expected]!]: 1 });
    } finally {
      t.cleanup();
    }
  });
});
