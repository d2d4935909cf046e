#!/usr/bin/env node
// The dsrlab command. The CLI itself is TypeScript compiled to dist/ by `npm ci` (install script).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exitCode = 70;
  },
);
