// The one real-browser sign-in test: Debian's Chromium (playwright-core) with a CDP virtual
// authenticator registers a passkey on /login, signs out, and signs in again with it.
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { resetDatabase } from '../support/test-database.ts';
import { listen, type RunningServer } from '../../src/http/server.ts';

const CHROMIUM = '/usr/bin/chromium';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('/login in Chromium with a virtual passkey authenticator', function () {
  this.timeout(60_000);
  let t: TestApp;
  let server: RunningServer;
  let browser: Browser;
  let origin: string;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    (skipped: ${CHROMIUM} is absent — install it with "apt-get install -y chromium")`);
      this.skip();
    }
    await resetDatabase();
    const port = await freePort();
    // WebAuthn refuses IP addresses as RP ID, so the page is reached as localhost on a port
    // PUBLIC_URL can name (a second listener on the same app).
    origin = `http://localhost:${port}`;
    t = await startTestApp({ PUBLIC_URL: origin });
    server = await listen(t.app.callback(), { host: '127.0.0.1', port });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await server?.shutdown(1000);
    await t?.close();
  });

  it('registers a passkey, signs out, and signs in again with it', async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const problems: string[] = [];
    // Resource errors are judged by URL below (401 on /v1/users/me means "signed out").
    page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text()); });
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.status() >= 400 && path !== '/favicon.ico' && !(r.status() === 401 && path === '/v1/users/me')) problems.push(`${r.status()} ${path}`);
    });
    page.on('pageerror', (e) => problems.push(e.message));
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    await page.goto(`${origin}/login`);
    await page.locator('#status', { hasText: 'Not signed in.' }).waitFor();
    await page.fill('#display-name', 'Browser Ada');
    await page.click('#passkey-signup');
    await page.locator('#status', { hasText: 'Signed in as Browser Ada.' }).waitFor();
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).to.have.length(1);
    expect(credentials[0]!.isResidentCredential).to.equal(true);

    await page.click('#signout');
    await page.locator('#status', { hasText: 'Not signed in.' }).waitFor();
    expect((await context.cookies()).filter((c) => c.name === 'cloister_session')).to.deep.equal([]);

    await page.click('#passkey-signin');
    await page.locator('#status', { hasText: 'Signed in as Browser Ada.' }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === 'cloister_session')!;
    expect(cookie.httpOnly).to.equal(true);
    expect(cookie.sameSite).to.equal('Lax');
    const me = await t.request('/v1/users/me', { headers: { cookie: `cloister_session=${cookie.value}` } });
    expect((await me.json()).display_name).to.equal('Browser Ada');

    expect(problems, 'console errors / CSP violations').to.deep.equal([]);
    expect(t.logs.contains(cookie.value)).to.equal(false);
    await context.close();
  });
});
