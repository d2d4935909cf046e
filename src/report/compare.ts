/**
 * compare.ts: `compare()`, the same capture replayed once per load-balancer mode and the results
 * lined up flow by flow: hops per request and reply, the reply's path, the source address the
 * backend saw, MTU drops and ICMP errors, SNAT ports; and per mode the packets per fate, drops
 * by reason and bytes on every host's link. The per-flow facts come from trace.ts; the terminal
 * rendering is compare-text.ts's.
 */
import { LB_MODES, type Responder } from '../datapath/config.js';
import { InputError } from '../errors.js';
import { captureHasServerPackets, replay, type ReplaySummary } from '../replay.js';
import { loadScenario } from '../scenario/index.js';
import type { LbMode, Scenario } from '../scenario/types.js';
import { flowLabel } from './flow-key.js';
import { TraceCollector, type Fate, type FlowStats, type LinkTotals } from './trace.js';

export interface CompareOptions {
  /** Modes to run, in order (default snat, dsr, hybrid). */
  modes?: LbMode[];
  /** Default: replay's (capture when the capture holds server packets, else echo). */
  responder?: Responder;
}

/** Links crossed per packet: the most common count and the range. */
export interface HopStats {
  typical: number;
  min: number;
  max: number;
}

/** One flow under one mode. */
export interface FlowModeStats {
  packets: { requests: number; replies: number; icmpErrors: number };
  fates: Record<Fate, number>;
  backends: string[];
  /** How requests were forwarded: `dsr` (DSR information carried), `snat`, both, or `none` (local, dropped early). */
  forwarding: 'dsr' | 'snat' | 'dsr+snat' | 'none';
  /** The node where requests entered the cluster (the load-balancing node). */
  lbNode?: string;
  hops: { request: HopStats | null; reply: HopStats | null };
  /** The most common host path of requests and replies. */
  requestPath: string[];
  replyPath: string[];
  /** True when the most common reply path passes the LB node (undefined without replies or LB node). */
  replyViaLbNode?: boolean;
  /** Every path → packets. */
  paths: { request: Record<string, number>; reply: Record<string, number> };
  backendSaw: string[];
  clientSaw: string[];
  drops: Record<string, number>;
  mtu: { answered: number; dropped: number };
  icmpErrors: Record<string, number>;
  snatPorts: number[];
}

export interface CompareFlow {
  key: string;
  label: string;
  protocol: string;
  family: 4 | 6 | 0;
  client: string;
  clientPort?: number;
  frontend: string;
  frontendPort?: number;
  /** By mode; null when the flow did not occur in that mode's run. */
  modes: Record<string, FlowModeStats | null>;
}

export interface CompareRun {
  mode: LbMode;
  responder: Responder;
  packets: ReplaySummary['packets'];
  dropReasons: Record<string, number>;
  drops: { reason: string; code: number; description: string; count: number; where: Record<string, number> }[];
  /** Host → frames and bytes on its link (wire-<host>.pcap). */
  links: Record<string, LinkTotals>;
  flows: ReplaySummary['flows'];
  flowsByBackend: Record<string, number>;
  responses: ReplaySummary['responses'];
  withheld: ReplaySummary['withheld'];
  comparison?: ReplaySummary['comparison'];
}

export interface CompareResult {
  capture: string;
  scenario: string;
  ciliumVersion: string;
  modes: LbMode[];
  responder: Responder;
  runs: CompareRun[];
  /** Every flow of any run, in order of first appearance. */
  flows: CompareFlow[];
}

function hopStats(h: Record<number, number>): HopStats | null {
  const entries = Object.entries(h).map(([k, v]) => [Number(k), v] as const);
  if (!entries.length) return null;
  let typical = entries[0]!;
  for (const e of entries) if (e[1] > typical[1] || (e[1] === typical[1] && e[0] < typical[0])) typical = e;
  const ks = entries.map(([k]) => k);
  return { typical: typical[0], min: Math.min(...ks), max: Math.max(...ks) };
}

function mostCommon(paths: Record<string, number>): string[] {
  let best: [string, number] | undefined;
  for (const [p, n] of Object.entries(paths)) if (!best || n > best[1]) best = [p, n];
  return best && best[0] ? best[0].split('>') : [];
}

/** One flow's stats as compare reports them. `isNode` tells nodes from other hosts. */
export function flowModeStats(s: FlowStats, isNode: (host: string) => boolean): FlowModeStats {
  const requestPath = mostCommon(s.paths.request);
  const replyPath = mostCommon(s.paths.reply);
  const lbNode = requestPath.find(isNode);
  const forwarding = s.dsrPackets && s.snatPackets ? 'dsr+snat' : s.dsrPackets ? 'dsr' : s.snatPackets ? 'snat' : 'none';
  const out: FlowModeStats = {
    packets: { ...s.packets },
    fates: { ...s.fates },
    backends: [...s.backends],
    forwarding,
    hops: { request: hopStats(s.hops.request), reply: hopStats(s.hops.reply) },
    requestPath,
    replyPath,
    paths: { request: { ...s.paths.request }, reply: { ...s.paths.reply } },
    backendSaw: [...s.backendSaw],
    clientSaw: [...s.clientSaw],
    drops: { ...s.drops },
    mtu: { ...s.mtu },
    icmpErrors: { ...s.icmpErrors },
    snatPorts: [...s.snatPorts],
  };
  if (lbNode) out.lbNode = lbNode;
  if (lbNode && replyPath.length) out.replyViaLbNode = replyPath.includes(lbNode);
  return out;
}

/** Checks a mode list (`--modes snat,dsr`), naming the bad value. */
export function parseModes(text: string): LbMode[] {
  const modes = text
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  if (!modes.length) throw new InputError({ file: '--modes' }, 'no mode given: list one or more of snat, dsr, hybrid, separated by commas');
  for (const m of modes) {
    if (!(LB_MODES as readonly string[]).includes(m)) {
      throw new InputError({ file: '--modes' }, `${JSON.stringify(m)} is not a load-balancer mode: allowed values are ${LB_MODES.join(', ')}`);
    }
  }
  if (new Set(modes).size !== modes.length) throw new InputError({ file: '--modes' }, `a mode is listed twice in ${JSON.stringify(text)}`);
  return modes as LbMode[];
}

/**
 * Replays `capture` once per mode and lines the results up. `scenario` is a scenario file (loaded
 * once per mode, so each mode is validated as `--mode` would be) or a loaded Scenario (the mode
 * is then only overridden for the run). Throws InputError for bad input.
 */
export async function compare(capture: string, scenario: string | Scenario, opts: CompareOptions = {}): Promise<CompareResult> {
  const modes = opts.modes ?? [...LB_MODES];
  if (!modes.length) throw new InputError({ file: '--modes' }, 'no mode given');
  // Every mode's scenario is loaded (and validated) before anything runs.
  const scenarios: Scenario[] = [];
  for (const mode of modes) scenarios.push(typeof scenario === 'string' ? await loadScenario(scenario, { overrides: { loadBalancerMode: mode } }) : scenario);
  const first = scenarios[0]!;
  const responder: Responder = opts.responder ?? (captureHasServerPackets(capture, first) ? 'capture' : 'echo');

  const runs: CompareRun[] = [];
  const flows = new Map<string, CompareFlow>();
  for (const [i, mode] of modes.entries()) {
    const sc = scenarios[i]!;
    const collector = new TraceCollector();
    const { summary, controlPlane } = await replay(capture, sc, { mode, responder, onRun: collector.onRun });
    const isNode = (h: string) => controlPlane.hostByName.get(h)?.kind === 'node';
    const run: CompareRun = {
      mode,
      responder,
      packets: summary.packets,
      dropReasons: summary.dropReasons,
      drops: summary.drops,
      links: collector.links,
      flows: summary.flows,
      flowsByBackend: summary.flowsByBackend,
      responses: summary.responses,
      withheld: summary.withheld,
    };
    if (summary.comparison) run.comparison = summary.comparison;
    runs.push(run);
    for (const ft of collector.flows()) {
      const id = ft.stats.id;
      let f = flows.get(id.key);
      if (!f) {
        f = { key: id.key, label: flowLabel(id), protocol: id.protocol, family: id.family, client: id.client, frontend: id.frontend, modes: {} };
        if (id.ported && id.clientPort !== undefined) f.clientPort = id.clientPort;
        if (id.ported && id.frontendPort !== undefined) f.frontendPort = id.frontendPort;
        flows.set(id.key, f);
      }
      f.modes[mode] = flowModeStats(ft.stats, isNode);
    }
  }
  for (const f of flows.values()) for (const m of modes) f.modes[m] ??= null;
  return {
    capture,
    scenario: first.file,
    ciliumVersion: first.cilium.version,
    modes,
    responder,
    runs,
    flows: [...flows.values()],
  };
}
