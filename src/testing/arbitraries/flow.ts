/**
 * flow.ts: the `flow` arbitrary: one client's flow to one frontend (Flow, src/testing/traffic.ts):
 * a TCP connection (SYN with or without options, handshake ACK, data segments, FIN/RST or
 * nothing), a UDP exchange, or ICMP echoes, with payloads from empty to a full MTU (and, for
 * IPv4 UDP, past it as fragments). Several flows at once are flows.ts.
 */
import fc from 'fast-check';
import type { Scenario } from '../../scenario/types.js';
import type { TcpOption } from '../../packet/build.js';
import { headerBytes, isV6, type Flow, type ScenarioDocument, type TrafficProtocol } from '../traffic.js';
import { buildCompletePacketConstraints, clientAddress } from './packet.js';
import { checkNonEmpty, checkRange, type Family } from './_internals/checks.js';
import { payloadLength } from './_internals/payloadLength.js';
import type { Target } from './_internals/targets.js';
import { synOptions } from './_internals/tcpOptions.js';

const CLOSES: readonly NonNullable<Flow['close']>[] = ['fin', 'rst', 'none'];

/**
 * Constraints of flow (and flows).
 * @remarks Since 0.1.0
 * @public
 */
export interface FlowConstraints {
  /** @defaultValue `['tcp', 'udp']` */
  protocols?: TrafficProtocol[];
  /** @defaultValue `['ipv4', 'ipv6']` (as far as targets and clients allow) */
  families?: Family[];
  /** Take clients, targets and the MTU from this scenario (a path, a plain object or a loaded Scenario). */
  scenario?: string | ScenarioDocument | Scenario;
  /** Client addresses or CIDRs. @defaultValue the scenario's clients, else `DEFAULT_CLIENTS` */
  clients?: string[];
  /** `tcp ADDR:PORT`, `udp [ADDR]:PORT`, `icmp ADDR`. @defaultValue the scenario's frontends, else `DEFAULT_TARGETS` */
  targets?: (string | Target)[];
  /** Client ports. @defaultValue `{min: 32768, max: 60999}` (Linux's ephemeral range) */
  clientPorts?: { min: number; max: number };
  /** Most data segments / datagrams per flow. @defaultValue 3 */
  maxData?: number;
  /** The client's link MTU. @defaultValue the scenario's smallest client MTU, else 1500 */
  mtu?: number;
  /** TCP SYNs sometimes carry Linux's options (MSS, SACK, timestamps, window scale). @defaultValue true */
  synOptions?: boolean;
  /** IPv4 UDP datagrams up to twice the MTU, sent as fragments. @defaultValue false */
  fragments?: boolean;
  /** How TCP flows end. @defaultValue `['fin', 'rst', 'none']` */
  closes?: NonNullable<Flow['close']>[];
}

/** @internal */
export function buildCompleteFlowConstraints(api: string, c: FlowConstraints) {
  const base = buildCompletePacketConstraints(api, { ...c, protocols: c.protocols ?? ['tcp', 'udp'], fragments: c.fragments ?? false });
  const clientPorts = c.clientPorts ?? { min: 32768, max: 60999 };
  checkRange(api, 'clientPorts', clientPorts.min, clientPorts.max, 1, 65535);
  const maxData = c.maxData ?? 3;
  checkRange(api, 'maxData', 0, maxData, 0, 64);
  const closes = c.closes ?? [...CLOSES];
  checkNonEmpty(api, 'closes', closes, CLOSES);
  return { ...base, clientPorts, maxData, synOptions: c.synOptions ?? true, closes };
}

/**
 * For one client's flow to one frontend, shrinking towards a bare TCP handshake with no data.
 * @param constraints - protocols, families, clients, targets or a scenario, sizes
 * @remarks Since 0.1.0
 * @public
 */
export function flow(constraints: FlowConstraints = {}): fc.Arbitrary<Flow> {
  return flowFrom(buildCompleteFlowConstraints('flow', constraints));
}

/** @internal */
export function flowFrom(c: ReturnType<typeof buildCompleteFlowConstraints>): fc.Arbitrary<Flow> {
  const room = c.mtu - 28;
  const size = c.fragments ? fc.oneof({ withCrossShrink: true }, { arbitrary: payloadLength(room), weight: 4 }, { arbitrary: fc.integer({ min: room, max: 2 * c.mtu }), weight: 1 }) : payloadLength(room);
  return fc
    .record({
      target: fc.nat({ max: c.targets.length - 1 }),
      c4: clientAddress('flow', c.clients[4], 4),
      c6: clientAddress('flow', c.clients[6], 6),
      cport: fc.integer(c.clientPorts),
      data: fc.array(size, { maxLength: c.maxData }),
      close: fc.constantFrom(...c.closes),
      synOptions: c.synOptions ? synOptions : fc.constant([] as TcpOption[]),
    })
    .map(({ target, c4, c6, cport, data, close, synOptions }) => {
      const t = c.targets[target]!;
      const v6 = isV6(t.address);
      const fit = Math.max(0, c.mtu - headerBytes(t.protocol, v6));
      const frag = t.protocol !== 'tcp' && !v6 && c.fragments;
      const f: Flow = { proto: t.protocol, client: v6 ? c6 : c4, cport, frontend: t.address, fport: t.port, data: data.map((n) => (frag ? n : Math.min(n, fit))) };
      if (t.protocol === 'tcp') {
        f.close = close;
        if (synOptions.length) f.synOptions = synOptions;
      }
      if (frag && f.data.some((n) => n > fit)) f.fragment = Math.floor((c.mtu - 20) / 8) * 8;
      return f;
    });
}
