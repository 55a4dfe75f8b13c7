#!/usr/bin/env node
// The `cloister` command. From a checkout it runs the TypeScript sources directly (Node 24
// strips types); in the image, where src/ is not shipped, it runs the compiled dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli.ts', import.meta.url);
const entry = existsSync(source) ? source : new URL('../dist/src/cli.js', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
