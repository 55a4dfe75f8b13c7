// The group commit in front of the limit checks: who goes in which batch, who gets which answer,
// and what a failed batch does. Batches are released by hand, so nothing here depends on timing.
import { expect } from 'chai';
import { createCoalescer } from '../../../src/db/coalescer.ts';

/** A runBatch whose batches stay open until the test settles them. */
function manualBatches() {
  const batches: Array<{ items: number[]; answer(): void; fail(e: Error): void }> = [];
  let notify: (() => void) | null = null;
  const run = (items: readonly number[]) => new Promise<string[]>((resolve, reject) => {
    batches.push({ items: [...items], answer: () => resolve(items.map((i) => `answer ${i}`)), fail: reject });
    notify?.();
  });
  /** Resolves once `n` batches have started. */
  const started = (n: number) => new Promise<void>((resolve) => {
    const check = () => { if (batches.length >= n) { notify = null; resolve(); } };
    notify = check;
    check();
  });
  return { batches, run, started };
}

describe('limits: coalescer', () => {
  it('sends calls made in one synchronous run together and gives each call its own answer', async () => {
    const m = manualBatches();
    const c = createCoalescer(m.run, { maxBatch: 64, maxInFlight: 1 });
    const calls = [c.run(1), c.run(2), c.run(3)];
    await m.started(1);
    expect(m.batches.map((b) => b.items)).to.deep.equal([[1, 2, 3]]);
    m.batches[0]!.answer();
    expect(await Promise.all(calls)).to.deep.equal(['answer 1', 'answer 2', 'answer 3']);
  });

  it('holds calls while every slot is busy and sends them in the next batch, at most maxBatch at a time', async () => {
    const m = manualBatches();
    const c = createCoalescer(m.run, { maxBatch: 2, maxInFlight: 1 });
    const first = c.run(1);
    await m.started(1);
    const waiting = [c.run(2), c.run(3), c.run(4)];
    await new Promise((r) => setImmediate(r)); // a turn passes: no slot is free, so nothing starts
    expect(m.batches).to.have.length(1);
    m.batches[0]!.answer();
    expect(await first).to.equal('answer 1');
    await m.started(2);
    expect(m.batches[1]!.items).to.deep.equal([2, 3]);
    m.batches[1]!.answer();
    await m.started(3);
    expect(m.batches[2]!.items).to.deep.equal([4]);
    m.batches[2]!.answer();
    expect(await Promise.all(waiting)).to.deep.equal(['answer 2', 'answer 3', 'answer 4']);
  });

  it('runs up to maxInFlight batches side by side', async () => {
    const m = manualBatches();
    const c = createCoalescer(m.run, { maxBatch: 64, maxInFlight: 2 });
    const a = c.run(1);
    await m.started(1);
    const b = c.run(2);
    await m.started(2);
    expect(m.batches.map((x) => x.items)).to.deep.equal([[1], [2]]);
    m.batches[1]!.answer();
    expect(await b).to.equal('answer 2');
    m.batches[0]!.answer();
    expect(await a).to.equal('answer 1');
  });

  it('fails every call of a failed batch with its error, and the next batch still runs', async () => {
    const m = manualBatches();
    const c = createCoalescer(m.run, { maxBatch: 64, maxInFlight: 1 });
    const doomed = [c.run(1), c.run(2)].map((p) => p.then(() => 'answered', (e: Error) => e.message));
    await m.started(1);
    m.batches[0]!.fail(new Error('connection lost'));
    expect(await Promise.all(doomed)).to.deep.equal(['connection lost', 'connection lost']);
    const later = c.run(3);
    await m.started(2);
    m.batches[1]!.answer();
    expect(await later).to.equal('answer 3');
  });

  it('fails the calls a batch did not answer instead of leaving them waiting', async () => {
    const c = createCoalescer(async (items: readonly number[]) => items.slice(0, 1).map(String), { maxBatch: 64, maxInFlight: 1 });
    const results = await Promise.allSettled([c.run(7), c.run(8)]);
    expect(results[0]).to.deep.equal({ status: 'fulfilled', value: '7' });
    expect(results[1]!.status).to.equal('rejected');
  });
});
