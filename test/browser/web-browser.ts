// Shared browser plumbing for the web app tests: Debian's Chromium driven by playwright-core,
// a CDP virtual authenticator for passkeys, CSP-violation capture, and screenshots.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;
/** where the screenshots people look at go too (outside the work tree) */
export const SHOTS = '/tmp/cloister-shots/';

/** Skips the calling suite, with the reason, when Chromium is not installed. */
export function skipWithoutChromium(ctx: Mocha.Context): void {
  if (!existsSync(CHROMIUM)) {
    console.log(`    (skipped: ${CHROMIUM} is absent — install it with "apt-get install -y chromium")`);
    ctx.skip();
  }
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface TestPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** console errors and CSP violations seen so far */
  readonly problems: string[];
  /** requests that left the app's origin (there must be none) */
  readonly foreignRequests: string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** A fresh context (own cookies) with a virtual passkey authenticator attached. */
export async function openPage(browser: Browser, origin: string, options: { width?: number; height?: number; dark?: boolean } = {}): Promise<TestPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1200, height: options.height ?? 800 },
    colorScheme: options.dark ? 'dark' : 'light',
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems: string[] = [];
  const foreignRequests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|404)/.test(m.text())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) foreignRequests.push(r.url()); });
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  mkdirSync(SHOTS, { recursive: true });
  return {
    page, context, problems, foreignRequests,
    async screenshot(name) {
      const png = await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: false, animations: 'disabled' });
      writeFileSync(`${SHOTS}${name}.png`, png);
    },
    close: () => context.close(),
  };
}

/**
 * Builds dist/web from the current sources when they are newer than the last build. Builds into
 * a private directory and swaps it in, so a concurrent test run (or server) never sees a
 * half-written dist/web.
 */
export async function buildWeb(): Promise<string> {
  const { spawn } = await import('node:child_process');
  const { readdirSync, renameSync, rmSync, statSync } = await import('node:fs');
  const { join } = await import('node:path');
  const root = new URL('../../', import.meta.url).pathname;
  const out = join(root, 'dist/web/');
  const newest = (dir: string): number => {
    try {
      return Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
    } catch {
      return 0; // not there (yet)
    }
  };
  let built = 0;
  try { built = statSync(join(out, 'index.html')).mtimeMs; } catch { /* never built */ }
  // the bundle also contains the verifier library and what it imports
  if (['src/web', 'src/verify', 'src/tdx'].every((d) => built > newest(join(root, d)))) return out;

  const tmp = join(root, `dist/web.build-${process.pid}`);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(root, 'src/web/vite.config.ts'), '--outDir', tmp], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`vite build exited with ${code}`);
  const old = join(root, `dist/web.old-${process.pid}`);
  try { renameSync(out, old); } catch { /* none yet */ }
  renameSync(tmp, out);
  rmSync(old, { recursive: true, force: true });
  return out;
}
