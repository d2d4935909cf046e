// `dsrlab pcap info` and `dsrlab --help`: the numbers, in text and JSON, for the fixtures.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { ROOT, runCli, capture } from '../helpers.js';

describe('dsrlab pcap info', () => {
  it('counts a TCP conversation', () => {
    const r = runCli(['pcap', 'info', capture('tcp-handshake.pcap'), '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      format: 'pcap',
      packets: 12,
      linktypes: [{ linktype: 1, name: 'Ethernet' }],
      l3: { ipv4: 12, ipv6: 0, arp: 0, other: 0 },
      l4: { tcp: 12, udp: 0, icmp: 0, icmpv6: 0, other: 0 },
      malformed: 0,
      first: '2023-11-14T22:13:20.000000Z',
      last: '2023-11-14T22:13:20.011000Z',
      spanSeconds: 0.011,
    });
    expect(j.bytes).toBe(j.wireBytes);
  });

  it('reports the protocol mix of IPv6, fragments, ARP and VLANs', () => {
    const v6 = JSON.parse(runCli(['pcap', 'info', capture('ipv6-ext.pcap'), '--json']).stdout);
    expect(v6.l3.ipv6).toBe(6);
    expect(v6.l4).toMatchObject({ tcp: 3, udp: 1, icmpv6: 2 });
    const fr = JSON.parse(runCli(['pcap', 'info', capture('fragments.pcap'), '--json']).stdout);
    expect(fr.fragments).toEqual({ first: 2, later: 3 });
    const arp = JSON.parse(runCli(['pcap', 'info', capture('arp.pcap'), '--json']).stdout);
    expect(arp.l3.arp).toBe(2);
    const vlan = JSON.parse(runCli(['pcap', 'info', capture('vlan.pcap'), '--json']).stdout);
    expect(vlan.vlanTagged).toBe(1);
  });

  it('names every link type of a multi-interface pcapng and keeps nanoseconds', () => {
    const j = JSON.parse(runCli(['pcap', 'info', capture('mixed.pcapng'), '--json']).stdout);
    expect(j.format).toBe('pcapng');
    expect(j.sections).toBe(2);
    expect(j.linktypes.map((l: { linktype: number }) => l.linktype)).toEqual([1, 101]);
    expect(j.packets).toBe(10);
    const ns = JSON.parse(runCli(['pcap', 'info', capture('tcp-nsec.pcap'), '--json']).stdout);
    expect(ns.nanosecond).toBe(true);
    expect(ns.last).toBe('2023-11-14T22:13:20.011000011Z');
  });

  it('lists malformed packets with the codec’s reasons', () => {
    const r = runCli(['pcap', 'info', capture('malformed.pcap')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/malformed\s+6/);
    expect(r.stdout).toContain('packet 3: ipv4: ihl 4 < 5');
    expect(r.stdout).toContain('packet 5: tcp: data offset 4 < 5');
    expect(r.stdout).toContain('packet 6: udp: length 4 < 8');
  });

  it('reads SLL, SLL2 and raw captures as IP', () => {
    for (const f of ['sll.pcap', 'sll2.pcap', 'raw.pcap']) {
      const j = JSON.parse(runCli(['pcap', 'info', capture(f), '--json']).stdout);
      expect(j.l3.ipv4, f).toBe(12);
      expect(j.l4.tcp, f).toBe(12);
    }
  });

  it('prints aligned text without colour when NO_COLOR is set', () => {
    const r = runCli(['pcap', 'info', capture('udp.pcap')]);
    expect(r.stdout).not.toMatch(/\x1b\[/);
    expect(r.stdout).toMatch(/^packets\s+4$/m);
  });
});

describe('dsrlab --help', () => {
  it('lists the commands with examples and exits 0', () => {
    const r = runCli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('pcap');
    expect(r.stdout).toContain('Examples:');
    const sub = runCli(['pcap', 'info', '--help']);
    expect(sub.status).toBe(0);
    expect(sub.stdout).toContain('Examples:');
  });

  it('an unknown command or option is bad input (exit 2)', () => {
    expect(runCli(['frobnicate']).status).toBe(2);
    expect(runCli(['pcap', 'info']).status).toBe(2);
  });
});

describe('dsrlab | head', () => {
  it('stops quietly when the reader closes the pipe (no EPIPE stack)', () => {
    // 74 kB of table into `head -c 100`: later writes hit a closed pipe.
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" bin/dsrlab.js maglev 10.0.0.1:80 10.0.0.2:80 --dump 2>err.txt | head -c 100 >/dev/null; echo "status $?"; cat err.txt; rm -f err.txt`], {
      encoding: 'utf8',
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.stdout.trim()).toBe('status 0');
  });
});
