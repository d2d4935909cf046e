// replay's onRun option: every hop of every cluster run handed to the caller, the same events
// flows.jsonl records (one line per event, in order), with the parsed frame and bytes of each and
// the client-side flow key of each capture packet. Small batches force several runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/index.js';
import { replay, type ReplayRun } from '../../src/replay.js';
import { capture, FIXTURES, tempDir } from '../helpers.js';

describe('replay onRun', () => {
  it('hands over the events flows.jsonl holds, with frames and flow keys', async () => {
    const sc = await loadScenario(join(FIXTURES, 'scenarios', 'real-capture.yaml'));
    const t = tempDir();
    try {
      const seen: { pkt: number; point: string; host: string | null; src?: string; len: number; key?: string; server: boolean }[] = [];
      let runs = 0;
      const onRun = (run: ReplayRun) => {
        runs++;
        for (const e of run.events) {
          const p = run.frame(e);
          expect(run.bytes(e).length).toBe(e.len);
          seen.push({
            pkt: e.pkt,
            point: e.point,
            host: e.host === null ? null : run.controlPlane.hosts[e.host]!.name,
            ...(p && typeof p.src === 'string' ? { src: p.src } : {}),
            len: e.len,
            ...(run.flowKey(e.pkt) !== undefined ? { key: run.flowKey(e.pkt) } : {}),
            server: run.isServer(e.pkt),
          });
        }
      };
      const { summary } = await replay(capture('real-http-udp.pcap'), sc, { mode: 'dsr', out: t.dir, batchRecords: 10, onRun });
      expect(runs).toBeGreaterThanOrEqual(8);
      const lines = readFileSync(join(t.dir, 'flows.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(seen.length).toBe(lines.length);
      seen.forEach((s, i) => {
        const l = lines[i];
        expect({ pkt: s.pkt, point: s.point, host: s.host, len: s.len }).toEqual({ pkt: l.packet, point: l.point, host: l.host, len: l.length });
        if (l.IP && s.src && !s.src.includes(':')) expect(s.src).toBe(l.IP.source);
      });
      // Capture packet 0 is the client's SYN; packet 1 the server's SYN-ACK, keyed by the request.
      const k0 = seen.find((s) => s.pkt === 0)!;
      const k1 = seen.find((s) => s.pkt === 1)!;
      expect(k0.key).toBe('6 203.0.113.7 55656 198.51.100.10 80');
      expect(k0.server).toBe(false);
      expect(k1.key).toBe(k0.key);
      expect(k1.server).toBe(true);
      expect(new Set(seen.filter((s) => s.server).map((s) => s.pkt)).size).toBe(summary.packets.server);
    } finally {
      t.cleanup();
    }
  });
});
