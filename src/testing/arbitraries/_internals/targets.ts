/**
 * targets.ts: what traffic can be aimed at in a scenario (every LoadBalancer and external IP
 * with each service port, every NodePort on each node address), who can send it (its clients),
 * and the client MTU; plus the target syntax `tcp 198.51.100.10:80` constraints accept.
 * Used by packet, flow and fromScenario.
 * @internal
 */
import { statSync } from 'node:fs';
import { loadTrialScenario } from '../../run.js';
import { parseIp } from '../../../scenario/addr.js';
import type { Scenario } from '../../../scenario/types.js';
import type { ScenarioDocument, TrafficProtocol } from '../../traffic.js';

/** Where a flow or packet is sent. */
export interface Target {
  protocol: TrafficProtocol;
  address: string;
  /** 0 for icmp. */
  port: number;
}

export interface ScenarioTargets {
  targets: Target[];
  clients: { 4: string[]; 6: string[] };
  mtu: number;
}

/** Parses `tcp 198.51.100.10:80`, `udp [2001:db8::1]:53`, `icmp 198.51.100.10`, `icmp 2001:db8::1` (or passes a Target through). */
export function parseTarget(api: string, t: string | Target): Target {
  if (typeof t !== 'string') return t;
  const bad = () => new Error(`${api}: target ${JSON.stringify(t)} is not PROTO ADDR:PORT (tcp/udp, IPv6 in brackets) or icmp ADDR`);
  const m = /^(tcp|udp|icmp)\s+(\S+)$/.exec(t.trim());
  if (!m) throw bad();
  const protocol = m[1] as TrafficProtocol;
  let addr = m[2]!;
  let portText: string | undefined;
  const br = /^\[([^\]]+)\](?::(\d+))?$/.exec(addr);
  if (br) [addr, portText] = [br[1]!, br[2]];
  else if (protocol !== 'icmp' && addr.lastIndexOf(':') > 0 && !addr.slice(0, addr.lastIndexOf(':')).includes(':')) [addr, portText] = [addr.slice(0, addr.lastIndexOf(':')), addr.slice(addr.lastIndexOf(':') + 1)];
  const ip = parseIp(addr);
  const port = portText !== undefined && /^\d{1,5}$/.test(portText) ? Number(portText) : undefined;
  if (!ip || (protocol === 'icmp') !== (portText === undefined) || (portText !== undefined && (port === undefined || port < 1 || port > 65535))) throw bad();
  return { protocol, address: ip.text, port: port ?? 0 };
}

const cache = new WeakMap<object, ScenarioTargets>();
const byPath = new Map<string, ScenarioTargets>();

/** Clients, targets and MTU of a scenario (a path, a plain object or a loaded Scenario). */
export function scenarioTargets(scenario: string | ScenarioDocument | Scenario): ScenarioTargets {
  const key = typeof scenario === 'string' ? `${scenario}\0${statSync(scenario, { throwIfNoEntry: false })?.mtimeMs ?? 'missing'}` : '';
  const hit = typeof scenario === 'string' ? byPath.get(key) : cache.get(scenario);
  if (hit) return hit;
  const s = loadTrialScenario(scenario);
  const out = targetsOf(s);
  if (typeof scenario === 'string') byPath.set(key, out);
  else cache.set(scenario, out);
  return out;
}

function targetsOf(s: Scenario): ScenarioTargets {
  const targets: Target[] = [];
  const seen = new Set<string>();
  const add = (t: Target) => {
    const k = `${t.protocol} ${t.address} ${t.port}`;
    if (!seen.has(k)) {
      seen.add(k);
      targets.push(t);
    }
  };
  for (const svc of s.services) {
    const vips = [...(svc.type === 'LoadBalancer' ? svc.loadBalancerIPs : []), ...svc.externalIPs];
    for (const p of svc.ports) {
      if (p.protocol === 'SCTP') continue;
      const protocol = p.protocol === 'TCP' ? 'tcp' : 'udp';
      for (const a of vips) add({ protocol, address: a, port: p.port });
    }
    for (const p of svc.ports) {
      if (p.protocol === 'SCTP' || p.nodePort === undefined || svc.type === 'ClusterIP') continue;
      const protocol = p.protocol === 'TCP' ? 'tcp' : 'udp';
      for (const n of s.nodes) {
        for (const f of svc.ipFamilies) {
          const a = f === 4 ? n.ipv4 : n.ipv6;
          if (a) add({ protocol, address: a, port: p.nodePort });
        }
      }
    }
  }
  const clients = { 4: s.clients.flatMap((c) => (c.ipv4 ? [c.ipv4] : [])), 6: s.clients.flatMap((c) => (c.ipv6 ? [c.ipv6] : [])) };
  const mtus = s.clients.map((c) => c.mtu);
  return { targets, clients, mtu: mtus.length ? Math.min(...mtus) : s.cilium.MTU };
}
