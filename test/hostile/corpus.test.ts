// The hostile-input corpus (fixtures/hostile/, made by scripts/hostile-def.ts): every entry run
// through the real CLI must give its manifest's exit status and error text (file, place, what
// was expected) or drop reason, and nothing may crash, hang or print a stack trace.
import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostileCorpus, hostileManifest, type HostileEntry } from '../../scripts/hostile-def.js';
import { mapLimit, mismatches, runEntry, ROOT, type EntryOutcome } from './corpus-runner.js';

const entries = hostileCorpus();

describe('hostile corpus: the committed files are what the generator makes', () => {
  it('has at least 50 entries, of every kind, with unique ids and files', () => {
    expect(entries.length).toBeGreaterThanOrEqual(50);
    for (const k of ['capture', 'packet', 'scenario'] as const) expect(entries.filter((e) => e.kind === k).length).toBeGreaterThanOrEqual(10);
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
    expect(new Set(entries.map((e) => e.file)).size).toBe(entries.length);
  });
  it('manifest.json matches', () => {
    expect(JSON.parse(readFileSync(join(ROOT, 'fixtures', 'hostile', 'manifest.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(hostileManifest(entries))));
  });
  it.each(entries.map((e) => [e.id, e] as const))('%s matches its generator', (_id, e) => {
    expect(Buffer.compare(readFileSync(join(ROOT, e.file)), Buffer.from(e.bytes))).toBe(0);
  });
});

describe('hostile corpus: every entry through the CLI', () => {
  const outcomes = new Map<string, EntryOutcome>();
  beforeAll(async () => {
    // Two at a time (the machine has two cores); each run is a separate `node bin/dsrlab.js`.
    const res = await mapLimit(entries, 2, (e) => runEntry(e, 60_000));
    entries.forEach((e, i) => outcomes.set(e.id, res[i]!));
  }, 600_000);

  it.each(entries.map((e) => [`${e.kind} ${e.id}`, e] as const))('%s', (_name, e: HostileEntry) => {
    const o = outcomes.get(e.id)!;
    expect(mismatches(e, o), `${e.wrong}\nstderr: ${o.stderr}`).toEqual([]);
  });
});
