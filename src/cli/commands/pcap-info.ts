/** pcap-info.ts: `dsrlab pcap info CAPTURE`, the terminal and JSON renderings of captureInfo(). */
import pc from '../colour.js';
import { captureInfo, type CaptureInfo } from '../../capture/info.js';
import { keyValues } from '../table.js';

function pct(n: number, total: number): string {
  return total ? `${n.toLocaleString('en-US')} (${((100 * n) / total).toFixed(1)}%)` : '0';
}

export function renderCaptureInfo(i: CaptureInfo): string {
  const fmt =
    i.format === 'pcap'
      ? `pcap, ${i.bigEndian ? 'big' : 'little'}-endian, ${i.nanosecond ? 'nanosecond' : 'microsecond'} timestamps, snaplen ${i.snaplen}`
      : `pcapng, ${i.sections} section${i.sections === 1 ? '' : 's'}`;
  const ip = i.l3.ipv4 + i.l3.ipv6;
  const lines: [string, string][] = [
    ['file', pc.bold(i.file)],
    ['format', fmt],
    ['link type', i.linktypes.map((l) => `${l.name} (${l.linktype})`).join(', ')],
    ['packets', i.packets.toLocaleString('en-US')],
    ['bytes', `${i.bytes.toLocaleString('en-US')} captured, ${i.wireBytes.toLocaleString('en-US')} on the wire`],
    ['time span', i.first ? `${i.first} → ${i.last} (${i.spanSeconds} s)` : '—'],
    ['network', `IPv4 ${pct(i.l3.ipv4, i.packets)}  IPv6 ${pct(i.l3.ipv6, i.packets)}  ARP ${pct(i.l3.arp, i.packets)}  other ${pct(i.l3.other, i.packets)}`],
    ['transport', `TCP ${pct(i.l4.tcp, ip)}  UDP ${pct(i.l4.udp, ip)}  ICMP ${pct(i.l4.icmp, ip)}  ICMPv6 ${pct(i.l4.icmpv6, ip)}  other ${pct(i.l4.other, ip)}`],
    ['fragments', `${i.fragments.first} first, ${i.fragments.later} later`],
    ['VLAN-tagged', String(i.vlanTagged)],
    ['truncated', `${i.truncated} (captured shorter than their headers say)`],
    ['malformed', i.malformed ? pc.red(String(i.malformed)) : '0'],
  ];
  let out = keyValues(lines);
  for (const m of i.malformedExamples) out += `\n  ${pc.red('✗')} packet ${m.packet}: ${m.reason}`;
  if (i.malformed > i.malformedExamples.length) out += `\n  … and ${i.malformed - i.malformedExamples.length} more`;
  return out;
}

export function pcapInfoCommand(file: string, opts: { json?: boolean }): number {
  const info = captureInfo(file);
  process.stdout.write((opts.json ? JSON.stringify(info, null, 2) : renderCaptureInfo(info)) + '\n');
  return 0;
}
