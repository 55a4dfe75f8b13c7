// The real Cloister (simulated attestation) behind a localhost listener, a fake upstream and
// Chromium, for the web app's end-to-end suites; plus the steps every such test takes.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { resetDatabase } from '../support/test-database.ts';
import { manualClock } from '../support/clock.ts';
import type { Env } from '../../src/config.ts';
import { listen, type RunningServer } from '../../src/http/server.ts';
import { buildWeb, launchBrowser, openPage, type TestPage } from './web-browser.ts';
import { startFakeUpstream, type FakeUpstream } from './web-fake-upstream.ts';

export interface WebE2e {
  readonly browser: Browser;
  readonly t: TestApp;
  readonly fake: FakeUpstream;
  /** http://localhost:PORT (passkeys refuse IP addresses) */
  readonly origin: string;
  newPage(options?: { width?: number; height?: number; dark?: boolean }): Promise<TestPage>;
  /** checks and closes the pages a test opened */
  afterEach(): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Builds the app if needed, starts Cloister on a fresh database with `env`, and Chromium. */
export async function startWebE2e(env: Env = {}, fakeModels?: string[]): Promise<WebE2e> {
  await buildWeb();
  await resetDatabase();
  const fake = await startFakeUpstream();
  if (fakeModels) fake.models = fakeModels;
  const port = await freePort();
  // Browsers refuse passkeys on an IP address, so the app is reached as localhost; a second
  // listener on a known port lets PUBLIC_URL (WebAuthn origin, CSRF) name that port.
  const origin = `http://localhost:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'cloister-web-e2e-'));
  // the server's clock starts at the browser's "now", so creation times group as Today
  const t = await startTestApp({ ATTESTATION_MODE: 'simulated', DATA_DIR: dataDir, OPENAI_BASE_URL: fake.baseUrl, PUBLIC_URL: origin, ...env }, { clock: manualClock(new Date()) });
  const server: RunningServer = await listen(t.app.callback(), { host: '127.0.0.1', port });
  const browser = await launchBrowser();
  const pages: TestPage[] = [];
  return {
    browser, t, fake, origin,
    async newPage(options = {}) {
      const p = await openPage(browser, origin, options);
      pages.push(p);
      return p;
    },
    async afterEach() {
      for (const p of pages.splice(0)) {
        expect(p.foreignRequests, 'requests leaving the origin').to.deep.equal([]);
        expect(p.problems.filter((m) => /Content Security Policy|Refused to/.test(m)), 'CSP violations').to.deep.equal([]);
        await p.close();
      }
    },
    async close() {
      await browser.close();
      await server.shutdown(1000);
      await t.close();
      await fake.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates an account with the virtual passkey and waits until the chat can send (model chosen). */
export async function signUp(page: Page, origin: string, name: string, model = 'fake-model'): Promise<void> {
  await page.goto(origin + '/');
  await page.getByLabel('New here? Your name (optional)').fill(name);
  await page.getByRole('button', { name: 'Create an account with a passkey' }).click();
  await page.getByRole('combobox', { name: 'Model' }).waitFor();
  await page.waitForFunction((m) => (document.getElementById('model') as HTMLSelectElement | null)?.value === m, model);
}

/** Types a message and presses Enter. */
export async function send(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.keyboard.press('Enter');
}

/** Waits for the reply at `index` (0-based among replies) to finish. */
export async function replyDone(page: Page, index: number): Promise<void> {
  await page.locator('article.assistant').nth(index).and(page.locator('[data-status="done"]')).waitFor();
}
