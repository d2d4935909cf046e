/**
 * packet.ts: the `packet` arbitrary: one packet a client sends to a frontend (TrafficPacket,
 * src/testing/traffic.ts): TCP with flags and options, UDP, ICMP echo, payloads from empty to a
 * full MTU and, for IPv4, past the MTU as fragments. Targets and clients come from the
 * constraints or from a scenario's frontends and clients. Whole flows are flow.ts.
 */
import fc from 'fast-check';
import type { Scenario } from '../../scenario/types.js';
import type { TcpOption } from '../../packet/build.js';
import { headerBytes, isV6, type ScenarioDocument, type TcpFlagName, type TrafficPacket, type TrafficProtocol } from '../traffic.js';
import { addressAt, addressInRange, parseRange } from './_internals/cidr.js';
import { checkNonEmpty, checkRange, FAMILIES, type Family } from './_internals/checks.js';
import { payloadLength } from './_internals/payloadLength.js';
import { parseTarget, scenarioTargets, type Target } from './_internals/targets.js';
import { optionBytes, tcpOptions } from './_internals/tcpOptions.js';

const PROTOCOLS: readonly TrafficProtocol[] = ['tcp', 'udp', 'icmp'];
const FLAG_SETS: TcpFlagName[][] = [['syn'], ['ack'], ['psh', 'ack'], ['fin', 'ack'], ['rst'], ['syn', 'ack'], ['rst', 'ack']];

/** Default clients when neither constraints nor a scenario name any. */
export const DEFAULT_CLIENTS = ['203.0.113.7', '2001:db8:c::7'];
/** Default targets: the web service of the fixtures. */
export const DEFAULT_TARGETS = ['tcp 198.51.100.10:80', 'udp 198.51.100.10:53', 'icmp 198.51.100.10', 'tcp [2001:db8:100::10]:80', 'udp [2001:db8:100::10]:53', 'icmp 2001:db8:100::10'];

/**
 * Constraints of packet.
 * @remarks Since 0.1.0
 * @public
 */
export interface PacketConstraints {
  /** @defaultValue `['tcp', 'udp', 'icmp']` */
  protocols?: TrafficProtocol[];
  /** @defaultValue `['ipv4', 'ipv6']` (as far as targets and clients allow) */
  families?: Family[];
  /** Take clients and targets (and the MTU) from this scenario: a path, a plain object or a loaded Scenario. */
  scenario?: string | ScenarioDocument | Scenario;
  /** Source addresses or CIDRs. @defaultValue the scenario's clients, else `DEFAULT_CLIENTS` */
  clients?: string[];
  /** `tcp ADDR:PORT`, `udp [ADDR]:PORT`, `icmp ADDR`. @defaultValue the scenario's frontends, else `DEFAULT_TARGETS` */
  targets?: (string | Target)[];
  /** The client's link MTU sizes are measured against. @defaultValue the scenario's smallest client MTU, else 1500 */
  mtu?: number;
  /** IPv4 payloads up to twice the MTU, sent as fragments. @defaultValue true */
  fragments?: boolean;
}

interface Complete {
  protocols: TrafficProtocol[];
  families: Family[];
  clients: { 4: string[]; 6: string[] };
  targets: Target[];
  mtu: number;
  fragments: boolean;
}

/** @internal */
export function buildCompletePacketConstraints(api: string, c: PacketConstraints): Complete {
  const protocols = c.protocols ?? [...PROTOCOLS];
  const families = c.families ?? [...FAMILIES];
  checkNonEmpty(api, 'protocols', protocols, PROTOCOLS);
  checkNonEmpty(api, 'families', families, FAMILIES);
  const fromScenario = c.scenario !== undefined ? scenarioTargets(c.scenario) : undefined;
  const clientList = c.clients ?? (fromScenario ? [...fromScenario.clients[4], ...fromScenario.clients[6]] : DEFAULT_CLIENTS);
  const clients = { 4: clientList.filter((x) => !isV6(x)), 6: clientList.filter(isV6) };
  const all = c.targets ? c.targets.map((t) => parseTarget(api, t)) : (fromScenario?.targets ?? DEFAULT_TARGETS.map((t) => parseTarget(api, t)));
  const targets = all.filter((t) => protocols.includes(t.protocol) && families.includes(isV6(t.address) ? 'ipv6' : 'ipv4') && clients[isV6(t.address) ? 6 : 4].length > 0);
  if (targets.length === 0) {
    throw new Error(`${api}: no target fits: ${all.length} target(s) (${all.map((t) => `${t.protocol} ${t.address}`).join(', ') || 'none'}), protocols ${protocols.join('/')}, families ${families.join('/')}, clients ${clientList.join(', ') || 'none'}`);
  }
  const mtu = c.mtu ?? fromScenario?.mtu ?? 1500;
  checkRange(api, 'mtu', mtu, mtu, 68, 65535);
  return { protocols, families, clients, targets, mtu, fragments: c.fragments ?? true };
}

/** A client address arbitrary for one family (addresses and CIDRs mixed). @internal */
export function clientAddress(api: string, list: string[], family: 4 | 6): fc.Arbitrary<string> {
  if (list.length === 0) return fc.constant('');
  const arbs = list.map((x) => {
    const r = parseRange(api, 'client', x, family);
    return x.includes('/') ? addressInRange(r, true) : fc.constant(addressAt(r, 0n));
  });
  return arbs.length === 1 ? arbs[0]! : fc.oneof({ withCrossShrink: true }, ...arbs);
}

/**
 * For packets a client sends to a frontend: protocol, addresses and ports, TCP flags and
 * options, payload sizes around the MTU, IPv4 fragments.
 * @param constraints - protocols, families, clients, targets or a scenario, MTU
 * @remarks Since 0.1.0
 * @public
 */
export function packet(constraints: PacketConstraints = {}): fc.Arbitrary<TrafficPacket> {
  const c = buildCompletePacketConstraints('packet', constraints);
  const room = c.mtu - 28;
  return fc
    .record({
      target: fc.nat({ max: c.targets.length - 1 }),
      c4: clientAddress('packet', c.clients[4], 4),
      c6: clientAddress('packet', c.clients[6], 6),
      sport: fc.integer({ min: 32768, max: 60999 }),
      flags: fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constantFrom(...FLAG_SETS), weight: 4 }, { arbitrary: fc.subarray(['syn', 'ack', 'fin', 'rst', 'psh', 'urg'] as TcpFlagName[], { minLength: 1 }), weight: 1 }),
      options: fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constant([] as TcpOption[]), weight: 3 }, { arbitrary: tcpOptions, weight: 1 }),
      len: c.fragments ? fc.oneof({ withCrossShrink: true }, { arbitrary: payloadLength(room), weight: 4 }, { arbitrary: fc.integer({ min: room, max: 2 * c.mtu }), weight: 1 }) : payloadLength(room),
      seq: fc.nat(),
    })
    .map(({ target, c4, c6, sport, flags, options, len, seq }) => {
      const t = c.targets[target]!;
      const v6 = isV6(t.address);
      const opt = t.protocol === 'tcp' ? options : [];
      const fit = c.mtu - headerBytes(t.protocol, v6, Math.ceil(optionBytes(opt) / 4) * 4);
      const fragment = !v6 && c.fragments && len > fit;
      const p: TrafficPacket = { proto: t.protocol, src: v6 ? c6 : c4, dst: t.address, sport: t.protocol === 'icmp' ? sport % 65536 : sport, dport: t.port, len: fragment ? len : Math.min(len, Math.max(0, fit)) };
      if (t.protocol === 'tcp') {
        p.flags = flags;
        if (opt.length) p.options = opt;
        if (seq !== 0) p.seq = seq;
      }
      if (fragment) p.fragment = Math.floor((c.mtu - 20) / 8) * 8;
      return p;
    });
}
