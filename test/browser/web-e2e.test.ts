// The web app in Chromium against the real Cloister (simulated attestation) and a fake upstream:
// passkeys, streamed chat, stop, history after reload, isolation between accounts, in-browser
// verification, and model output that tries to run script.
// Steps whose backend route is not in this build yet are skipped with the route named.
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { waitFor } from '../support/log-capture.ts';
import { skipWithoutChromium, type TestPage } from './web-browser.ts';
import { send, signUp as signUpAt, startWebE2e, type WebE2e } from './web-e2e-harness.ts';

describe('web app end to end (Cloister + fake upstream, Chromium)', function () {
  this.timeout(60_000);
  let e2e: WebE2e;
  let origin: string;
  let fake: WebE2e['fake'];

  before(async function () {
    skipWithoutChromium(this);
    e2e = await startWebE2e();
    origin = e2e.origin;
    fake = e2e.fake;
  });
  after(async () => { await e2e?.close(); });
  afterEach(async () => { await e2e?.afterEach(); });

  /** Skips the test when this build has no such route yet (the unknown-URL 404). */
  async function requireRoute(ctx: Mocha.Context, method: string, path: string): Promise<void> {
    const res = await fetch(origin.replace('localhost', '127.0.0.1') + path, { method, headers: { 'content-type': 'application/json', origin }, body: method === 'GET' ? undefined : '{}' });
    const body = await res.text();
    if (res.status === 404 && body.includes('Unknown request URL')) {
      console.log(`      (skipped: ${method} ${path} is not in this build yet)`);
      ctx.skip();
    }
  }

  const newPage = (options: { width?: number; dark?: boolean } = {}): Promise<TestPage> => e2e.newPage(options);
  const signUp = (page: Page, name: string) => signUpAt(page, origin, name);

  it('serves the sign-in and verify screens under the real CSP', async () => {
    const { page, screenshot, problems } = await newPage();
    await page.goto(origin + '/');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
    await screenshot('e2e-sign-in');
    await page.getByRole('link', { name: 'Verify the deployment' }).click();
    await page.getByRole('heading', { name: 'Verify this server' }).waitFor();
    expect(problems.filter((m) => !/status of 4\d\d/.test(m))).to.deep.equal([]);
  });

  it('signs up with a passkey, signs out, and signs in again with it', async function () {
    await requireRoute(this, 'POST', '/v1/auth/passkey/register/options');
    const { page, screenshot } = await newPage();
    await signUp(page, 'Alice');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('combobox', { name: 'Model' }).waitFor();
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Passkeys' }).waitFor();
    expect(await page.getByLabel('Display name').inputValue()).to.equal('Alice');
    await screenshot('e2e-account');
  });

  it('streams a reply, keeps the conversation across a reload, and hides it from another account', async function () {
    await requireRoute(this, 'POST', '/v1/auth/passkey/register/options');
    await requireRoute(this, 'POST', '/v1/responses');
    fake.reply = ['The ', 'answer ', 'is ', '**42**.'];
    fake.pieceDelayMs = 30;
    const alice = await newPage();
    await signUp(alice.page, 'Alice');
    await send(alice.page, 'What is the answer?');
    const reply = alice.page.locator('article.assistant[data-status="done"]');
    await reply.waitFor();
    expect((await reply.locator('.md').textContent())?.trim()).to.equal('The answer is 42.'); // the renderer ends blocks with a newline
    await alice.screenshot('e2e-chat');
    const url = alice.page.url();
    const conversationId = /\/c\/([^/]+)$/.exec(url)![1]!;

    await alice.page.reload();
    await alice.page.locator(`.conversations a[data-conversation-id="${conversationId}"]`).waitFor();
    await alice.page.locator('article.assistant', { hasText: 'The answer is 42.' }).waitFor();
    await alice.page.locator('article.user', { hasText: 'What is the answer?' }).waitFor();

    const bob = await newPage();
    await signUp(bob.page, 'Bob');
    await bob.page.getByText('No conversations yet.').waitFor();
    expect(await bob.page.locator('.conversations a[data-conversation-id]').count()).to.equal(0);
    await bob.page.goto(url);
    await bob.page.locator('[role="alert"]', { hasText: 'Not found' }).waitFor();
    expect(await bob.page.locator('article').count()).to.equal(0);
  });

  it('stops a reply mid-stream, and the upstream request is aborted', async function () {
    await requireRoute(this, 'POST', '/v1/auth/passkey/register/options');
    await requireRoute(this, 'POST', '/v1/responses');
    fake.reply = Array.from({ length: 300 }, (_, i) => `word${i} `);
    fake.pieceDelayMs = 25;
    const before = fake.aborted;
    const { page } = await newPage();
    await signUp(page, 'Stopper');
    await send(page, 'Talk for a long time');
    await page.locator('article.assistant', { hasText: 'word5 ' }).waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('article.assistant[data-status="stopped"]').waitFor();
    expect(await page.locator('article.assistant .md').textContent()).not.to.contain('word299');
    await waitFor(() => fake.aborted > before, 5000); // Cloister aborts upstream when the browser leaves
    expect(fake.aborted).to.equal(before + 1);
  });

  it('shows HTML and javascript: links in a reply as inert text', async function () {
    await requireRoute(this, 'POST', '/v1/auth/passkey/register/options');
    await requireRoute(this, 'POST', '/v1/responses');
    fake.reply = ['Hi <img src=x onerror="window.__xss=1">', ' [press](javascript:window.__xss=2) ', '<a href="javascript:window.__xss=3">x</a><script>window.__xss=4</script>'];
    fake.pieceDelayMs = 5;
    const { page, screenshot } = await newPage();
    await signUp(page, 'Mallory');
    await send(page, 'Say something dangerous');
    const reply = page.locator('article.assistant[data-status="done"]');
    await reply.waitFor();
    await reply.getByText('press').click();
    expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).to.equal(undefined);
    expect(await reply.locator('img, script, [onerror], a[href^="javascript"]').count()).to.equal(0);
    await screenshot('e2e-xss');
  });

  it('verifies the deployment in the browser: all green, labelled simulated', async function () {
    await requireRoute(this, 'GET', '/v1/attestation/report');
    const { page, screenshot } = await newPage();
    await page.goto(origin + '/verify');
    await page.getByTestId('simulated-banner').waitFor();
    await page.locator('[data-verdict]').waitFor();
    await screenshot('e2e-verify');
    const failed = await page.locator('.check[data-status="fail"]').evaluateAll((els) => els.map((e) => e.textContent));
    expect(failed.filter((f) => !f?.includes('simulated'))).to.deep.equal([]);
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).to.equal('pass');
    expect(await page.locator('.check[data-status="pass"]').count()).to.be.greaterThan(5);
  });

  it('verifies a reply\'s signature against the attested key', async function () {
    await requireRoute(this, 'POST', '/v1/auth/passkey/register/options');
    await requireRoute(this, 'POST', '/v1/responses');
    await requireRoute(this, 'GET', '/v1/attestation/report');
    fake.reply = ['Signed ', 'and ', 'sealed.'];
    fake.pieceDelayMs = 5;
    const { page, screenshot } = await newPage();
    await signUp(page, 'Auditor');
    await send(page, 'Sign this');
    const reply = page.locator('article.assistant[data-status="done"]');
    await reply.waitFor();
    await reply.getByRole('button', { name: 'Verify' }).click();
    const check = reply.locator('.check[data-check-id="signature.response"]');
    await check.waitFor();
    await screenshot('e2e-message-verify');
    expect(await check.getAttribute('data-status'), (await check.textContent()) ?? '').to.equal('pass');
    await reply.locator('.simulated-inline').waitFor();
  });
});
