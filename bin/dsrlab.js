#!/usr/bin/env node
// The dsrlab command. The CLI itself is TypeScript compiled to dist/ by `npm ci` (install script).
import { main } from '../dist/cli/main.js';

// `dsrlab … | head`: the reader went away; stop quietly as a shell tool would, not with a stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exitCode = 70;
  },
);
