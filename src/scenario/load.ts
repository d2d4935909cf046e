/**
 * load.ts: reading a scenario from disk or text (`loadScenario`, `parseScenario`) or from a plain
 * object (`scenarioFromObject`), including the Kubernetes object files it names.
 * What the values mean and how they are checked is validate.ts's and objects.ts's business.
 */

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';

import { InputError } from '../errors.js';
import type { LoadOptions, Scenario } from './types.js';
import { buildScenario } from './validate.js';
import type { BuildContext } from './validate.js';
import { fail, fromPlain, parseYamlDocuments } from './yamltree.js';
import type { YNode } from './yamltree.js';

function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err && err.code === 'ENOENT') return 'no such file';
  if (err && err.code === 'EISDIR') return 'it is a directory';
  if (err && err.code === 'EACCES') return 'permission denied';
  return err && err.message ? err.message : String(e);
}

function contextFor(file: string, baseDir: string, options?: LoadOptions): BuildContext {
  const ctx: BuildContext = {
    file,
    baseDir,
    readObjectsFile(ref: string, at: YNode, itemPath: string) {
      const path = isAbsolute(ref) ? ref : join(baseDir, ref);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        fail(at, `cannot read objects file ${JSON.stringify(ref)} (${path}): ${errorText(e)}`);
      }
      const docs = parseYamlDocuments(text, path, (d) => `${itemPath}#${d}`);
      return { file: path, docs };
    },
  };
  if (options?.overrides) ctx.overrides = options.overrides;
  return ctx;
}

/**
 * Parses and validates scenario text. `file` names it in errors; `baseDir` resolves
 * `objects: [{file: …}]` references (normally the scenario file's directory).
 * Throws InputError for anything wrong with the input.
 */
export function parseScenario(text: string, file: string, baseDir: string, options?: LoadOptions): Scenario {
  const docs = parseYamlDocuments(text, file, () => '');
  if (docs.length > 1) {
    fail({ file, path: '', ...(docs[1]!.node.pos ? { pos: docs[1]!.node.pos } : {}) }, 'a scenario file holds one YAML document: put Kubernetes objects under objects: (inline or {file: path})');
  }
  return buildScenario(docs[0]?.node, contextFor(file, baseDir, options));
}

/** Reads, parses and validates the scenario file at `path`; object files resolve relative to it. */
export async function loadScenario(path: string, options?: LoadOptions): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError({ file: path }, `cannot read the scenario: ${errorText(e)}`);
  }
  return parseScenario(text, path, dirname(path), options);
}

/**
 * Validates a scenario given as a plain object (the same shape as the YAML), e.g. one built by
 * a test or an arbitrary. Errors name key paths but no line numbers.
 */
export function scenarioFromObject(value: unknown, file: string, baseDir: string, options?: LoadOptions): Scenario {
  const root = value === undefined || value === null ? undefined : fromPlain(value, file, '');
  return buildScenario(root, contextFor(file, baseDir, options));
}
