// The committed fixtures are exactly what scripts/fixtures-def.ts makes: nothing opaque, nothing stale.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureCaptures, badCaptures } from '../scripts/fixtures-def.js';
import { FIXTURES } from './helpers.js';

describe('fixtures', () => {
  it.each(Object.entries(fixtureCaptures()))('captures/%s matches its generator', (name, bytes) => {
    expect(Buffer.compare(readFileSync(join(FIXTURES, 'captures', name)), Buffer.from(bytes))).toBe(0);
  });
  it.each(Object.entries(badCaptures()))('bad/%s matches its generator', (name, { bytes }) => {
    expect(Buffer.compare(readFileSync(join(FIXTURES, 'bad', name)), Buffer.from(bytes))).toBe(0);
  });
});
