/**
 * colour.ts: the one place that decides whether output is coloured. picocolors alone turns
 * colour on whenever CI is set; dsrlab colours only a terminal: never with NO_COLOR, always with
 * FORCE_COLOR, otherwise only when stdout is a TTY (and TERM is not "dumb").
 */
import picocolors from 'picocolors';

export function colourEnabled(env: NodeJS.ProcessEnv = process.env, isTTY = !!process.stdout.isTTY): boolean {
  if (env.NO_COLOR) return false; // no-color.org: present and not empty
  if ('FORCE_COLOR' in env) return env.FORCE_COLOR !== '0';
  return isTTY && env.TERM !== 'dumb';
}

const pc = picocolors.createColors(colourEnabled());
export default pc;
