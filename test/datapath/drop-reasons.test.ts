// drop-reasons.ts mirrors native/include/dsrlab/drop.h (and the names native/src/drop.c prints):
// this parses the C sources and checks that both sides list the same codes under the same names.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DROP_REASONS,
  DSRLAB_DROP_BASE,
  DSRLAB_WITHHELD,
  dropReason,
  dropReasonDescription,
  dropReasonName,
  isDsrlabDrop,
} from '../../src/datapath/drop-reasons.js';
import { ROOT } from '../helpers.js';

const dropH = readFileSync(join(ROOT, 'native/include/dsrlab/drop.h'), 'utf8');
const dropC = readFileSync(join(ROOT, 'native/src/drop.c'), 'utf8');

/** Cilium's codes: the X(NAME, num) lines of DL_DROP_REASONS. */
function ciliumCodes(): Map<number, string> {
  const out = new Map<number, string>();
  for (const m of dropH.matchAll(/X\((DROP_[A-Z0-9_]+),\s*(\d+)\)/g)) out.set(Number(m[2]), m[1]!);
  return out;
}

/** dsrlab's codes: DL_DROP_X = -(DL_DROP_DSRLAB_BASE + n), named DSRLAB_X (as drop.c prints them). */
function dsrlabCodes(): Map<number, string> {
  const base = Number(/#define DL_DROP_DSRLAB_BASE (\d+)/.exec(dropH)![1]);
  const out = new Map<number, string>();
  for (const m of dropH.matchAll(/DL_DROP_([A-Z0-9_]+)\s*=\s*-\(DL_DROP_DSRLAB_BASE \+ (\d+)\)/g)) out.set(base + Number(m[2]), `DSRLAB_${m[1]}`);
  return out;
}

describe('drop reasons agree with drop.h', () => {
  it('has every Cilium code of drop.h, with the same name, and no other', () => {
    const c = ciliumCodes();
    expect(c.size).toBeGreaterThan(60);
    const ts = new Map(DROP_REASONS.filter((d) => d.code < DSRLAB_DROP_BASE).map((d) => [d.code, d.name]));
    expect(ts).toEqual(c);
  });

  it("has dsrlab's own codes with the names drop.c prints", () => {
    const c = dsrlabCodes();
    expect(c.size).toBeGreaterThan(0);
    const ts = new Map(DROP_REASONS.filter((d) => d.code >= DSRLAB_DROP_BASE).map((d) => [d.code, d.name]));
    expect(ts).toEqual(c);
    for (const [code, name] of c) expect(dropC, `drop.c names ${code}`).toContain(`case DL_DROP_DSRLAB_BASE + ${code - DSRLAB_DROP_BASE}: return "${name}"`);
    expect(Number(/#define DL_DROP_DSRLAB_BASE (\d+)/.exec(dropH)![1])).toBe(DSRLAB_DROP_BASE);
    expect(c.get(DSRLAB_WITHHELD)).toBe('DSRLAB_WITHHELD');
  });

  it('never reuses a code or a name', () => {
    expect(new Set(DROP_REASONS.map((d) => d.code)).size).toBe(DROP_REASONS.length);
    expect(new Set(DROP_REASONS.map((d) => d.name)).size).toBe(DROP_REASONS.length);
  });

  it.each([
    [-158, 'DROP_NO_SERVICE', 'Service backend not found', 'SERVICE_BACKEND_NOT_FOUND'],
    [174, 'DROP_IS_CLUSTER_IP', 'Is a ClusterIP', 'IS_A_CLUSTERIP'],
    [-136, 'DROP_FRAG_NEEDED', 'Fragmentation needed', 'CT_MISSING_TCP_ACK_FLAG'],
    [-167, 'DROP_NAT_NO_MAPPING', 'No mapping for NAT masquerade', 'NO_MAPPING_FOR_NAT_MASQUERADE'],
  ])('looks up %i as %s', (code, name, text, hubble) => {
    expect(dropReasonName(code)).toBe(name);
    expect(dropReasonDescription(code)).toBe(text);
    expect(dropReason(code)?.hubble).toBe(hubble);
    expect(isDsrlabDrop(code)).toBe(false);
  });

  it('names unknown codes by number and tells dsrlab reasons apart', () => {
    expect(dropReasonName(-999)).toBe('DROP_UNKNOWN_999');
    expect(dropReasonDescription(999)).toBe('999');
    expect(isDsrlabDrop(-DSRLAB_WITHHELD)).toBe(true);
    expect(dropReasonName(-DSRLAB_WITHHELD)).toBe('DSRLAB_WITHHELD');
  });
});
