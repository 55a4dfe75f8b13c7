import { expect } from 'chai';
import { reservationFor } from '../../../src/proxy/token-reservation.ts';

describe('reservationFor: the most a request may cost', () => {
  const bytes = 400; // 100 tokens of input by size

  it('is the input by size plus the request\'s own output cap, whichever API names it', () => {
    expect(reservationFor('response', { max_output_tokens: 50 }, bytes, 4096)).to.equal(150);
    expect(reservationFor('chat.completion', { max_completion_tokens: 50 }, bytes, 4096)).to.equal(150);
    expect(reservationFor('chat.completion', { max_tokens: 50 }, bytes, 4096)).to.equal(150);
    expect(reservationFor('chat.completion', { max_tokens: 50, max_completion_tokens: 70 }, bytes, 4096), 'the largest cap given').to.equal(170);
    expect(reservationFor('chat.completion', { max_tokens: 0 }, bytes, 4096)).to.equal(100);
  });

  it('uses the default when the request states no sane cap', () => {
    for (const cap of [undefined, null, -1, 1.5, '50', 1e308, 2 ** 63 - 1]) {
      expect(reservationFor('response', { max_output_tokens: cap }, bytes, 4096), String(cap)).to.equal(4196);
    }
  });

  it('reserves for every choice a chat completion asks for (n), up to 128', () => {
    expect(reservationFor('chat.completion', { max_tokens: 10, n: 3 }, bytes, 4096)).to.equal(130);
    expect(reservationFor('chat.completion', { max_tokens: 10, n: 1000 }, bytes, 4096)).to.equal(100 + 1280);
    expect(reservationFor('chat.completion', { max_tokens: 10, n: 0 }, bytes, 4096)).to.equal(110);
    expect(reservationFor('response', { max_output_tokens: 10, n: 3 }, bytes, 4096), 'Responses have no n').to.equal(110);
  });

  it('reserves only the input for embeddings, and at least one token', () => {
    expect(reservationFor('embedding', { max_tokens: 50 }, bytes, 4096)).to.equal(100);
    expect(reservationFor('embedding', {}, 0, 4096)).to.equal(1);
  });
});
