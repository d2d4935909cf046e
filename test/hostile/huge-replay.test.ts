// Replay memory is bounded (issue #7, part 4), small scale: the replay child of a generated
// 12 MiB capture and of one 4× larger (with every output on, flows.jsonl included) must both
// finish with every packet accounted for and every output pcap readable to its end; and the
// larger one's peak RSS may exceed the smaller one's by far less than the extra input (a leak
// that kept a fraction of the capture, or the outputs, would show). scripts/huge-replay.ts runs
// the same at several GiB.
import { describe, expect, it, afterAll } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeHugeCapture, replayChild, pcapPackets, type HugeReplayResult } from '../../scripts/huge-replay.js';
import { FIXTURES, tempDir } from '../helpers.js';

const MiB = 2 ** 20;

describe('replay in bounded memory', () => {
  const t = tempDir('dsrlab-huge-test-');
  afterAll(() => t.cleanup());

  async function run(name: string, bytes: number): Promise<{ gen: ReturnType<typeof writeHugeCapture>; r: HugeReplayResult; out: string }> {
    const capture = join(t.dir, `${name}.pcap`);
    const out = join(t.dir, `${name}-out`);
    const gen = writeHugeCapture(capture, bytes, 7);
    const r = await replayChild(capture, join(FIXTURES, 'scenarios', 'snat.yaml'), out, 'hops');
    return { gen, r, out };
  }

  it('a 4× larger capture costs far less than 4× the memory, and every output is complete', async () => {
    const small = await run('small', 12 * MiB);
    const large = await run('large', 48 * MiB);
    for (const { gen, r, out } of [small, large]) {
      expect(r.status, r.stderr).toBe(0);
      expect(r.summary!.packets.in).toBe(gen.packets);
      expect(r.summary!.packets.unaccounted).toBe(0);
      expect(r.stderr).toBe(''); // the progress line (forced on, shown after a second) is erased at the end
      for (const f of readdirSync(join(out, 'points'))) expect(pcapPackets(join(out, 'points', f))).toBeTypeOf('number');
      expect(r.summary!.outputs!.flowRecords).toBeGreaterThan(gen.packets);
    }
    // The outputs of the larger run are several times its 48 MiB input; holding even a tenth
    // of input or outputs would add well over 20 MiB.
    expect(large.r.peakRss - small.r.peakRss).toBeLessThan(20 * MiB);
    expect(large.r.peakRss).toBeLessThan(400 * MiB);
  }, 300_000);
});
