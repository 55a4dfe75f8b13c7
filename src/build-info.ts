// Build information baked into the image at build time (build args -> /app/build-info.json):
// what an attested report says about the code. No clock is read; 'unknown' in development.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BuildInfo {
  readonly version: string;
  readonly git_commit: string;
  readonly source_date_epoch: string;
}

const UNKNOWN: BuildInfo = { version: 'unknown', git_commit: 'unknown', source_date_epoch: 'unknown' };

/** Reads `<appRoot>/build-info.json`; every field falls back to 'unknown'. */
export function readBuildInfo(appRoot: string): BuildInfo {
  try {
    const raw = JSON.parse(readFileSync(join(appRoot, 'build-info.json'), 'utf8')) as Record<string, unknown>;
    const field = (k: keyof BuildInfo) => (typeof raw[k] === 'string' && /^[\w.+:@/-]{1,200}$/.test(raw[k] as string) ? raw[k] as string : 'unknown');
    return { version: field('version'), git_commit: field('git_commit'), source_date_epoch: field('source_date_epoch') };
  } catch {
    return UNKNOWN;
  }
}
