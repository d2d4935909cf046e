// The C scenario tests (native/test/test_scenarios.c) replay frames from a generated header;
// this keeps that header in step with the JSON it comes from, and the repo's copy of the JSON
// in step with the shared spec when that is present.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { renderScenarioVectors } from '../../scripts/gen-scenario-vectors.mjs';
import { ROOT } from '../helpers.js';

const JSON_PATH = join(ROOT, 'test', 'vectors', 'cilium-test-scenarios.json');
const HEADER = join(ROOT, 'native', 'test', 'scenario_vectors.h');
const SHARED = '/work/shared/spec/cilium-test-scenarios.json';

describe('scenario vectors', () => {
  it('native/test/scenario_vectors.h is generated from the JSON', () => {
    const scenarios = JSON.parse(readFileSync(JSON_PATH, 'utf8'));
    expect(readFileSync(HEADER, 'utf8')).toBe(renderScenarioVectors(scenarios));
  });

  it.runIf(existsSync(SHARED))('the repo copy of the JSON equals the shared spec', () => {
    expect(readFileSync(JSON_PATH, 'utf8')).toBe(readFileSync(SHARED, 'utf8'));
  });
});
