// Deleting conversation items, as the web app does to edit or regenerate (it truncates a
// conversation from an item onward), with the official openai SDK as the client. An item id in
// the path must be one the caller was shown in that conversation: anyone else's item, an item
// of the caller's other conversation, or an id never shown is the 404 of an unknown one, with
// nothing sent upstream.
import { expect } from 'chai';
import OpenAI, { NotFoundError } from 'openai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';

describe('conversations: deleting items (edit and regenerate) with the openai SDK', () => {
  let fake: FakeUpstream;
  let t: TestApp;
  let alice: OpenAI;
  let bob: OpenAI;

  const message = (text: string) => ({ type: 'message' as const, role: 'user' as const, content: text });
  const itemIds = async (client: OpenAI, conversationId: string) => {
    const page = await client.conversations.items.list(conversationId);
    return page.data.map((i) => i.id!);
  };
  /** A conversation of `client` with three user messages and one answer, its items listed (so shown). */
  const conversation = async (client: OpenAI) => {
    const conv = await client.conversations.create({ items: [message('one'), message('two'), message('three')] });
    await client.responses.create({ model: 'fake-model', input: 'answer me', conversation: conv.id });
    return { id: conv.id, items: await itemIds(client, conv.id) };
  };
  const expectRefused = async (attempt: Promise<unknown>) => {
    const err = await attempt.then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(NotFoundError);
    expect((err as NotFoundError).status).to.equal(404);
  };

  before(async () => {
    await resetDatabase();
    fake = await startFakeUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1` });
    alice = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: (await t.userWithKey()).key, maxRetries: 0 });
    bob = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: (await t.userWithKey()).key, maxRetries: 0 });
  });
  after(async () => { await t.close(); await fake.close(); });
  beforeEach(() => fake.reset());

  it('truncates a conversation from an item onward: each delete reaches upstream and answers the conversation', async () => {
    const conv = await conversation(alice);
    expect(conv.items).to.have.length(4);
    fake.reset();
    for (const itemId of conv.items.slice(1).reverse()) {
      const answer = await alice.conversations.items.delete(itemId, { conversation_id: conv.id });
      expect(answer).to.include({ id: conv.id, object: 'conversation' });
    }
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal(
      conv.items.slice(1).reverse().map((itemId) => `DELETE /v1/conversations/${conv.id}/items/${itemId}`),
    );
    expect(await itemIds(alice, conv.id)).to.deep.equal(conv.items.slice(0, 1));
  });

  it("refuses someone else's item with the 404 of an unknown one, sending nothing upstream", async () => {
    const mine = await conversation(alice);
    const theirs = await conversation(bob);
    fake.reset();
    await expectRefused(alice.conversations.items.delete(theirs.items[0]!, { conversation_id: mine.id }));
    await expectRefused(alice.conversations.items.delete(theirs.items[0]!, { conversation_id: theirs.id }));
    await expectRefused(alice.conversations.items.retrieve(theirs.items[0]!, { conversation_id: mine.id }));
    expect(fake.requests).to.have.length(0);
    expect(await itemIds(bob, theirs.id), 'their conversation is whole').to.deep.equal(theirs.items);
  });

  it("refuses an item of the caller's other conversation, and an id never shown, sending nothing upstream", async () => {
    const a = await conversation(alice);
    const b = await conversation(alice);
    fake.reset();
    await expectRefused(alice.conversations.items.delete(b.items[0]!, { conversation_id: a.id }));
    await expectRefused(alice.conversations.items.delete('msg_never_shown_to_anyone', { conversation_id: a.id }));
    expect(fake.requests).to.have.length(0);
  });

  it('an item once deleted is unknown afterwards (nothing upstream the second time)', async () => {
    const conv = await conversation(alice);
    await alice.conversations.items.delete(conv.items[3]!, { conversation_id: conv.id });
    fake.reset();
    await expectRefused(alice.conversations.items.delete(conv.items[3]!, { conversation_id: conv.id }));
    expect(fake.requests).to.have.length(0);
  });
});
