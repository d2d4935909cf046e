/**
 * cluster.ts: `Cluster`, the emulated cluster as a library object: built from a scenario, fed
 * frames (one batch, one addon call), answering with the hop-by-hop events and the frame at
 * every hop. `replay` (src/replay.ts) streams whole captures through the same machinery;
 * `explain` and the testing kit use this directly.
 */
import { buildControlPlane, type ControlPlane } from './datapath/control-plane.js';
import { decodeEvents, eventFrame, type DatapathEvent } from './datapath/events.js';
import type { Responder } from './datapath/config.js';
import { canonicalIp } from './datapath/flow-record.js';
import { packBatch } from './packet/parse.js';
import { addon, REC } from './native.js';
import type { LbMode, Scenario } from './scenario/types.js';

export interface ClusterOptions {
  /** Overrides cilium.loadBalancer.mode. */
  mode?: LbMode;
  /** What the pods answer: `echo` (default here), `none`, or `capture` (server frames given to send()). */
  responder?: Responder;
  /**
   * Test-only: planted datapath faults (DATAPATH_FAULTS bits, src/datapath/faults.ts) that break
   * one invariant each, so tests can prove the dsrlab/testing invariants catch them.
   */
  faults?: number;
}

/** A frame to put on the wire. */
export interface SendFrame {
  /** An Ethernet frame (or raw IP with linktype). */
  frame: Uint8Array;
  /** The sending host's name; default: the host owning the source address, else `world`. */
  from?: string;
  /** Capture time (seconds, nanoseconds); default: one millisecond after the previous frame. */
  ts?: { sec: number; nsec: number };
  /** A server packet of a capture (responder `capture`): re-injected at the pod holding its flow. */
  server?: boolean;
  linktype?: number;
}

/** One hop of one packet, with names resolved and the frame as it was there. */
export interface Hop extends DatapathEvent {
  hostName: string;
  peerName?: string;
  frame: Buffer;
}

export class Cluster {
  readonly scenario: Scenario;
  readonly controlPlane: ControlPlane;
  private nextId = 0;
  private clock = { sec: 1_700_000_000, nsec: 0 };

  private constructor(scenario: Scenario, opts: ClusterOptions) {
    this.scenario = scenario;
    this.controlPlane = buildControlPlane(scenario, { mode: opts.mode, responder: opts.responder ?? 'echo', ...(opts.faults ? { faults: opts.faults } : {}) });
  }

  /** Builds the cluster a scenario describes (hosts, services on every node, Maglev tables). */
  static fromScenario(scenario: Scenario, opts: ClusterOptions = {}): Cluster {
    return new Cluster(scenario, opts);
  }

  get mode(): LbMode {
    return this.controlPlane.mode;
  }

  hostName(id: number): string {
    return this.controlPlane.hosts[id]?.name ?? (id === 0xffffffff ? '-' : `host-${id}`);
  }

  /**
   * Frees the emulated cluster's native state now. The garbage collector would do it too, but
   * only once the event loop turns, so code that builds many clusters in one synchronous run
   * (a property test) closes each when done. Names and the control plane stay readable;
   * send() throws afterwards.
   */
  close(): void {
    this.controlPlane.cluster.close();
  }

  /** The host that would send a frame from this source address. */
  senderOf(src: string): number {
    return this.controlPlane.hostByAddress.get(canonicalIp(src)) ?? this.controlPlane.world;
  }

  /**
   * Sends frames in order through the cluster (state carries over between calls) and returns
   * every hop of every packet, including packets the datapath or responders made.
   * Packet ids count up across calls.
   */
  send(frames: SendFrame[]): Hop[] {
    const batch = packBatch(frames.map((f) => f.frame));
    const hosts = new Uint32Array(frames.length);
    const server = new Uint8Array(frames.length);
    const ids = new Uint32Array(frames.length);
    const parsed = addon().parsePackets(batch.data, batch.index, batch.count);
    frames.forEach((f, i) => {
      const o = i * 8;
      this.clock = f.ts ?? { sec: this.clock.sec + Math.floor((this.clock.nsec + 1_000_000) / 1e9), nsec: (this.clock.nsec + 1_000_000) % 1e9 };
      batch.index[o + REC.TS_SEC] = this.clock.sec;
      batch.index[o + REC.TS_NSEC] = this.clock.nsec;
      if (f.linktype !== undefined) batch.index[o + REC.LINKTYPE] = f.linktype;
      const byName = f.from !== undefined ? this.controlPlane.hostByName.get(f.from) : undefined;
      if (f.from !== undefined && !byName) throw new Error(`Cluster.send: no host named '${f.from}'`);
      const src = parsed[i]?.src;
      hosts[i] = byName ? byName.id : typeof src === 'string' ? this.senderOf(src) : this.controlPlane.world;
      server[i] = f.server ? 1 : 0;
      ids[i] = this.nextId++;
    });
    const hops: Hop[] = [];
    let start = 0;
    while (start < frames.length) {
      const sub = start === 0 ? batch : packBatch(frames.slice(start).map((f) => f.frame));
      if (start > 0) sub.index.set(batch.index.subarray(start * 8));
      // Output room sized to the batch (the C side reserves MAX_EVENTS_PER_PKT = 96 events and
      // 96 × (len + 512) arena bytes per packet, and stops early when it runs out): a small
      // send() then costs microseconds instead of zero-filling 68 MB.
      const left = frames.slice(start);
      const events = Math.min(1 << 16, 96 * (left.length + 1));
      const arena = Math.min(64 << 20, left.reduce((n, f) => n + 96 * (f.frame.length + 512), 0));
      const r = this.controlPlane.cluster.run(sub.data, sub.index, sub.count, hosts.subarray(start), server.subarray(start), ids.subarray(start), events, arena);
      for (const e of decodeEvents(r.events)) {
        hops.push({ ...e, hostName: e.host === null ? "-" : this.hostName(e.host), peerName: e.peer === null ? undefined : this.hostName(e.peer), frame: Buffer.from(eventFrame(r.arena, e)) });
      }
      if (r.processed === 0) throw new Error('Cluster.send: the event log could not hold one packet');
      start += r.processed;
    }
    return hops;
  }
}
