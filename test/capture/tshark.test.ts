// tshark decodes every fixture with valid checksums, and dsrlab's checksum verdicts agree.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { FIXTURES, hasTool } from '../helpers.js';
import { readAllPackets } from '../../src/capture/reader.js';
import { addon } from '../../src/native.js';
import { packBatch } from '../../src/packet/parse.js';

const files = readdirSync(join(FIXTURES, 'captures')).filter((f) => f !== 'malformed.pcap');

describe.runIf(hasTool('tshark'))('tshark reads the fixtures', () => {
  it.each(files)('%s: no malformed packets, no bad checksums', (name) => {
    const file = join(FIXTURES, 'captures', name);
    const r = spawnSync(
      'tshark',
      ['-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-e', 'frame.number', '-e', '_ws.malformed', '-e', '_ws.expert.severity', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'udp.checksum.status', '-e', 'icmp.checksum.status', '-e', 'icmpv6.checksum.status'],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    const packets = readAllPackets(file);
    // Custom pcapng blocks show up as extra tshark frames; count only packets.
    expect(rows.length).toBeGreaterThanOrEqual(packets.length);
    for (const row of rows) {
      expect(row[1] ?? '', `frame ${row[0]} malformed`).toBe('');
      for (const status of row.slice(3)) if (status) expect(status, `frame ${row[0]} checksum`).not.toMatch(/(^|,)0(,|$)/);
    }
    // dsrlab agrees: every checksum is valid or not verifiable (fragments).
    const b = packBatch(packets.map((p) => p.data));
    for (let i = 0; i < packets.length; i++) b.index[i * 8 + 4] = packets[i]!.linktype; // REC.LINKTYPE
    const verdicts = Array.from(addon().checkChecksums(b.data, b.index, b.count));
    verdicts.forEach((v) => expect(v & 3).toBe(0));
  });
});
