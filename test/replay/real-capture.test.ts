// A real kernel capture (scripts/make-real-capture.sh: curl and socat in network namespaces,
// both directions, IPv4 and IPv6, full-size segments) replayed with `--responder capture` in
// every mode: every reply the client receives equals the captured one but for TTL and L2, and
// the output pcaps decode cleanly in tshark with valid checksums.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { FIXTURES, hasTool, tempDir } from '../helpers.js';
import { loadScenario } from '../../src/scenario/index.js';
import { replay } from '../../src/replay.js';

const CAPTURE = join(FIXTURES, 'captures', 'real-http-udp.pcap');

describe.each(['snat', 'dsr', 'hybrid'] as const)('real capture, %s', (mode) => {
  it('delivers every request, re-injects every server packet, and every reply matches the capture', async () => {
    const scenario = await loadScenario(join(FIXTURES, 'scenarios', 'real-capture.yaml'));
    const t = tempDir();
    try {
      const r = await replay(CAPTURE, scenario, { mode, responder: 'capture', out: t.dir });
      const s = r.summary;
      expect(s.packets.in).toBe(77);
      expect(s.packets.dropped).toBe(0);
      expect(s.packets.unaccounted).toBe(0);
      expect(s.packets.in).toBe(s.packets.delivered + s.packets.toStack + s.packets.dropped + s.packets.answered);
      expect(s.withheld.count).toBe(0);
      expect(s.comparison).toBeDefined();
      expect(s.comparison!.compared).toBe(s.packets.server);
      expect(s.comparison!.mismatched).toBe(0);
      expect(s.comparison!.matched).toBe(s.packets.server);
      expect(s.comparison!.notDelivered).toBe(0);
      // The capture's flows went to pods, none to the LB node (backends are on node-b/node-c).
      expect(Object.keys(s.flowsByBackend).every((p) => p.startsWith('web-'))).toBe(true);

      if (hasTool('tshark')) {
        for (const f of readdirSync(join(t.dir, 'points'))) {
          const out = spawnSync(
            'tshark',
            ['-r', join(t.dir, 'points', f), '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-e', 'frame.number', '-e', '_ws.malformed', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'udp.checksum.status'],
            { encoding: 'utf8' },
          );
          expect(out.status, `${f}: ${out.stderr}`).toBe(0);
          for (const row of out.stdout.trim().split('\n').filter(Boolean).map((l) => l.split('\t'))) {
            expect(row[1] ?? '', `${f} frame ${row[0]} malformed`).toBe('');
            for (const st of row.slice(2)) if (st) expect(st, `${f} frame ${row[0]} checksum`).not.toMatch(/(^|,)0(,|$)/);
          }
        }
      }
    } finally {
      t.cleanup();
    }
  }, 120_000);
});
