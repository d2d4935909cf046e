// Every corrupt capture is refused with an error naming the file, the offset and what was
// expected, and the CLI exits 2; nothing is dropped silently.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { badCaptures } from '../../scripts/fixtures-def.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { InputError } from '../../src/errors.js';
import { FIXTURES, runCli, tempDir } from '../helpers.js';
import { pcapBytes } from '../../src/capture/pcap-writer.js';

const cases = Object.entries(badCaptures());

describe('corrupt captures', () => {
  it.each(cases)('%s: the reader throws an InputError naming file and offset', (name, { error }) => {
    const file = join(FIXTURES, 'bad', name);
    let err: unknown;
    try {
      for (const _ of new CaptureReader(file).batches());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const ie = err as InputError;
    expect(ie.message).toContain(file);
    expect(ie.message).toMatch(error);
    expect(ie.location.offset).toBeDefined();
  });

  it.each(cases)('%s: `dsrlab pcap info` exits 2 with the reason', (name, { error }) => {
    const file = join(FIXTURES, 'bad', name);
    const r = runCli(['pcap', 'info', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(error);
    expect(r.stdout).toBe('');
  });

  it('a missing file is bad input too', () => {
    const r = runCli(['pcap', 'info', '/nonexistent/x.pcap']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('/nonexistent/x.pcap');
  });

  it('the truncated last record is reported after the good ones were read', () => {
    const t = tempDir();
    try {
      const good = pcapBytes([0, 1, 2].map((i) => ({ ts: { sec: i, nsec: 0 }, data: new Uint8Array(60).fill(i) })));
      const file = join(t.dir, 'cut.pcap');
      writeFileSync(file, good.subarray(0, good.length - 1));
      const seen: number[] = [];
      expect(() => {
        for (const p of new CaptureReader(file).packets()) seen.push(p.data[0]!);
      }).toThrow(/truncated record 3/);
      expect(seen).toEqual([0, 1]);
    } finally {
      t.cleanup();
    }
  });
});
