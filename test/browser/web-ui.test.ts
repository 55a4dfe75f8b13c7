// The web app's own behaviour, against a stand-in API (web-mock-api.ts): screens at desktop and
// phone width in light and dark, streamed replies, stop, error display, and markdown safety.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { buildWeb, launchBrowser, openPage, skipWithoutChromium, type TestPage } from './web-browser.ts';
import { startMockApi, type MockApi } from './web-mock-api.ts';

describe('web app UI (stand-in API)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let api: MockApi;
  let origin: string;
  let tp: TestPage | undefined;

  before(async function () {
    skipWithoutChromium(this);
    const root = await buildWeb();
    api = await startMockApi(root);
    origin = api.url.replace('127.0.0.1', 'localhost'); // an IP address cannot be a WebAuthn RP ID
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await api?.close();
  });
  afterEach(async () => {
    if (tp) expect(tp.foreignRequests, 'requests outside the origin').to.deep.equal([]);
    await tp?.close();
    tp = undefined;
  });

  async function signedIn(options: { width?: number; dark?: boolean } = {}): Promise<TestPage> {
    tp = await openPage(browser, origin, options);
    await tp.page.goto(origin + '/');
    await tp.page.getByRole('button', { name: 'Create an account with a passkey' }).click();
    await tp.page.getByRole('combobox', { name: 'Model' }).waitFor();
    // The composer ignores Enter until the model list has loaded: on a busy machine a test that
    // typed before then would wait for a reply that was never asked for.
    await tp.page.waitForFunction(() => (document.getElementById('model') as HTMLSelectElement | null)?.value === 'mock-model');
    return tp;
  }

  it('shows the sign-in screen, then chat after a passkey sign-up', async () => {
    tp = await openPage(browser, origin);
    await tp.page.goto(origin + '/');
    await tp.page.getByRole('heading', { name: 'Passkey' }).waitFor();
    await tp.screenshot('ui-sign-in');
    await tp.page.getByRole('button', { name: 'Create an account with a passkey' }).click();
    await tp.page.getByRole('combobox', { name: 'Model' }).waitFor();
    await tp.page.waitForFunction(() => (document.getElementById('model') as HTMLSelectElement | null)?.value === 'mock-model');
    expect(tp.problems).to.deep.equal([]);
  });

  it('streams a reply, lists the conversation, and renders markdown with code', async () => {
    const { page } = await signedIn();
    api.reply = ['Here is **bold** and code:\n\n', '```js\nconsole.log(1)\n```\n', '\nDone.'];
    await page.getByRole('textbox', { name: 'Message' }).fill('Show me code');
    await page.keyboard.press('Enter');
    await page.locator('article.assistant[data-status="done"]').waitFor();
    expect(await page.locator('article.assistant pre code').textContent()).to.contain('console.log(1)');
    expect(await page.locator('article.assistant strong').textContent()).to.equal('bold');
    await page.locator('.conversations a[aria-current="page"]', { hasText: 'Show me code' }).waitFor();
    expect(page.url()).to.match(/\/c\/conv_\d+$/);
    await tp!.screenshot('ui-chat');
    expect(tp!.problems).to.deep.equal([]);
  });

  it('stops a reply mid-stream and keeps what arrived', async () => {
    const { page } = await signedIn();
    api.reply = Array.from({ length: 200 }, (_, i) => `w${i} `);
    api.pieceDelayMs = 20;
    await page.getByRole('textbox', { name: 'Message' }).fill('Long one');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('article.assistant', { hasText: 'w3 ' }).waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('article.assistant[data-status="stopped"]').waitFor();
    const text = await page.locator('article.assistant .md').textContent();
    expect(text).to.contain('w3');
    expect(text).not.to.contain('w199');
    await page.getByRole('button', { name: 'Send' }).waitFor();
    api.pieceDelayMs = 30;
  });

  it('does not execute HTML or javascript: links from a model reply', async () => {
    const { page } = await signedIn();
    api.reply = [
      'Look <img src=x onerror="window.__xss=1"> here ',
      '<script>window.__xss=2</script> and [click me](javascript:window.__xss=3) ',
      '<a href="javascript:window.__xss=4">raw</a> <svg onload="window.__xss=5"></svg>',
      '\n\n[ok](https://example.com/)',
    ];
    await page.getByRole('textbox', { name: 'Message' }).fill('xss please');
    await page.keyboard.press('Enter');
    const reply = page.locator('article.assistant[data-status="done"]');
    await reply.waitFor();
    await reply.getByText('click me').click();
    expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).to.equal(undefined);
    expect(await reply.locator('img, script, svg, [onerror], [onload]').count()).to.equal(0);
    const hrefs = await reply.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(hrefs).to.deep.equal(['https://example.com/']);
    expect(await reply.textContent()).to.contain('<img src=x onerror="window.__xss=1">'); // shown as text
    await tp!.screenshot('ui-xss');
  });

  it('explains a rate limit in plain words with a live countdown, and leaves no empty conversation', async () => {
    tp = await openPage(browser, origin);
    await tp.page.clock.install();
    const { page } = tp;
    await page.goto(origin + '/');
    await page.getByRole('button', { name: 'Create an account with a passkey' }).click();
    await page.waitForFunction(() => (document.getElementById('model') as HTMLSelectElement | null)?.value === 'mock-model');
    const before = api.received.filter((r) => r.method === 'DELETE').length;
    api.failWith = { status: 429, code: 'rate_limit_exceeded', message: 'Rate limit reached for requests (raw server text).', retryAfter: '42' };
    try {
      await page.getByRole('textbox', { name: 'Message' }).fill('hello');
      await page.keyboard.press('Enter');
      const alert = page.locator('article.assistant [role="alert"]');
      await alert.waitFor();
      // the first message failed before any output: the conversation made for it is deleted again
      await page.waitForURL(origin + '/');
      expect(api.received.filter((r) => r.method === 'DELETE' && r.path.startsWith('/v1/conversations/')).length).to.equal(before + 1);
      // pause a second ahead of the page's "now" (pausing at a past instant is refused)
      await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1000));
      expect(await alert.textContent()).to.match(/^Too many messages in a short time\. You can try again in (39|4[01]) s\.$/);
      expect(await alert.textContent()).not.to.contain('raw server text');
      await tp.screenshot('ui-rate-limit');
      await page.clock.runFor(20_000);
      expect(await alert.textContent()).to.match(/try again in (19|2[01]) s\./);
      await page.clock.runFor(25_000);
      expect(await alert.textContent()).to.contain('You can try again now.');
      await page.getByRole('button', { name: 'Retry' }).waitFor();
    } finally {
      api.failWith = null;
    }
  });

  it('groups conversations by day with pinned ones on top, and finds them by title', async () => {
    api.seed('Quarterly report outline', 20);
    api.seed('Holiday packing list', 3);
    api.seed('Yesterday: fix the bike brakes', 1);
    api.seed('Pinned: tax questions', 40, { pinned: 'true' });
    for (const width of [1280, 390]) {
      const { page } = await signedIn({ width });
      api.reply = ['Sure — here is a short plan:\n\n1. Pack light\n2. Check the weather\n\n```sh\necho ready\n```'];
      await page.getByRole('textbox', { name: 'Message' }).fill(`Plan my day (${width} px)`);
      await page.keyboard.press('Enter');
      await page.locator('article.assistant[data-status="done"]').waitFor();
      if (width === 390) await page.getByRole('button', { name: 'Conversations' }).click();
      const labels = page.locator('.group-label');
      await page.locator('.conv-row', { hasText: `Plan my day (${width} px)` }).waitFor();
      expect(await labels.allTextContents()).to.deep.equal(['Pinned', 'Today', 'Yesterday', 'Previous 7 days', 'Older']);
      expect(await page.locator('.conv-group[aria-label="Older"] .title').allTextContents()).to.include('Quarterly report outline');
      await tp!.screenshot(`shot-${width}-list-groups`);
      await page.getByLabel('Search conversations').fill('PACKING');
      expect(await page.locator('.conv-row .title').allTextContents()).to.deep.equal(['Holiday packing list']);
      expect(await labels.allTextContents()).to.deep.equal(['Previous 7 days']);
      await tp!.close();
      tp = undefined;
    }
  });

  it('explains an exhausted budget with its local reset time, an unavailable model, a provider outage and going offline', async () => {
    for (const width of [1280, 390]) {
      const { page } = await signedIn({ width });
      let asked = 0;
      const ask = async (text: string) => {
        await page.getByRole('textbox', { name: 'Message' }).fill(text);
        await page.keyboard.press('Enter');
        const alert = page.locator('article.assistant').nth(asked++).locator('[role="alert"]');
        await alert.waitFor();
        return (await alert.textContent()) ?? '';
      };
      try {
        api.failWith = { status: 429, code: 'insufficient_quota', message: 'Budget exhausted; resets at 2026-12-04T00:00:00Z (raw)', retryAfter: String(3 * 3600 + 5 * 60) };
        expect(await ask('Use my budget')).to.match(/^You have used up your token budget for now\. It resets at .+\. You can try again in 3 h 5 min\.$/);
        api.failWith = { status: 404, code: 'model_not_found', message: 'The model `x` does not exist (raw)' };
        expect(await ask('Wrong model')).to.equal('That model is not available on this server. Pick another model and send again.');
        api.failWith = { status: 502, code: 'upstream_error', message: 'upstream said: 500 Internal Server Error (raw)' };
        expect(await ask('Provider down')).to.equal('The model provider is having trouble and could not answer. Try again in a moment.');
        await tp!.screenshot(`shot-${width}-error`);
        api.failWith = null;
        await tp!.context.setOffline(true);
        expect(await ask('No network')).to.equal('You appear to be offline, or the server cannot be reached. Check your connection and try again.');
        await tp!.context.setOffline(false);
        expect(await page.locator('[role="alert"]').allTextContents()).not.to.satisfy((ts: string[]) => ts.some((t) => t.includes('raw')));
      } finally {
        api.failWith = null;
      }
      await tp!.close();
      tp = undefined;
    }
  });

  it('offers no attachments when the server turns them off, and refuses a pasted file in plain words', async () => {
    api.attachmentMaxBytes = 0;
    try {
      const { page } = await signedIn();
      await page.getByRole('textbox', { name: 'Message' }).waitFor();
      expect(await page.getByRole('button', { name: 'Attach files' }).count()).to.equal(0);
      expect(await page.getByTestId('attachment-limits').count()).to.equal(0);
      await page.getByRole('textbox', { name: 'Message' }).evaluate((box) => {
        const dt = new DataTransfer();
        dt.items.add(new File(['x'], 'note.txt', { type: 'text/plain' }));
        box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      });
      expect(await page.locator('.composer [role="alert"]').textContent()).to.equal('This server does not accept attachments: write or paste the text into the message instead.');
      expect(await page.locator('.composer .chip').count()).to.equal(0);
    } finally {
      api.attachmentMaxBytes = 10 * 1024 * 1024;
    }
  });

  it('fits a phone screen in dark mode, and the account and verify pages render', async () => {
    const { page } = await signedIn({ width: 390, dark: true });
    await page.getByRole('textbox', { name: 'Message' }).fill('Hi from a phone');
    await page.keyboard.press('Enter');
    await page.locator('article.assistant[data-status="done"]').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, 'horizontal overflow in px').to.be.at.most(0);
    await tp!.screenshot('ui-phone-dark-chat');
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await tp!.screenshot('ui-phone-dark-account');
    await page.getByRole('link', { name: 'Verify' }).click();
    await page.getByTestId('simulated-banner').waitFor();
    await tp!.screenshot('ui-phone-dark-verify');
  });
});
