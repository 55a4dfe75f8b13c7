import { expect } from 'chai';
import { createLogger } from '../../../src/log.ts';
import { createExchangeEvents } from '../../../src/proxy/exchange-events.ts';
import type { CompletedExchange } from '../../../src/shared/exchanges.ts';
import { captureLogs } from '../../support/log-capture.ts';

const exchange: CompletedExchange = {
  kind: 'chat.completion', objectId: 'chatcmpl_1', userId: 'u1', apiKeyId: null, model: 'm', requestSha256: null, responseSha256: null,
  status: 200, streamed: false, usage: null, completed: true, requestBytes: 1, responseBytes: 1, usageRecorded: false,
};

/** A promise settled from outside, so a test decides when a subscriber finishes (no timers). */
function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

describe('exchange events', () => {
  it('waits for every subscriber that answers with a promise, and for none that does not', async () => {
    const events = createExchangeEvents(createLogger('silent'));
    const slow = deferred();
    const seen: string[] = [];
    events.subscribe((e) => { seen.push(`sync ${e.objectId}`); });
    events.subscribe(async (e) => { await slow.promise; seen.push(`async ${e.objectId}`); });
    let settled = false;
    const emitted = events.emit(exchange).then(() => { settled = true; });
    expect(seen).to.deep.equal(['sync chatcmpl_1']);
    await Promise.resolve();
    expect(settled).to.equal(false);
    slow.resolve();
    await emitted;
    expect(seen).to.deep.equal(['sync chatcmpl_1', 'async chatcmpl_1']);
  });

  it('a subscriber that throws or rejects is logged and neither stops the others nor fails the emit', async () => {
    const capture = captureLogs();
    const events = createExchangeEvents(createLogger('info', capture.stream));
    const failing = deferred();
    const seen: string[] = [];
    events.subscribe(() => { throw new TypeError('sync failure'); });
    events.subscribe(() => failing.promise);
    events.subscribe(() => { seen.push('after'); });
    const emitted = events.emit(exchange);
    failing.reject(new RangeError('async failure'));
    await emitted;
    expect(seen).to.deep.equal(['after']);
    const failures = capture.entries().filter((l) => l.event === 'exchange.subscriber_failed');
    expect(failures.map((l) => (l.err as { type: string }).type)).to.deep.equal(['TypeError', 'RangeError']);
  });

  it('with no subscriber, or only synchronous ones, still answers a promise', async () => {
    const events = createExchangeEvents(createLogger('silent'));
    expect(events.emit(exchange)).to.be.instanceOf(Promise);
    let n = 0;
    events.subscribe(() => { n++; });
    await events.emit(exchange);
    expect(n).to.equal(1);
  });
});
