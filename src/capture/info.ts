/**
 * info.ts: `dsrlab pcap info` as a function: counts, link types, time span and protocol mix of
 * a capture. The per-packet work (parsing, tallying) runs in C (native/src/capinfo.c) over
 * whole batches; this file only streams batches in and shapes the result.
 */
import { CaptureReader } from './reader.js';
import { addon } from '../native.js';

export const LINKTYPE_NAMES: Record<number, string> = {
  1: 'Ethernet',
  12: 'raw IP',
  14: 'raw IP',
  101: 'raw IP',
  113: 'Linux cooked (SLL)',
  228: 'raw IPv4',
  229: 'raw IPv6',
  276: 'Linux cooked v2 (SLL2)',
};

export interface CaptureInfo {
  file: string;
  format: 'pcap' | 'pcapng';
  /** pcap: the file's byte order; pcapng: the last section's. */
  bigEndian: boolean;
  /** pcapng section header blocks (0 for pcap). */
  sections: number;
  nanosecond: boolean;
  snaplen: number;
  linktypes: { linktype: number; name: string }[];
  fileBytes: number;
  packets: number;
  /** Captured bytes (sum of caplen) and bytes on the wire (sum of original lengths). */
  bytes: number;
  wireBytes: number;
  /** First and last timestamps as ISO text with the capture's precision, and the span in seconds. */
  first: string | null;
  last: string | null;
  spanSeconds: number;
  l3: { ipv4: number; ipv6: number; arp: number; other: number };
  l4: { tcp: number; udp: number; icmp: number; icmpv6: number; other: number };
  fragments: { first: number; later: number };
  vlanTagged: number;
  truncated: number;
  malformed: number;
  /** Up to five malformed packets: 1-based packet number and the reason. */
  malformedExamples: { packet: number; reason: string }[];
}

export function formatTimestamp(sec: number, nsec: number, nanosecond: boolean): string {
  const iso = new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  const frac = nanosecond ? String(nsec).padStart(9, '0') : String(Math.floor(nsec / 1000)).padStart(6, '0');
  return `${iso}.${frac}Z`;
}

/** Reads the whole capture once; throws InputError on a corrupt file. */
export function captureInfo(path: string): CaptureInfo {
  const reader = new CaptureReader(path);
  const stats = new (addon().CapInfo)();
  for (const b of reader.batches()) stats.add(b.data, b.index, b.count);
  const h = reader.header();
  const r = stats.result();
  const n = (k: string) => Number(r[k] ?? 0);
  const seen = (r.linktypes as number[] | undefined) ?? [];
  const linktypes = seen.length ? seen : h.format === 'pcapng' ? [...new Set(h.interfaces.map((i) => i.linktype))] : [h.linktype];
  const packets = n('packets');
  const nanos = h.nanosecond;
  const span = packets ? n('lastSec') - n('firstSec') + (n('lastNsec') - n('firstNsec')) / 1e9 : 0;
  return {
    file: path,
    format: h.format,
    bigEndian: h.bigEndian,
    sections: h.format === 'pcapng' ? h.sections : 0,
    nanosecond: nanos,
    snaplen: h.snaplen,
    linktypes: linktypes.map((l) => ({ linktype: l, name: LINKTYPE_NAMES[l] ?? `link type ${l}` })),
    fileBytes: reader.fileSize,
    packets,
    bytes: n('bytes'),
    wireBytes: n('wireBytes'),
    first: packets ? formatTimestamp(n('firstSec'), n('firstNsec'), nanos) : null,
    last: packets ? formatTimestamp(n('lastSec'), n('lastNsec'), nanos) : null,
    spanSeconds: Math.round(span * 1e9) / 1e9,
    l3: { ipv4: n('ipv4'), ipv6: n('ipv6'), arp: n('arp'), other: n('otherL3') },
    l4: { tcp: n('tcp'), udp: n('udp'), icmp: n('icmp'), icmpv6: n('icmpv6'), other: n('otherL4') },
    fragments: { first: n('fragFirst'), later: n('fragLater') },
    vlanTagged: n('vlan'),
    truncated: n('truncated'),
    malformed: n('malformed'),
    malformedExamples: (r.malformedExamples as { packet: number; reason: string }[] | undefined) ?? [],
  };
}
