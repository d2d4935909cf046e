// replay's hot path in C (native/src/replay_sink.c, replay_flows.c) against replay as it was in
// TypeScript (reference/replay-reference.ts): on the same capture and scenario both must write
// the same bytes (summary.json, flows.jsonl, every points/*.pcap), return the same summary and
// throw the same errors. The cases (equivalence-cases.ts) cover every kind of event and packet
// the outputs name; a property adds random captures (odd packets, truncations, junk, times that
// cross garbage collection) over every fixture scenario and responder.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildArp, buildPacket } from '../../src/packet/build.js';
import { replay } from '../../src/replay.js';
import { tempDir } from '../helpers.js';
import { caseCapture, firstDifference, replayCases, runCase, type ReplayCase } from './equivalence-cases.js';
import { CLIENT4, CLIENT6, CLUSTER_IP4, NODE_A4, NODE_B4, VIP4, VIP6 } from './helpers.js';
import { replay as referenceReplay } from './reference/replay-reference.js';

const tmp = tempDir('dsrlab-equivalence-');
afterAll(() => tmp.cleanup());

let dirs = 0;
async function both(c: ReplayCase): Promise<string | undefined> {
  const dir = join(tmp.dir, String(dirs++));
  mkdirSync(dir);
  const cap = caseCapture(c, dir);
  const want = await runCase(referenceReplay, c, cap, join(dir, 'reference'), tmp.dir);
  const got = await runCase(replay, c, cap, join(dir, 'out'), tmp.dir);
  return firstDifference(want, got);
}

describe('replay writes, byte for byte, what the TypeScript reference wrote', () => {
  it.each(replayCases().map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expect(await both(c)).toBeUndefined();
  });
});

/** A random packet of the fixture scenarios' world: either direction, odd or cut short. */
const ADDRS4 = [CLIENT4, VIP4, NODE_A4, NODE_B4, CLUSTER_IP4, '10.244.1.10', '192.0.2.99'];
const ADDRS6 = [CLIENT6, VIP6, 'fd00:10::12', '2001:db8:c::8'];
const packetArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .record({
      v6: fc.boolean(),
      from: fc.nat(10),
      to: fc.nat(10),
      proto: fc.constantFrom('tcp', 'udp', 'icmp'),
      sport: fc.constantFrom(80, 53, 30080, 40000, 40001, 5000, 9999),
      dport: fc.constantFrom(80, 53, 30080, 40000, 40001, 5000, 9999),
      flags: fc.integer({ min: 0, max: 255 }),
      icmpType: fc.constantFrom(0, 8, 3, 11, 128, 129, 1),
      payload: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1400, max: 1600 })),
      cut: fc.option(fc.integer({ min: 0, max: 80 }), { freq: 6 }),
      vlan: fc.option(fc.integer({ min: 1, max: 4000 }), { freq: 8 }),
    })
    .map((p) => {
      const list = p.v6 ? ADDRS6 : ADDRS4;
      const src = list[p.from % list.length]!;
      const dst = list[p.to % list.length]!;
      const ip = p.v6 ? { ipv6: { src, dst } } : { ipv4: { src, dst } };
      const l4 =
        p.proto === 'tcp'
          ? { tcp: { sport: p.sport, dport: p.dport, flags: p.flags, seq: 1000, ack: 1 } }
          : p.proto === 'udp'
            ? { udp: { sport: p.sport, dport: p.dport } }
            : p.v6
              ? { icmpv6: { type: p.icmpType === 8 ? 128 : p.icmpType === 0 ? 129 : p.icmpType, id: p.sport, seq: 1 } }
              : { icmp: { type: p.icmpType, id: p.sport, seq: 1 } };
      const frame = buildPacket({ ...ip, ...l4, ...(p.payload ? { payload: p.payload } : {}), ...(p.vlan !== null ? { eth: { vlans: [p.vlan] } } : {}) });
      return p.cut !== null ? frame.subarray(0, Math.min(frame.length, p.cut)) : frame;
    }),
  fc.record({ from: fc.nat(6), to: fc.nat(6), reply: fc.boolean() }).map((a) =>
    buildArp({ op: a.reply ? 'reply' : 'request', senderMac: '02:00:00:00:00:07', senderIp: ADDRS4[a.from]!, targetIp: ADDRS4[a.to]! }),
  ),
  fc.uint8Array({ minLength: 0, maxLength: 70 }),
);

describe('random captures', () => {
  it('give the same outputs as the reference', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(packetArb, fc.integer({ min: 0, max: 90_000 })), { minLength: 1, maxLength: 40 }),
        fc.constantFrom('snat.yaml', 'dsr.yaml', 'hybrid.yaml', 'maglev.yaml', 'dsr-geneve.yaml', 'dsr-ipv6.yaml'),
        fc.constantFrom('capture', 'echo', 'none', undefined),
        fc.constantFrom(undefined, 3),
        async (pkts, scenario, responder, batchRecords) => {
          let t = 1_700_000_000_000; // ms
          const times = pkts.map(([, dt]) => {
            t += dt;
            return { sec: Math.floor(t / 1000), nsec: (t % 1000) * 1_000_000 + 7 };
          });
          const c: ReplayCase = {
            name: 'random',
            scenario,
            capture: { packets: () => pkts.map(([p]) => p), times: (i) => times[i]! },
            opts: { ...(responder ? { responder } : {}), ...(batchRecords ? { batchRecords } : {}) },
          };
          expect(await both(c)).toBeUndefined();
        },
      ),
      { numRuns: 40 },
    );
  }, 300_000);
});
