// The application root (the folder holding package.json, migrations/ and attestation/), found
// the same way whether the code runs from src/ (development) or dist/src/ (the image).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Walks up from this module to the nearest folder with a package.json. */
export function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the application root (package.json with migrations/)');
    dir = parent;
  }
}
