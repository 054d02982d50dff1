#!/usr/bin/env node
// Installed `radix` entry: present before the first build (npm links bins at install time), it runs the built CLI
// or says how to build it, instead of npm reporting a missing file.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('radix: @radix/cli is not built yet; run `npm run build` in the Radix checkout (npm install builds it too)\n');
  process.exit(1);
}
await import(built.href);
