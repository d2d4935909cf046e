/**
 * profile.test.ts: the version profiles encode the spec's version differences at the chosen
 * switch versions, and every switch cites the spec.
 */

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';

import { CILIUM_VERSIONS, DEFAULT_CILIUM_VERSION, SWITCHES, atLeast, hasSwitched, profileFor } from '../../src/scenario/index.js';
import type { SwitchName } from '../../src/scenario/index.js';

describe('profileFor', () => {
  it('knows 1.15 … 1.19 and defaults to the newest', () => {
    expect(CILIUM_VERSIONS).toEqual(['1.15', '1.16', '1.17', '1.18', '1.19']);
    expect(DEFAULT_CILIUM_VERSION).toBe('1.19');
    for (const v of CILIUM_VERSIONS) expect(profileFor(v).version).toBe(v);
  });

  it('refuses an unknown version', () => {
    expect(() => profileFor('1.14')).toThrow(/unknown Cilium version/);
  });

  it.each([
    ['1.15', 'host-swapped', false, 'per-protocol', 128, 'modulo', 'drop', 'client'],
    ['1.16', 'network', false, 'per-service-flag', 128, 'modulo', 'reject', 'client'],
    ['1.17', 'network', false, 'per-service-flag', 128, 'modulo', 'reject', 'client'],
    ['1.18', 'network', true, 'per-service-flag', 32, 'scaled', 'reject', 'service'],
    ['1.19', 'network', true, 'per-service-flag', 32, 'scaled', 'reject', 'service'],
  ] as const)('%s: option order %s, need_dsr_info %s, DSR decision %s, SNAT retries %d (%s), no-backend %s, Maglev high port %s', (v, order, need, decision, retries, clamp, noBackend, high) => {
    const p = profileFor(v);
    expect(p.dsr.ipv4OptionByteOrder).toBe(order);
    expect(p.dsr.infoWhenNeeded).toBe(need);
    expect(p.mtu.geneveOverheadCountsOptionAlways).toBe(need);
    expect(p.dsr.decision).toBe(decision);
    expect(p.snat.collisionRetries).toBe(retries);
    expect(p.snat.signalThreshold).toBe(retries / 2);
    expect(p.snat.portClamp).toBe(clamp);
    expect(p.noBackend.defaultResponse).toBe(noBackend);
    expect(p.maglev.highPort).toBe(high);
    expect(p.maglev.affinityZeroes).toBe(high === 'service' ? 'client' : 'service');
  });

  it('ICMP frag-needed: header + 8 bytes, VIP restored, ID copied, DF set before 1.18; whole original packet, ID 0, no DF after', () => {
    expect(profileFor('1.17').icmpFragNeeded).toMatchObject({ quote: 'header-and-l4-start', quotedPacket: 'restored', outerIdFromOriginal: true, outerDontFragment: true, outerSource: 'current-destination', xdpQuoteBytes: null, quoteL4BytesV4: 8, quotePayloadBytesV6: 64 });
    expect(profileFor('1.18').icmpFragNeeded).toMatchObject({ quote: 'whole-packet', quotedPacket: 'original', outerIdFromOriginal: false, outerDontFragment: false, outerSource: 'service-address', xdpQuoteBytes: 28 });
  });

  it('CT timeouts are the agent defaults in every version (8000 s established TCP)', () => {
    for (const v of CILIUM_VERSIONS) {
      expect(profileFor(v).conntrack).toEqual({ synTimeout: 60, tcpTimeout: 8000, closeTimeout: 10, anyTimeout: 60, serviceTcpTimeout: 8000, serviceAnyTimeout: 60, serviceCloseRebalance: 60 });
    }
  });

  it('ipip needs XDP until 1.19; hybrid+ipip and annotation-mode dispatch checks until 1.18', () => {
    expect(CILIUM_VERSIONS.map((v) => profileFor(v).dsr.ipipRequiresXdp)).toEqual([true, true, true, true, false]);
    expect(CILIUM_VERSIONS.map((v) => profileFor(v).dsr.hybridRefusesIpip)).toEqual([true, true, true, false, false]);
    expect(CILIUM_VERSIONS.map((v) => profileFor(v).features.lbModeAnnotation)).toEqual([false, true, true, true, true]);
  });

  it('every switch names a spec section and a note, and a known version', () => {
    for (const [name, s] of Object.entries(SWITCHES)) {
      expect(s.spec, name).toMatch(/§|\.go|cilium/);
      expect(s.note.length, name).toBeGreaterThan(20);
      expect(CILIUM_VERSIONS as readonly string[]).toContain(s.since);
    }
  });

  it('a switch, once on, stays on in every later version (property)', () => {
    const names = Object.keys(SWITCHES) as SwitchName[];
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.constantFrom(...CILIUM_VERSIONS), fc.constantFrom(...CILIUM_VERSIONS), (name, a, b) => {
        if (atLeast(b, a) && hasSwitched(a, name)) return hasSwitched(b, name);
        return true;
      }),
    );
  });

  it('profiles are plain data (JSON round trip is identity)', () => {
    for (const v of CILIUM_VERSIONS) expect(JSON.parse(JSON.stringify(profileFor(v)))).toEqual(profileFor(v));
  });
});
