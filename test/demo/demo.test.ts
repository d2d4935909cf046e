// `dsrlab demo`: the facts its lessons state, per mode, come from the runs' events; the CLI
// renders them (one mode or all three), with no escape codes under NO_COLOR.
import { describe, expect, it } from 'vitest';
import { runDemo, type DemoModeRun, type DemoResult } from '../../src/demo/demo.js';
import { demoScenario } from '../../src/demo/scenario.js';
import { runCli } from '../helpers.js';

const CLIENT = '203.0.113.7';
const NODE_A = '192.168.10.11';

describe('the built-in scenario', () => {
  it('is a valid scenario: three nodes, the LoadBalancer entering at node-a, backends on node-b and node-c only', () => {
    const s = demoScenario();
    expect(s.nodes.map((n) => n.name)).toEqual(['node-a', 'node-b', 'node-c']);
    expect(s.frontends).toEqual([{ address: '198.51.100.10', family: 4, node: 'node-a' }]);
    expect(s.cilium).toMatchObject({ version: '1.19', MTU: 1500, pmtuDiscovery: { enabled: true }, loadBalancer: { dsrDispatch: 'opt', acceleration: 'disabled' } });
    const svc = s.services[0]!;
    expect(svc.type).toBe('LoadBalancer');
    expect(svc.ports.map((p) => `${p.protocol}/${p.port}/${p.nodePort}`)).toEqual(['TCP/80/30080', 'UDP/53/30053']);
    for (const p of svc.ports) expect(p.backends.map((b) => b.nodeName).sort()).toEqual(['node-b', 'node-c']);
    expect(demoScenario('native').cilium.loadBalancer.acceleration).toBe('native');
  });
});

describe('runDemo', () => {
  const d: DemoResult = runDemo();
  const run = (m: string): DemoModeRun => d.modes.find((r) => r.mode === m)!;

  it('runs all three modes, each with a TCP, a UDP and an XDP run', () => {
    expect(d.shown).toEqual(['snat', 'dsr', 'hybrid']);
    expect(d.modes.map((m) => m.mode)).toEqual(['snat', 'dsr', 'hybrid']);
    for (const m of d.modes) {
      expect(m.tcp.mode).toBe(m.mode);
      expect(m.udp.mode).toBe(m.mode);
      expect(m.xdp.acceleration).toBe('native');
      expect(m.takeaways.length).toBeGreaterThanOrEqual(4);
    }
  });

  describe.each([
    { mode: 'snat', tcp: 'snat', udp: 'snat', replyHosts: 4 },
    { mode: 'dsr', tcp: 'dsr', udp: 'dsr', replyHosts: 3 },
    { mode: 'hybrid', tcp: 'dsr', udp: 'snat', replyHosts: 3 },
  ])('mode $mode', ({ mode, tcp, udp, replyHosts }) => {
    it('TCP: reply path and the address the backend saw', () => {
      const t = run(mode).facts.tcp;
      expect(t.forwarding).toBe(tcp);
      expect(t.lbNode).toBe('node-a');
      expect(t.requestPath).toEqual(['client-1', 'node-a', t.backend!.node, t.backend!.pod]);
      expect(t.replyPath).toHaveLength(replyHosts);
      expect(t.replyPath.includes('node-a')).toBe(tcp === 'snat');
      expect(t.backendSaw).toEqual(tcp === 'dsr' ? { address: CLIENT, port: 40000, host: 'client-1' } : { address: NODE_A, port: 40000, host: 'node-a' });
      expect(t.clientSaw).toEqual({ address: '198.51.100.10', port: 80 });
    });

    it('TCP: the option rides on the SYN only; full-size data passes', () => {
      const t = run(mode).facts.tcp;
      if (tcp === 'dsr') expect(t.synAtLb).toEqual({ in: 40, out: 48, dsr: { address: '198.51.100.10', port: 80 } });
      else expect(t.synAtLb).toEqual({ in: 40, out: 40 });
      expect(t.dataAtLb).toEqual({ in: 1500, out: 1500, option: false, delivered: true });
    });

    it('UDP: the full-size datagram gets ICMP fragmentation-needed (MTU 1492) from node-a only when it goes DSR, and the retry passes', () => {
      const u = run(mode).facts.udp;
      expect(u.forwarding).toBe(udp);
      expect(u.linkMtu).toBe(1500);
      expect(u.full.size).toBe(1500);
      expect(u.query.delivered).toBe(true);
      if (udp === 'dsr') {
        expect(u.full).toMatchObject({ outcome: 'answered', icmp: { by: 'node-a', type: 3, code: 4, name: 'fragmentation needed', mtu: 1492 } });
        expect(u.retry).toMatchObject({ size: 1492, outcome: 'delivered' });
        expect(u.query.backendSaw?.address).toBe(CLIENT);
      } else {
        expect(u.full).toMatchObject({ outcome: 'delivered', out: 1500 });
        expect(u.full.icmp).toBeUndefined();
        expect(u.retry).toBeUndefined();
        expect(u.query.backendSaw).toMatchObject({ address: NODE_A, host: 'node-a' });
        expect(u.query.replyPath).toContain('node-a');
      }
    });

    it('tcpdump on node-a sees the flow without XDP and nothing of it with XDP', () => {
      const x = run(mode).facts.tcpdump;
      expect(x.withoutXdp).toMatchObject({ node: 'node-a', shown: tcp === 'dsr' ? 4 : 8, missed: 0 });
      expect(x.withXdp).toMatchObject({ node: 'node-a', shown: 0, missed: tcp === 'dsr' ? 4 : 8 });
      expect(x.withXdp.reasons).toEqual([expect.stringMatching(/^XDP_TX on node-a/)]);
    });

    it('takeaways state the numbers of the events', () => {
      const text = run(mode)
        .takeaways.map((k) => k.text)
        .join('\n');
      const t = run(mode).facts.tcp;
      expect(text).toContain(`${t.replyPath.length} hosts`);
      expect(text).toContain(`${t.backendSaw!.address}:40000`);
      if (mode !== 'snat') expect(text).toContain(`vs ${run('snat').facts.tcp.replyPath.length} in SNAT`);
      if (udp === 'dsr') expect(text).toMatch(/MTU 1492 = 1500 − 8; the 1492-byte retry got through/);
      expect(text).toMatch(/with loadBalancer\.acceleration=native it showed 0/);
    });
  });

  it('--mode shows one mode; its lessons still compare with SNAT', () => {
    const one = runDemo({ mode: 'dsr' });
    expect(one.shown).toEqual(['dsr']);
    expect(one.modes.map((m) => m.mode)).toEqual(['dsr']);
    expect(one.modes[0]!.takeaways.find((k) => k.topic === 'reply path')!.text).toContain('vs 4 in SNAT');
  });
});

describe('dsrlab demo (CLI)', () => {
  it('--mode dsr exits 0 and prints the diagrams, diffs and lessons without escape codes', () => {
    // Act
    const r = runCli(['demo', '--mode', 'dsr']);
    // Assert
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('\x1b[');
    expect(r.stdout).toContain('══ DSR · loadBalancer.mode=dsr (dispatch opt)');
    expect(r.stdout).not.toContain('══ SNAT');
    expect(r.stdout).toMatch(/├─+▶│ +203\.0\.113\.7:40000 → 10\.244\.\d\.10:8080 \[S\] \+DSR opt/);
    expect(r.stdout).toContain('+ ip option 9a 08 00 50 c6 33 64 0a (DSR: VIP 198.51.100.10:80)');
    expect(r.stdout).toContain('198.51.100.10 → 203.0.113.7 ICMP fragmentation needed mtu 1492');
    expect(r.stdout).toContain('misses #1 rx, #1 tx, #3 rx, #3 tx: XDP_TX on node-a');
    expect(r.stdout).toContain('takeaways (DSR)');
    expect(r.stdout).toContain('3 hosts vs 4 in SNAT');
  });

  it('without --mode shows SNAT, DSR and hybrid and a one-line comparison', () => {
    const r = runCli(['demo']);
    expect(r.status).toBe(0);
    for (const m of ['SNAT · loadBalancer.mode=snat', 'DSR · loadBalancer.mode=dsr', 'hybrid · loadBalancer.mode=hybrid', 'in one line per mode']) expect(r.stdout).toContain(`══ ${m}`);
    expect(r.stdout).toContain(`src ${CLIENT} → ${NODE_A}`);
  });

  it('--json prints the DemoResult', () => {
    const r = runCli(['demo', '--mode', 'hybrid', '--json']);
    expect(r.status).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(Object.keys(d)).toEqual(['scenario', 'shown', 'modes']);
    expect(d.scenario).toMatchObject({ client: CLIENT, frontend: '198.51.100.10', lbNode: 'node-a', mtu: 1500, pmtuDiscovery: true });
    expect(Object.keys(d.modes[0])).toEqual(['mode', 'tcp', 'udp', 'xdp', 'facts', 'takeaways']);
    expect(d.modes[0].facts.udp.forwarding).toBe('snat');
    expect(d.modes[0].facts.tcp.forwarding).toBe('dsr');
  });

  it('a bad --mode exits 2', () => {
    const r = runCli(['demo', '--mode', 'fast']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--mode: "fast" is not a load-balancer mode: allowed values are snat, dsr, hybrid/);
  });
});
