/**
 * yamltree.ts: a YAML document (or a plain JS value) as a tree of nodes that each know their
 * file, key path and line/column, plus the typed readers validation uses (`readInt`, `readEnum`,
 * unknown-key checks with "did you mean"). Every error thrown here is an InputError.
 * What the scenario's keys mean lives in validate.ts and objects.ts.
 */

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlAstNode } from 'yaml';

import { InputError } from '../errors.js';

export interface Pos {
  line: number;
  column: number;
}

interface NodeBase {
  /** The file the node was read from (as the user named it). */
  file: string;
  /** Key path from the scenario root, e.g. `cilium.maglev.tableSize`. */
  path: string;
  /** 1-based position of the value, when it came from YAML text. */
  pos?: Pos;
}

export interface YEntry {
  key: string;
  keyPos?: Pos;
  value: YNode;
}

export interface YMap extends NodeBase {
  kind: 'map';
  entries: Map<string, YEntry>;
}

export interface YSeq extends NodeBase {
  kind: 'seq';
  items: YNode[];
}

export type ScalarValue = string | number | boolean | null;

export interface YScalar extends NodeBase {
  kind: 'scalar';
  value: ScalarValue;
}

export type YNode = YMap | YSeq | YScalar;

/** A location to report against: a node, or a place where a key is missing. */
export interface At {
  file: string;
  path: string;
  pos?: Pos;
}

/** Throws an InputError at `at` (file, key path, line/column when known). */
export function fail(at: At, detail: string): never {
  const loc: { file: string; keyPath?: string; line?: number; column?: number } = { file: at.file };
  if (at.path) loc.keyPath = at.path;
  if (at.pos) {
    loc.line = at.pos.line;
    loc.column = at.pos.column;
  }
  throw new InputError(loc, detail);
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Key path of child `key` of `path`: `a.b`, or `a["service.cilium.io/global"]` for odd keys. */
export function childPath(path: string, key: string): string {
  if (PLAIN_KEY.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

/** Key path of item `i` of `path`. */
export function itemPath(path: string, i: number): string {
  return `${path}[${i}]`;
}

// ---------------------------------------------------------------------------------------------
// Building trees

function posOf(node: { range?: [number, number, number] | null } | null | undefined, lc: LineCounter): Pos | undefined {
  const r = node?.range;
  if (!r) return undefined;
  const p = lc.linePos(r[0]);
  return { line: p.line, column: p.col };
}

/**
 * How many alias references one document may expand (nested ones included). Each expansion
 * copies the anchored subtree, so nested aliases grow exponentially (the "billion laughs"):
 * without a bound, nine levels of nine aliases would build 387 million nodes and never finish.
 */
export const MAX_ALIAS_EXPANSIONS = 10_000;

function fromAst(node: unknown, doc: Document, lc: LineCounter, file: string, path: string, depth: number, budget = { aliases: 0 }): YNode {
  if (depth > 200) fail({ file, path }, 'nesting is too deep');
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (!target) fail({ file, path, pos: posOf(node, lc) }, `YAML alias *${node.source} names no anchor`);
    if (++budget.aliases > MAX_ALIAS_EXPANSIONS) {
      fail({ file, path, pos: posOf(node, lc) }, `YAML aliases expand to more than ${MAX_ALIAS_EXPANSIONS} copies (nested aliases: an alias bomb?): write the values out or use fewer aliases`);
    }
    const n = fromAst(target, doc, lc, file, path, depth + 1, budget);
    const p = posOf(node, lc);
    if (p) n.pos = p;
    return n;
  }
  if (isMap(node)) {
    const entries = new Map<string, YEntry>();
    const m: YMap = { kind: 'map', file, path, entries };
    const mp = posOf(node, lc);
    if (mp) m.pos = mp;
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const k = pair.key;
      const keyPos = posOf(k as YamlAstNode, lc);
      let key: string;
      if (isScalar(k) && (typeof k.value === 'string' || typeof k.value === 'number' || typeof k.value === 'boolean')) {
        key = String(k.value);
      } else if (k === null || (isScalar(k) && k.value === null)) {
        fail({ file, path, pos: keyPos ?? mp }, 'a mapping key is empty');
      } else {
        fail({ file, path, pos: keyPos ?? mp }, 'mapping keys must be plain strings');
      }
      if (key === '<<') fail({ file, path: childPath(path, key), pos: keyPos }, 'YAML merge keys (<<) are not supported; write the keys out');
      const cp = childPath(path, key);
      const value: YNode = pair.value === null || pair.value === undefined
        ? { kind: 'scalar', file, path: cp, value: null, ...(keyPos ? { pos: keyPos } : {}) }
        : fromAst(pair.value, doc, lc, file, cp, depth + 1, budget);
      const e: YEntry = { key, value };
      if (keyPos) e.keyPos = keyPos;
      entries.set(key, e);
    }
    return m;
  }
  if (isSeq(node)) {
    const s: YSeq = { kind: 'seq', file, path, items: [] };
    const sp = posOf(node, lc);
    if (sp) s.pos = sp;
    node.items.forEach((it, i) => {
      const ip = itemPath(path, i);
      s.items.push(it === null || it === undefined ? { kind: 'scalar', file, path: ip, value: null } : fromAst(it, doc, lc, file, ip, depth + 1, budget));
    });
    return s;
  }
  if (isScalar(node)) {
    const v = node.value;
    const p = posOf(node, lc);
    const base = { file, path, ...(p ? { pos: p } : {}) };
    if (v === null || v === undefined) return { kind: 'scalar', ...base, value: null };
    if (typeof v === 'string' || typeof v === 'boolean') return { kind: 'scalar', ...base, value: v };
    if (typeof v === 'number') return { kind: 'scalar', ...base, value: v };
    if (typeof v === 'bigint') return { kind: 'scalar', ...base, value: Number(v) };
    fail(base, `unsupported YAML value (tag ${node.tag ?? 'unknown'}); use plain strings, numbers and booleans`);
  }
  fail({ file, path }, 'unsupported YAML node');
}

/**
 * Parses YAML text (one or more documents) into trees. Empty documents are dropped.
 * A syntax error becomes an InputError with the line and column of the problem.
 * `pathOf(i)` gives the key path of document i.
 */
export function parseYamlDocuments(text: string, file: string, pathOf: (docIndex: number) => string): { index: number; node: YNode }[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (!Array.isArray(docs)) return [];
  const out: { index: number; node: YNode }[] = [];
  docs.forEach((doc, i) => {
    const err = doc.errors[0];
    if (err) {
      const lp = err.linePos?.[0];
      const first = err.message.split('\n')[0] ?? err.message;
      const msg = first.replace(/ at line \d+, column \d+:?$/, '');
      const loc: { file: string; line?: number; column?: number } = { file };
      if (lp) {
        loc.line = lp.line;
        loc.column = lp.col;
      }
      throw new InputError(loc, `YAML syntax error: ${msg}`);
    }
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return;
    out.push({ index: i, node: fromAst(doc.contents, doc, lc, file, pathOf(i), 0) });
  });
  return out;
}

/** A plain JS value (from code, not text) as a tree without positions. */
export function fromPlain(value: unknown, file: string, path: string, depth = 0): YNode {
  if (depth > 200) fail({ file, path }, 'nesting is too deep');
  if (value === null || value === undefined) return { kind: 'scalar', file, path, value: null };
  if (Array.isArray(value)) {
    return { kind: 'seq', file, path, items: value.map((v, i) => fromPlain(v, file, itemPath(path, i), depth + 1)) };
  }
  if (typeof value === 'object') {
    const entries = new Map<string, YEntry>();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      entries.set(k, { key: k, value: fromPlain(v, file, childPath(path, k), depth + 1) });
    }
    return { kind: 'map', file, path, entries };
  }
  if (typeof value === 'string' || typeof value === 'boolean') return { kind: 'scalar', file, path, value };
  if (typeof value === 'number') return { kind: 'scalar', file, path, value };
  if (typeof value === 'bigint') return { kind: 'scalar', file, path, value: Number(value) };
  fail({ file, path }, `unsupported value of type ${typeof value}`);
}

// ---------------------------------------------------------------------------------------------
// Describing values in messages

/** A short description of a node's value for error messages. */
export function describe(n: YNode): string {
  if (n.kind === 'map') return 'a mapping';
  if (n.kind === 'seq') return 'a list';
  const v = n.value;
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function typeName(n: YNode): string {
  if (n.kind === 'map') return 'a mapping';
  if (n.kind === 'seq') return 'a list';
  const v = n.value;
  if (v === null) return 'null';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `the number ${v}` : `the number ${v}`;
  return `the boolean ${v}`;
}

// ---------------------------------------------------------------------------------------------
// "Did you mean"

function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The allowed word closest to `word` (case-insensitive match first, then small edit distance), or null. */
export function suggest(word: string, allowed: readonly string[]): string | null {
  const lower = word.toLowerCase();
  const ci = allowed.find((a) => a.toLowerCase() === lower);
  if (ci) return ci;
  let best: string | null = null;
  let bestD = Infinity;
  for (const a of allowed) {
    const dist = editDistance(lower, a.toLowerCase());
    if (dist < bestD) {
      bestD = dist;
      best = a;
    }
  }
  const limit = word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3;
  return bestD <= limit ? best : null;
}

function didYouMean(word: string, allowed: readonly string[]): string {
  const s = suggest(word, allowed);
  return s ? ` (did you mean ${JSON.stringify(s)}?)` : '';
}

// ---------------------------------------------------------------------------------------------
// Typed readers

/** The node as a mapping, or an InputError naming what it is instead. */
export function asMap(n: YNode, what = 'a mapping'): YMap {
  if (n.kind !== 'map') fail(n, `expected ${what}, got ${typeName(n)}`);
  return n;
}

/** The node as a list, or an InputError. */
export function asSeq(n: YNode, what = 'a list'): YSeq {
  if (n.kind !== 'seq') fail(n, `expected ${what}, got ${typeName(n)}`);
  return n;
}

/**
 * Refuses keys of `m` not in `allowed` (first one in document order), suggesting the closest
 * allowed key. `context` names the place for the message ("cilium.loadBalancer").
 */
export function checkKeys(m: YMap, allowed: readonly string[], context?: string): void {
  for (const [k, e] of m.entries) {
    if (allowed.includes(k)) continue;
    const where = context ?? (m.path || 'the top level');
    const at: At = { file: m.file, path: childPath(m.path, k) };
    const p = e.keyPos ?? e.value.pos;
    if (p) at.pos = p;
    fail(at, `unknown key ${JSON.stringify(k)} in ${where}${didYouMean(k, allowed)}; allowed keys: ${allowed.join(', ')}`);
  }
}

/** The value of `key`, or undefined when the key is absent or null. */
export function get(m: YMap, key: string): YNode | undefined {
  const e = m.entries.get(key);
  if (!e) return undefined;
  if (e.value.kind === 'scalar' && e.value.value === null) return undefined;
  return e.value;
}

/** The place a missing key would be reported at: its would-be path, at the parent's position. */
export function missingAt(m: YMap, key: string): At {
  const at: At = { file: m.file, path: childPath(m.path, key) };
  if (m.pos) at.pos = m.pos;
  return at;
}

/** The value of a required key. */
export function need(m: YMap, key: string, what: string): YNode {
  const n = get(m, key);
  if (!n) fail(missingAt(m, key), `${key} is required: ${what}`);
  return n;
}

export function readString(n: YNode, what = 'a string'): string {
  if (n.kind !== 'scalar' || typeof n.value !== 'string') {
    const hint = n.kind === 'scalar' && (typeof n.value === 'number' || typeof n.value === 'boolean') ? ` (quote it: "${String(n.value)}")` : '';
    fail(n, `expected ${what}, got ${typeName(n)}${hint}`);
  }
  return n.value;
}

export function readBool(n: YNode): boolean {
  if (n.kind !== 'scalar' || typeof n.value !== 'boolean') {
    const hint = n.kind === 'scalar' && typeof n.value === 'string' && /^(true|false)$/i.test(n.value) ? ' (write it without quotes)' : '';
    fail(n, `expected true or false, got ${typeName(n)}${hint}`);
  }
  return n.value;
}

/** An integer in [min, max]; `what` completes "must be …" in the range message. */
export function readInt(n: YNode, min: number, max: number, what?: string): number {
  if (n.kind !== 'scalar' || typeof n.value !== 'number') {
    const hint = n.kind === 'scalar' && typeof n.value === 'string' && /^-?\d+$/.test(n.value.trim()) ? ' (write the number without quotes)' : '';
    fail(n, `expected an integer, got ${typeName(n)}${hint}`);
  }
  const v = n.value;
  if (!Number.isInteger(v)) fail(n, `expected an integer, got ${v}`);
  if (v < min || v > max) fail(n, `${v} is out of range: ${what ?? `must be ${min}..${max}`}`);
  return v;
}

/** One of `allowed` (exact spelling); a near miss gets a "did you mean". */
export function readEnum<T extends string>(n: YNode, allowed: readonly T[], what?: string): T {
  if (n.kind !== 'scalar' || typeof n.value !== 'string') {
    fail(n, `expected one of ${allowed.join(', ')}, got ${typeName(n)}`);
  }
  const v = n.value;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  fail(n, `${JSON.stringify(v)} is not ${what ?? 'allowed'}${didYouMean(v, allowed)}: allowed values are ${allowed.join(', ')}`);
}

/** Optional key helpers: the default when absent. */
export function optString(m: YMap, key: string, def: string): string {
  const n = get(m, key);
  return n ? readString(n) : def;
}

export function optBool(m: YMap, key: string, def: boolean): boolean {
  const n = get(m, key);
  return n ? readBool(n) : def;
}

export function optInt(m: YMap, key: string, def: number, min: number, max: number, what?: string): number {
  const n = get(m, key);
  return n ? readInt(n, min, max, what) : def;
}

export function optEnum<T extends string>(m: YMap, key: string, allowed: readonly T[], def: T, what?: string): T {
  const n = get(m, key);
  return n ? readEnum(n, allowed, what) : def;
}

/** A mapping of string to string (labels, annotations, selectors): values must be strings. */
export function readStringMap(n: YNode): Record<string, string> {
  const m = asMap(n);
  const out: Record<string, string> = {};
  for (const [k, e] of m.entries) {
    const v = e.value;
    if (v.kind === 'scalar' && v.value === null) {
      fail(v, `value of ${JSON.stringify(k)} is empty: Kubernetes wants a string (write "")`);
    }
    if (v.kind !== 'scalar' || typeof v.value !== 'string') {
      fail(v, `value of ${JSON.stringify(k)} must be a string, got ${typeName(v)}${v.kind === 'scalar' ? ` (quote it: "${String(v.value)}")` : ''}`);
    }
    out[k] = v.value;
  }
  return out;
}

/** A list of strings. */
export function readStringList(n: YNode, what = 'a list of strings'): { value: string; node: YNode }[] {
  const s = asSeq(n, what);
  return s.items.map((it) => ({ value: readString(it), node: it }));
}
