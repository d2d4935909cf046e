// `dsrlab explain` as users run it (dist/, via bin/dsrlab.js): the diagram and diffs in text,
// the --json shape, the capture form, and bad input → exit 2 with a message naming the problem.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';

const DSR = 'fixtures/scenarios/dsr.yaml';
const SNAT = 'fixtures/scenarios/snat.yaml';
const SYN = 'tcp 203.0.113.7:40000 > 198.51.100.10:80 syn';
const ESC = '\x1b[';

describe('dsrlab explain (text)', () => {
  it('draws the sequence diagram and the DSR option diff at node-a tc ingress', () => {
    // Act
    const r = runCli(['explain', '--scenario', DSR, '--packet', SYN]);
    // Assert
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain(ESC);
    const lines = r.stdout.split('\n');
    // Header row of the diagram: the hosts the flow touched, client first.
    const header = lines.find((l) => l.includes('client-1') && l.includes('node-a') && !l.includes('→'))!;
    expect(header.indexOf('client-1')).toBeLessThan(header.indexOf('node-a'));
    expect(lines.some((l) => l.startsWith('#1') && /├─+▶│/.test(l) && l.endsWith('203.0.113.7:40000 → 198.51.100.10:80 [S]'))).toBe(true);
    expect(lines.some((l) => /├─+▶│/.test(l) && /203\.0\.113\.7:40000 → 10\.244\.\d\.10:8080 \[S\] \+DSR opt$/.test(l))).toBe(true);
    // The LB hop and its diff.
    const at = lines.findIndex((l) => /^ {3}node-a +tc ingress +DNAT to the backend · \+DSR option/.test(l));
    expect(at).toBeGreaterThan(0);
    const block = lines.slice(at, at + 12).join('\n');
    expect(block).toMatch(/dst 198\.51\.100\.10 → 10\.244\.\d\.10/);
    expect(block).toContain('ttl 64 → 63');
    expect(block).toContain('+ ip option 9a 08 00 50 c6 33 64 0a (DSR: VIP 198.51.100.10:80)');
    expect(block).toMatch(/checksums ip 0x[0-9a-f]{4} → 0x[0-9a-f]{4}, tcp 0x[0-9a-f]{4} → 0x[0-9a-f]{4} \(valid\)/);
    expect(block).toContain('state: service conntrack entry (CT_SERVICE)');
    expect(r.stdout).toContain('what tcpdump would see');
    expect(r.stdout).toMatch(/tcpdump -i <ext> on node-a +rx #1 +203\.0\.113\.7:40000 → 198\.51\.100\.10:80 \[S\]/);
  });

  it('SNAT: the source becomes node-a\'s address', () => {
    const r = runCli(['explain', '--scenario', SNAT, '--packet', 'tcp 203.0.113.7:40000 > 198.51.100.10:80 syn', '--brief']);
    expect(r.status).toBe(0);
    // Whatever backend SNAT picks, a remote one shows the SNAT; snat.yaml's node-a also runs web-a (local: DNAT only).
    if (!r.stdout.includes('delivered to web-a')) expect(r.stdout).toContain('src 203.0.113.7 → 192.168.10.11');
  });

  it('colours with FORCE_COLOR and not with NO_COLOR; the text is the same', () => {
    const plain = runCli(['explain', '--scenario', DSR, '--packet', SYN], { NO_COLOR: '1' });
    expect(plain.stdout).not.toContain(ESC);
    // picocolors: an empty NO_COLOR does not disable colour, FORCE_COLOR enables it without a TTY.
    const coloured = runCli(['explain', '--scenario', DSR, '--packet', SYN], { FORCE_COLOR: '1', NO_COLOR: '' });
    expect(coloured.stdout).toContain(ESC);
    expect(coloured.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain.stdout);
  });
});

describe('dsrlab explain --json', () => {
  it('prints the Explanation', () => {
    // Act
    const r = runCli(['explain', '--scenario', DSR, '--packet', SYN, '--packet', 'udp 203.0.113.7:40001 > 198.51.100.10:53 len=1472', '--json']);
    expect(r.status).toBe(0);
    const e = JSON.parse(r.stdout);
    // Assert: the top-level shape
    expect(Object.keys(e)).toEqual(['scenario', 'ciliumVersion', 'mode', 'dispatch', 'acceleration', 'responder', 'input', 'flow', 'hosts', 'packets', 'tcpdump', 'summary']);
    expect(e).toMatchObject({ scenario: DSR, ciliumVersion: '1.19', mode: 'dsr', dispatch: 'opt', acceleration: 'disabled', responder: 'echo' });
    expect(e.input.specs).toEqual([SYN, 'udp 203.0.113.7:40001 > 198.51.100.10:53 len=1472']);
    // Packets and hops
    for (const p of e.packets) {
      expect(p).toEqual(expect.objectContaining({ index: expect.any(Number), id: expect.any(Number), role: expect.any(String), label: expect.any(String), fate: expect.any(Object), path: expect.any(Array), crossings: expect.any(Array), seenBy: expect.any(Array), missedBy: expect.any(Array), hops: expect.any(Array) }));
      for (const h of p.hops) {
        expect(h).toEqual(expect.objectContaining({ n: expect.any(Number), host: expect.any(String), point: expect.any(String), hook: expect.any(String), verdict: expect.any(String), action: expect.any(String), headers: expect.any(Object), changes: expect.any(Array), created: expect.any(Array) }));
      }
    }
    // The second request (UDP, 1500 bytes) is answered by node-a with fragmentation-needed, MTU 1492.
    const udp = e.packets.find((p: { label: string }) => p.label.includes('UDP len 1500'));
    expect(udp.fate).toMatchObject({ outcome: 'answered', answeredBy: 'node-a', answer: 'ICMP fragmentation needed mtu 1492' });
    const answered = udp.hops.find((h: { verdict: string }) => h.verdict === 'ANSWERED');
    expect(answered.headers.l4.icmp).toMatchObject({ type: 3, code: 4, name: 'fragmentation needed', mtu: 1492 });
    expect(e.tcpdump.map((t: { node: string }) => t.node)[0]).toBe('node-a');
  });

  it('--capture F --flow N replays the capture\'s flow', () => {
    const r = runCli(['explain', '--scenario', DSR, '--capture', 'fixtures/captures/tcp-handshake.pcap', '--flow', '1', '--json']);
    expect(r.status).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.input).toMatchObject({ kind: 'capture', capture: 'fixtures/captures/tcp-handshake.pcap', flow: 1, flows: 1 });
    expect(e.responder).toBe('capture');
    expect(e.packets).toHaveLength(12);
    expect(e.summary.replyPath).not.toContain('node-a');
  });

  it('drops show the Cilium name and the Hubble text', () => {
    // Port 81 is no service port of 198.51.100.10: the wildcard entry drops it.
    const r = runCli(['explain', '--scenario', DSR, '--packet', 'tcp 203.0.113.7:40000 > 198.51.100.10:81', '--json']);
    expect(r.status).toBe(0);
    const e = JSON.parse(r.stdout);
    const fate = e.packets[0].fate;
    expect(['answered', 'dropped']).toContain(fate.outcome);
    if (fate.outcome === 'dropped') expect(fate.drop).toEqual(expect.objectContaining({ name: expect.stringMatching(/^DROP_/), description: expect.any(String) }));
  });
});

describe('dsrlab explain: bad input exits 2 naming the problem', () => {
  it.each([
    [['--packet', 'tcp 203.0.113.7 > 198.51.100.10:80'], /--packet: "tcp 203.0.113.7 > 198.51.100.10:80": the source "203.0.113.7" has no port/],
    [['--packet', 'gre 1.2.3.4:1 > 5.6.7.8:2'], /"gre" is not a protocol/],
    [['--packet', 'tcp 1.2.3.4:1 5.6.7.8:2'], /no `>`/],
    [['--packet', 'tcp 1.2.3.4:1 > 5.6.7.8:99999'], /destination port "99999" is not a port number/],
    [['--packet', 'tcp 1.2.3.4:1 > 5.6.7.8:80 syn wat'], /unknown flag "wat"/],
    [['--packet', 'udp 1.2.3.4:1 > [::1]:80'], /source is IPv4 but the destination IPv6/],
    [['--packet', 'udp 1.2.3.4:1 > 5.6.7.8:80 len=-1'], /len=-1/],
    [[], /nothing to explain/],
    [['--packet', 'tcp 1.2.3.4:1 > 5.6.7.8:80', '--capture', 'fixtures/captures/tcp-handshake.pcap'], /either --packet or --capture/],
    [['--capture', 'fixtures/captures/tcp-handshake.pcap', '--flow', '2'], /--flow: .*holds 1 flow; --flow 2 is not that flow/],
    [['--capture', 'fixtures/captures/tcp-handshake.pcap', '--flow', 'x'], /"x" is not a flow number/],
    [['--capture', 'fixtures/captures/nope.pcap', '--flow', '1'], /nope\.pcap/],
    [['--packet', SYN, '--mode', 'dssr'], /--mode: "dssr" is not a load-balancer mode/],
    [['--packet', SYN, '--responder', 'capture'], /the capture responder needs --capture/],
  ])('%j', (args, message) => {
    const r = runCli(['explain', '--scenario', DSR, ...(args as string[])]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('a missing --scenario is a usage error (exit 2)', () => {
    const r = runCli(['explain', '--packet', SYN]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--scenario/);
  });
});
