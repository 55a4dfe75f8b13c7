// Shared browser plumbing for the web app tests: Debian's Chromium driven by playwright-core,
// a CDP virtual authenticator for passkeys, CSP-violation capture, and screenshots.
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;

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
  return {
    page, context, problems, foreignRequests,
    async screenshot(name) { await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: false }); },
    close: () => context.close(),
  };
}

/** Builds dist/web from the current sources (Vite, a fraction of a second), so tests see today's app. */
export async function buildWeb(): Promise<string> {
  const { spawn } = await import('node:child_process');
  const vite = new URL('../../node_modules/vite/bin/vite.js', import.meta.url).pathname;
  const config = new URL('../../src/web/vite.config.ts', import.meta.url).pathname;
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [vite, 'build', '--config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`vite build exited with ${code}`);
  return new URL('../../dist/web/', import.meta.url).pathname;
}
