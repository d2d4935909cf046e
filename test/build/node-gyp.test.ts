// binding.gyp builds the same addon from the same sources (for node-gyp users), in a scratch
// copy of the package so the cmake-js build under build/ is left alone.
import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { ROOT, tempDir, capture } from '../helpers.js';
import type { DsrlabAddon } from '../../src/native.js';
import { packBatch } from '../../src/packet/parse.js';
import { readAllPackets } from '../../src/capture/reader.js';

describe('node-gyp build', () => {
  it('builds build/Release/dsrlab.node from binding.gyp and it works', () => {
    const t = tempDir('dsrlab-gyp-');
    try {
      for (const f of ['binding.gyp', 'package.json']) cpSync(join(ROOT, f), join(t.dir, f));
      cpSync(join(ROOT, 'native'), join(t.dir, 'native'), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(t.dir, 'node_modules'));
      // Node's own headers sit under the prefix node was installed to (nodedir), so no download.
      const nodedir = dirname(dirname(process.execPath));
      const r = spawnSync('npm', ['run', 'build:gyp', '--', `--nodedir=${nodedir}`], { cwd: t.dir, encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const built = join(t.dir, 'build', 'Release', 'dsrlab.node');
      expect(existsSync(built)).toBe(true);
      const gyp = createRequire(import.meta.url)(built) as DsrlabAddon;
      const pkts = readAllPackets(capture('tcp-handshake.pcap'));
      const b = packBatch(pkts.map((p) => p.data));
      const parsed = gyp.parsePackets(b.data, b.index, b.count);
      expect(parsed.map((p) => p.ok)).toEqual(pkts.map(() => true));
      expect(parsed[0]).toMatchObject({ l3: 'ipv4', sport: 40000, dport: 80, src: '203.0.113.7' });
      expect(Array.from(gyp.checkChecksums(b.data, b.index, b.count))).toEqual(pkts.map(() => 0));
    } finally {
      t.cleanup();
    }
  }, 180_000);
});
