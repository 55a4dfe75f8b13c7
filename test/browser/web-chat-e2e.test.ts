// Issue 23 in Chromium against the real Cloister and a fake upstream: conversations renamed,
// pinned, searched and deleted; only the operator's models, starting on the right default;
// custom instructions reaching the provider; edit and regenerate leaving the provider holding
// what the screen shows; an image arriving byte-identical and a text file arriving with its
// name; exports; the phone drawer. What reached the provider is read from the fake upstream.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { skipWithoutChromium } from './web-browser.ts';
import { replyDone, send, signUp, startWebE2e, type WebE2e } from './web-e2e-harness.ts';

const MODELS = { ALLOWED_MODELS: 'fake-model,other-model', DEFAULT_MODEL: 'fake-model' };

/** A title's row in the conversation list. */
const row = (page: Page, title: string) => page.locator('.conv-row', { has: page.locator('.title', { hasText: title }) });

/** The signed-in user's conversations as Cloister lists them (the page's own cookie). */
async function listed(page: Page, origin: string): Promise<Array<{ id: string; metadata?: Record<string, string> }>> {
  const res = await page.request.get(`${origin}/v1/conversations`);
  expect(res.status()).to.equal(200);
  return ((await res.json()) as { data: Array<{ id: string; metadata?: Record<string, string> }> }).data;
}

/** The id in /c/{id}, once the page shows that conversation. */
async function currentConversation(page: Page): Promise<string> {
  await page.waitForURL(/\/c\/[^/]+$/);
  return /\/c\/([^/]+)$/.exec(page.url())![1]!;
}

describe('web app: conversations, models, instructions, edit, attachments, export, phone (Chromium, real server)', function () {
  this.timeout(90_000);
  let e2e: WebE2e;

  before(async function () {
    skipWithoutChromium(this);
    e2e = await startWebE2e(MODELS, ['text-embedding-3-small', 'fake-model', 'other-model', 'not-allowed-model']);
  });
  after(async () => { await e2e?.close(); });
  afterEach(async () => { await e2e?.afterEach(); });
  beforeEach(() => { e2e.fake.reply = ['Hello', ' there', '!']; e2e.fake.pieceDelayMs = 5; e2e.fake.failWith = null; });

  it('renames, pins, searches and deletes conversations, and the provider deletes them too', async () => {
    const { page, screenshot } = await e2e.newPage({ width: 1280 });
    await signUp(page, e2e.origin, 'Lister');
    await send(page, 'Plan a weekend trip to Lisbon with a small budget please');
    await replyDone(page, 0);
    const lisbon = await currentConversation(page);
    await page.getByRole('link', { name: 'New conversation' }).click();
    await page.waitForURL(`${e2e.origin}/`);
    await send(page, 'A recipe for sourdough bread');
    await replyDone(page, 0);
    const bread = await currentConversation(page);

    // the title comes from the first message, cut at a word to at most 60 characters
    await row(page, 'Plan a weekend trip').waitFor();
    const lisbonTitle = (await listed(page, e2e.origin)).find((c) => c.id === lisbon)!.metadata!.title!;
    expect(lisbonTitle.length).to.be.at.most(60);
    expect(lisbonTitle).to.equal('Plan a weekend trip to Lisbon with a small budget please');
    expect(await page.locator('.group-label').allTextContents()).to.deep.equal(['Today']);

    // rename inline
    await page.getByRole('button', { name: `Actions for ${lisbonTitle}` }).click();
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('New title').fill('Lisbon in May');
    await page.keyboard.press('Enter');
    await row(page, 'Lisbon in May').waitFor();
    await expectListed(page, lisbon, (m) => m?.title === 'Lisbon in May');

    // search by title
    await page.getByLabel('Search conversations').fill('sourdough');
    await row(page, 'A recipe for sourdough bread').waitFor();
    expect(await page.locator('.conv-row').count()).to.equal(1);
    await page.getByLabel('Search conversations').fill('nothing like this');
    await page.getByText('No title matches').waitFor();
    await page.getByLabel('Search conversations').fill('');

    // pin: on top, under Pinned; the metadata keeps its title (it is replaced whole)
    await page.getByRole('button', { name: 'Actions for A recipe for sourdough bread' }).click();
    await page.getByRole('button', { name: 'Pin', exact: true }).click();
    await page.locator('.conv-group[aria-label="Pinned"] .conv-row', { hasText: 'sourdough' }).waitFor();
    await expectListed(page, bread, (m) => m?.pinned === 'true' && m.title === 'A recipe for sourdough bread');
    expect(await page.locator('.group-label').allTextContents()).to.deep.equal(['Pinned', 'Today']);

    // after a reload the list still says so (one request: titles come with the list)
    const listRequests: string[] = [];
    page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/v1/conversations')) listRequests.push(new URL(r.url()).pathname); });
    await page.reload();
    await row(page, 'Lisbon in May').waitFor();
    expect(await page.locator('.group-label').allTextContents()).to.deep.equal(['Pinned', 'Today']);
    await screenshot('shot-1280-chat-list');
    expect(listRequests.filter((p) => p === '/v1/conversations')).to.have.length(1);
    expect(listRequests.filter((p) => /^\/v1\/conversations\/[^/]+$/.test(p)), 'no per-row fetches').to.deep.equal([]);

    // delete, after confirming; the page showing it goes back to a new conversation
    await row(page, 'A recipe for sourdough bread').getByRole('link').click();
    await page.waitForURL(`${e2e.origin}/c/${bread}`);
    await page.getByRole('button', { name: 'Actions for A recipe for sourdough bread' }).click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('group', { name: 'Delete A recipe for sourdough bread?' }).getByRole('button', { name: 'Cancel' }).click();
    expect(e2e.fake.conversations.has(bread)).to.equal(true);
    await page.getByRole('button', { name: 'Actions for A recipe for sourdough bread' }).click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('group', { name: 'Delete A recipe for sourdough bread?' }).getByRole('button', { name: 'Delete' }).click();
    await row(page, 'sourdough').waitFor({ state: 'detached' });
    await page.waitForURL(`${e2e.origin}/`);
    expect((await listed(page, e2e.origin)).map((c) => c.id)).to.deep.equal([lisbon]);
    expect(e2e.fake.conversations.has(bread), 'deleted at the provider').to.equal(false);
  });

  async function expectListed(page: Page, id: string, ok: (m: Record<string, string> | undefined) => boolean): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const c = (await listed(page, e2e.origin)).find((x) => x.id === id);
      if (ok(c?.metadata)) return;
      await page.waitForResponse((r) => r.url().includes(`/v1/conversations/${id}`), { timeout: 2000 }).catch(() => {});
    }
    expect.fail(`conversation ${id} metadata: ${JSON.stringify((await listed(page, e2e.origin)).find((x) => x.id === id))}`);
  }

  it('offers only the allowed models, starts on the server default, then on the account default', async () => {
    const { page, screenshot } = await e2e.newPage({ width: 1280 });
    await signUp(page, e2e.origin, 'Chooser');
    const options = await page.locator('#model option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).to.deep.equal(['fake-model', 'other-model']);

    await page.getByRole('link', { name: 'Account' }).click();
    const picker = page.getByLabel('Default model');
    await picker.waitFor();
    const accountOptions = await picker.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(accountOptions).to.deep.equal(['', 'fake-model', 'other-model']);
    await picker.selectOption('other-model');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await screenshot('shot-1280-account');

    await page.getByRole('link', { name: 'Chat' }).click();
    await page.waitForFunction(() => (document.getElementById('model') as HTMLSelectElement | null)?.value === 'other-model');
    await send(page, 'Which model are you?');
    await replyDone(page, 0);
    expect(e2e.fake.responses.at(-1)!.model).to.equal('other-model');
  });

  it('sends the custom instructions while switched on, and not when off', async () => {
    const { page } = await e2e.newPage();
    await signUp(page, e2e.origin, 'Instructor');
    await page.getByRole('link', { name: 'Account' }).click();
    const instructions = 'Answer like a pirate. Use metric units. — canary ✓';
    await page.getByLabel('Custom instructions', { exact: true }).fill(instructions);
    await page.getByRole('switch').check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();

    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByText('Instructions on').waitFor();
    await send(page, 'Hello');
    await replyDone(page, 0);
    expect(e2e.fake.responses.at(-1)!.instructions).to.equal(instructions);

    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('switch').uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect(await page.getByLabel('Custom instructions', { exact: true }).inputValue(), 'kept while off').to.equal(instructions);
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.waitForFunction(() => (document.getElementById('model') as HTMLSelectElement | null)?.value === 'fake-model');
    await send(page, 'Hello again');
    await replyDone(page, 0);
    expect(e2e.fake.responses.at(-1)).not.to.have.property('instructions');
  });

  it('edits a sent message and regenerates the last reply; the provider holds what the screen shows', async () => {
    const { page } = await e2e.newPage();
    await signUp(page, e2e.origin, 'Editor');
    e2e.fake.reply = ['First answer'];
    await send(page, 'First question');
    await replyDone(page, 0);
    const id = await currentConversation(page);
    e2e.fake.reply = ['Second answer'];
    await send(page, 'Second question');
    await replyDone(page, 1);
    const held = () => e2e.fake.conversations.get(id)!.items.map((it) => `${it.role}: ${it.content.map((c) => c.text).join('')}`);
    expect(held()).to.deep.equal(['user: First question', 'assistant: First answer', 'user: Second question', 'assistant: Second answer']);

    // edit the first message: everything from it on is replaced
    e2e.fake.reply = ['Answer to the edit'];
    await page.locator('article.user').first().getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Edit message').fill('First question, edited');
    await page.getByRole('button', { name: 'Send edited message' }).click();
    await page.locator('article.assistant', { hasText: 'Answer to the edit' }).and(page.locator('[data-status="done"]')).waitFor();
    expect(await page.locator('article').count()).to.equal(2);
    expect(held()).to.deep.equal(['user: First question, edited', 'assistant: Answer to the edit']);

    // regenerate the last reply: the same question once, a new answer
    e2e.fake.reply = ['A regenerated answer'];
    await page.getByRole('button', { name: 'Regenerate' }).click();
    await page.locator('article.assistant', { hasText: 'A regenerated answer' }).and(page.locator('[data-status="done"]')).waitFor();
    expect(held()).to.deep.equal(['user: First question, edited', 'assistant: A regenerated answer']);

    // and a reload shows exactly that
    await page.reload();
    await page.locator('article.assistant', { hasText: 'A regenerated answer' }).waitFor();
    expect(await page.locator('article').allTextContents()).to.have.length(2);
    expect(await page.locator('article.user').textContent()).to.contain('First question, edited');
  });

  it('sends a picked image to the provider byte-identical, as an inline data URL', async () => {
    const { page, screenshot } = await e2e.newPage({ width: 1280 });
    await signUp(page, e2e.origin, 'Painter');
    const png = await page.screenshot({ clip: { x: 0, y: 0, width: 64, height: 48 } });
    await page.locator('#attach-input').setInputFiles({ name: 'screen.png', mimeType: 'image/png', buffer: png });
    await page.locator('.composer .chip.image', { hasText: 'screen.png' }).waitFor();
    await send(page, 'What is in this picture?');
    await replyDone(page, 0);
    const content = (e2e.fake.responses.at(-1)!.input as Array<{ role: string; content: Array<{ type: string; image_url?: string; text?: string }> }>)[0]!.content;
    expect(content.map((c) => c.type)).to.deep.equal(['input_image', 'input_text']);
    const url = content[0]!.image_url!;
    expect(url.startsWith('data:image/png;base64,')).to.equal(true);
    expect(Buffer.from(url.slice('data:image/png;base64,'.length), 'base64').equals(png), 'bytes identical').to.equal(true);
    expect(content[1]!.text).to.equal('What is in this picture?');
    // the thumbnail is shown in the sent message, and again after a reload (from the provider's copy)
    await page.locator('article.user .chip.image img').waitFor();
    await screenshot('shot-1280-chat-image');
    await page.reload();
    await page.locator('article.user .chip.image img').waitFor();
  });

  it('inlines a dropped text file with its name, and refuses a file over the limit in plain words', async () => {
    const { page } = await e2e.newPage();
    await signUp(page, e2e.origin, 'Reader');
    const notes = '# Notes\n\nMeet at 10:00 — café ✓\n';
    // a real drop event carrying a File, as a file manager would send it
    await page.locator('main.chat-main').evaluate((main, text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'notes.md', { type: 'text/markdown' }));
      main.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      main.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, notes);
    await page.locator('.composer .chip.text', { hasText: 'notes.md' }).waitFor();

    const big = Buffer.alloc(11 * 1024 * 1024, 1);
    await page.locator('#attach-input').setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: big });
    const refusal = page.locator('.composer [role="alert"]');
    await refusal.waitFor();
    expect(await refusal.textContent()).to.equal('“huge.png” is 11 MB: the attachments of one message can add up to 10 MB.');
    expect(await page.getByTestId('attachment-limits').textContent()).to.contain('up to 10 MB per message');
    await page.locator('#attach-input').setInputFiles({ name: 'report.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
    await page.locator('.composer [role="alert"]', { hasText: 'report.pdf' }).waitFor();
    expect(await page.locator('.composer [role="alert"]').textContent()).to.equal('“report.pdf” is a PDF: PDFs cannot be attached here. Copy the text you need into the message, or attach it as a .txt file.');
    expect(await page.locator('.composer .chip').allTextContents(), 'only the text file waits to be sent').to.have.length(1);

    const sentBefore = e2e.fake.responses.length;
    await send(page, 'Summarise my notes');
    await replyDone(page, 0);
    expect(e2e.fake.responses.length).to.equal(sentBefore + 1);
    const content = (e2e.fake.responses.at(-1)!.input as Array<{ content: Array<{ type: string; text?: string }> }>)[0]!.content;
    expect(content).to.deep.equal([
      { type: 'input_text', text: `<attachment name="notes.md">\n${notes}\n</attachment>` },
      { type: 'input_text', text: 'Summarise my notes' },
    ]);
    await page.locator('article.user .chip.text', { hasText: 'notes.md' }).waitFor();
  });

  it('exports a conversation as Markdown and as JSON', async () => {
    const { page } = await e2e.newPage();
    await signUp(page, e2e.origin, 'Exporter');
    e2e.fake.reply = ['Use **tabs**', ' or spaces.'];
    await send(page, 'Tabs or spaces?');
    await replyDone(page, 0);
    await currentConversation(page);
    await row(page, 'Tabs or spaces?').waitFor();

    const download = async (label: string) => {
      await page.getByRole('button', { name: 'Export this conversation' }).click();
      const [d] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: label }).click()]);
      return { name: d.suggestedFilename(), text: readFileSync((await d.path())!, 'utf8') };
    };
    const md = await download('Markdown (.md)');
    expect(md.name).to.equal('tabs-or-spaces.md');
    expect(md.text).to.match(/^# Tabs or spaces\?\n\n_Started \d{4}-\d\d-\d\dT[\d:.]+Z_\n\n## You\n\nTabs or spaces\?\n\n## Assistant\n\nUse \*\*tabs\*\* or spaces\.\n$/);
    const json = await download('JSON (.json)');
    expect(json.name).to.equal('tabs-or-spaces.json');
    const parsed = JSON.parse(json.text) as { title: string; messages: unknown[] };
    expect(parsed.title).to.equal('Tabs or spaces?');
    expect(parsed.messages).to.deep.equal([{ role: 'user', text: 'Tabs or spaces?' }, { role: 'assistant', text: 'Use **tabs** or spaces.' }]);
  });

  it('on a 390 px phone: the list is a drawer that closes on select, the composer stays at the bottom, no sideways scroll', async () => {
    const { page, screenshot } = await e2e.newPage({ width: 390, height: 844 });
    await signUp(page, e2e.origin, 'Phone');
    e2e.fake.reply = ['A reply that is long enough to wrap across a few lines on a narrow phone screen, with `code` and a **bold** word.'];
    await send(page, 'First on the phone');
    await replyDone(page, 0);
    const first = await currentConversation(page);
    await page.getByRole('button', { name: 'Conversations' }).click();
    await page.getByRole('link', { name: 'New conversation' }).click();
    await send(page, 'Second on the phone');
    await replyDone(page, 0);

    const drawer = page.locator('nav.conversations');
    expect(await drawer.isVisible(), 'closed at first').to.equal(false);
    const noSideways = () => page.evaluate(() => document.scrollingElement!.scrollWidth <= innerWidth);
    expect(await noSideways()).to.equal(true);
    const composer = await page.locator('form.composer').boundingBox();
    expect(composer!.y + composer!.height).to.be.closeTo(844, 2);
    await screenshot('shot-390-chat');

    await page.getByRole('button', { name: 'Conversations' }).click();
    await drawer.waitFor({ state: 'visible' });
    expect(await noSideways()).to.equal(true);
    await screenshot('shot-390-chat-drawer');
    await page.locator(`a[data-conversation-id="${first}"]`).click();
    await page.waitForURL(`${e2e.origin}/c/${first}`);
    await drawer.waitFor({ state: 'hidden' });
    await page.locator('article.user', { hasText: 'First on the phone' }).waitFor();
    expect(await noSideways()).to.equal(true);

    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByLabel('Custom instructions', { exact: true }).waitFor();
    expect(await noSideways()).to.equal(true);
    await screenshot('shot-390-account');
    await page.getByRole('link', { name: 'Verify' }).click();
    await page.locator('[data-kind="simulated"]').waitFor();
    expect(await noSideways()).to.equal(true);
    await screenshot('shot-390-verify');
  });

  it('says in plain words that a passkey is already registered', async () => {
    const { page } = await e2e.newPage();
    await signUp(page, e2e.origin, 'Twice');
    await page.getByRole('link', { name: 'Account' }).click();
    // the same virtual authenticator already holds this account's passkey: the browser refuses
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    const alert = page.locator('#passkeys-h ~ [role="alert"]');
    await alert.waitFor();
    expect(await alert.textContent()).to.equal('This passkey is already registered here. Use "Sign in with a passkey" instead, or pick another passkey.');
  });

  it('the verify page leads with the verdict and folds the details', async () => {
    const { page, screenshot } = await e2e.newPage({ width: 1280 });
    await page.goto(e2e.origin + '/verify');
    const verdict = page.locator('[data-kind]');
    await verdict.waitFor();
    expect(await verdict.textContent()).to.equal('Simulated — proves nothing. This server is not running on confidential hardware.');
    expect(await page.locator('.verify-details').getAttribute('open')).to.equal(null);
    await screenshot('shot-1280-verify');
    await page.locator('.verify-details summary').click();
    await page.locator('.check').first().waitFor();
    expect(await page.locator('.verify').textContent()).not.to.match(/--[a-z]/);
    // every skipped check says why it was skipped
    const skipped = await page.locator('.check[data-status="skip"]').count();
    expect(await page.locator('.check[data-status="skip"] .why-skipped').count()).to.equal(skipped);
    await screenshot('shot-1280-verify-details');
  });
});
