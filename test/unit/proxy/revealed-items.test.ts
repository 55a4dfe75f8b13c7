// Finding 2: the items a stream shows its owner are recorded in the background, and the final
// event waits until every one is written.
import { expect } from 'chai';
import type { Ownership, RevealedObject } from '../../../src/conversations/ownership.ts';
import { RevealedItems } from '../../../src/proxy/revealed-items.ts';

/** An ownership service whose writes finish only when the test says so. */
function slowOwnership() {
  const writes: Array<{ objects: RevealedObject[]; finish: (error?: Error) => void }> = [];
  const ownership = {
    recordAll: (objects: readonly RevealedObject[]) => new Promise<void>((resolve, reject) => {
      writes.push({ objects: [...objects], finish: (error) => (error ? reject(error) : resolve()) });
    }),
  } as unknown as Ownership;
  return { ownership, writes };
}

const itemEvent = (id: string, extra: Record<string, unknown> = {}) => ({ type: 'response.output_item.done', item: { id, type: 'message', role: 'assistant', content: [], ...extra } });
const completed = (...ids: string[]) => ({ type: 'response.completed', response: { id: 'resp_1', output: ids.map((id) => ({ id, type: 'reasoning', summary: [] })) } });
const tick = () => new Promise((r) => setImmediate(r));

describe('revealed items of a stream (finding 2)', () => {
  it('writes item events in the background, one statement at a time, the next taking all that arrived meanwhile', async () => {
    const { ownership, writes } = slowOwnership();
    const items = new RevealedItems(ownership, 'u1', null);
    expect(items.onEvent('response.output_item.added', itemEvent('msg_1'))).to.equal(undefined);
    expect(items.onEvent('response.output_item.done', itemEvent('msg_1'))).to.equal(undefined);
    expect(items.onEvent('response.output_item.done', itemEvent('ci_1', { type: 'code_interpreter_call', container_id: 'cntr_1', code: '', outputs: [], status: 'completed' }))).to.equal(undefined);
    expect(items.onEvent('response.output_item.done', itemEvent('msg_2'))).to.equal(undefined);
    expect(writes.map((w) => w.objects)).to.deep.equal([[{ kind: 'item', id: 'msg_1', param: 'id' }]]);
    writes[0]!.finish();
    await tick();
    expect(writes.map((w) => w.objects.map((o) => `${o.kind}:${o.id}`))).to.deep.equal([['item:msg_1'], ['item:ci_1', 'container:cntr_1', 'item:msg_2']]);
  });

  it('holds the final event until every row is written, those queued behind the running write too', async () => {
    const { ownership, writes } = slowOwnership();
    const items = new RevealedItems(ownership, 'u1', null);
    items.onEvent('response.output_item.done', itemEvent('msg_1'));
    const final = items.onEvent('response.completed', completed('rs_1', 'msg_1'));
    expect(final).to.be.instanceOf(Promise);
    let done = false;
    void final!.then(() => { done = true; });
    writes[0]!.finish();
    await tick();
    expect(done, 'resolved before the second write').to.equal(false);
    expect(writes[1]!.objects.map((o) => o.id)).to.deep.equal(['rs_1']);
    writes[1]!.finish();
    await final;
    expect(done).to.equal(true);
  });

  it('answers the final event at once when everything is already written', async () => {
    const { ownership, writes } = slowOwnership();
    const items = new RevealedItems(ownership, 'u1', null);
    items.onEvent('response.output_item.done', itemEvent('msg_1'));
    writes[0]!.finish();
    await tick();
    expect(items.onEvent('response.completed', completed('msg_1'))).to.equal(undefined);
    expect(writes).to.have.length(1);
  });

  it('fails the final event when a write failed, so no completed response goes out with unrecorded items', async () => {
    const { ownership, writes } = slowOwnership();
    const items = new RevealedItems(ownership, 'u1', null);
    items.onEvent('response.output_item.done', itemEvent('msg_1'));
    writes[0]!.finish(new Error('database down'));
    await tick();
    let failure: unknown = null;
    await items.onEvent('response.completed', completed('msg_1'))!.catch((e: unknown) => { failure = e; });
    expect((failure as Error).message).to.equal('database down');
  });
});
