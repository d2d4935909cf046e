/**
 * errors.ts: the one error type for bad input (captures, scenarios, command-line values).
 * The CLI maps it to exit status 2; anything else escaping is a bug in dsrlab, not the input.
 */

/** Where in the input the problem is; every field optional but `file`. */
export interface InputLocation {
  /** Path of the file as the user gave it. */
  file: string;
  /** Key path inside a scenario, e.g. `cilium.maglev.tableSize`. */
  keyPath?: string;
  /** 1-based line and column (YAML syntax errors). */
  line?: number;
  column?: number;
  /** Byte offset (captures). */
  offset?: number | bigint;
  /** The detail text already names the offset (the C reader's messages do): don't repeat it. */
  offsetInDetail?: boolean;
}

/** Bad input: names the file, the place and what was expected. */
export class InputError extends Error {
  readonly location: InputLocation;
  readonly detail: string;

  constructor(location: InputLocation, detail: string) {
    super(formatLocation(location) + ': ' + detail);
    this.name = 'InputError';
    this.location = location;
    this.detail = detail;
  }
}

function formatLocation(loc: InputLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}` + (loc.column !== undefined ? `:${loc.column}` : '');
  if (loc.keyPath) s += ` (${loc.keyPath})`;
  if (loc.offset !== undefined && !loc.offsetInDetail) s += ` at byte ${loc.offset}`;
  return s;
}
