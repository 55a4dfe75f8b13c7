import { expect } from 'chai';
import { createLogger } from '../../../src/log.ts';
import { captureLogs } from '../../support/log-capture.ts';

describe('log redaction (the safety net under the allow-list)', () => {
  const logged = (fields: Record<string, unknown>) => {
    const capture = captureLogs();
    createLogger('info', capture.stream).info(fields);
    expect(capture.entries()).to.have.length(1);
    return { line: capture.entries()[0]!, raw: capture.lines()[0]! };
  };

  it('censors credential-looking keys at the top of a line and one level down', () => {
    const { line, raw } = logged({
      event: 'x', authorization: 'Bearer sk-canary-1', cookie: 'sid=canary-2', password: 'canary-3', token: 'canary-4',
      api_key: 'canary-5', secret: 'canary-6', code: 'canary-7', body: '{"canary":8}',
      headers: { authorization: 'Bearer canary-9', cookie: 'canary-10', accept: 'text/plain' },
      req: { body: 'canary-11', token: 'canary-12', method: 'POST' },
    });
    expect(raw).not.to.match(/canary/);
    for (const k of ['authorization', 'cookie', 'password', 'token', 'api_key', 'secret', 'code', 'body']) expect(line[k]).to.equal('[redacted]');
    expect(line.headers).to.deep.equal({ authorization: '[redacted]', cookie: '[redacted]', accept: 'text/plain' });
    expect(line.req).to.deep.equal({ body: '[redacted]', token: '[redacted]', method: 'POST' });
    expect(line.event).to.equal('x');
  });

  it('leaves other fields alone and never changes the caller\'s objects', () => {
    const nested = { token: 'canary', kept: 1 };
    const fields = { event: 'y', status: 200, nested, list: [{ token: 'in-array' }] };
    const { line } = logged(fields);
    expect(line).to.include({ event: 'y', status: 200 });
    expect(line.nested).to.deep.equal({ token: '[redacted]', kept: 1 });
    expect(nested.token).to.equal('canary');
    expect(fields.nested).to.equal(nested);
  });

  it('keeps an error description as it is', () => {
    const { line } = logged({ event: 'z', err: { type: 'Error', code: 'ECONNRESET', frames: ['at a'] } });
    expect(line.err).to.deep.equal({ type: 'Error', code: 'ECONNRESET', frames: ['at a'] });
  });
});
