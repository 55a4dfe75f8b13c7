import { expect } from 'chai';
import type pg from 'pg';
import { pino } from 'pino';
import { createLogger, infoLineWriter } from '../../../src/log.ts';
import { requestLog, type RequestRecord } from '../../../src/http/access-log.ts';
import { createMetrics } from '../../../src/http/metrics.ts';
import { captureLogs } from '../../support/log-capture.ts';

/** One access-log line per request: its allow-listed fields and nothing else. */
describe('access-log line', () => {
  const pool = { totalCount: 0, idleCount: 0, waitingCount: 0 } as unknown as pg.Pool;
  const record: RequestRecord = {
    requestId: 'req_0123456789abcdef01234567', method: 'POST', route: '/v1/chat/completions', status: 200, ms: 1.23456, userId: 'a4b9c1de-0000-4000-8000-000000000001', aborted: false,
  };

  function logOnce(r: RequestRecord, level: 'info' | 'warn' = 'info') {
    const capture = captureLogs();
    const metrics = createMetrics(pool, { processMetrics: false });
    requestLog(createLogger(level, capture.stream), metrics)(r);
    return { capture, metrics };
  }

  it('carries the allow-listed fields, in their order, and nothing else', () => {
    const { capture } = logOnce(record);
    const [line] = capture.entries();
    expect(Object.keys(line!)).to.deep.equal(['level', 'time', 'service', 'event', 'request_id', 'method', 'route', 'status', 'duration_ms', 'user_id', 'aborted']);
    expect(line).to.include({ level: 'info', service: 'cloister', event: 'request', status: 200, duration_ms: 1.235, aborted: false, route: '/v1/chat/completions' });
  });

  it('encodes every string, so no value can break out of its field or the line', () => {
    const hostile = 'id"},"user_id":"someone-else\n{"level":"fatal\\';
    const { capture } = logOnce({ ...record, requestId: hostile, route: null, method: 'M"E', userId: null, aborted: true });
    expect(capture.lines()).to.have.length(1);
    expect(capture.entries()[0]).to.include({ request_id: hostile, method: 'M"E', route: null, user_id: null, aborted: true });
  });

  it('writes nothing below the logger\'s level, and still feeds the histogram', async () => {
    const { capture, metrics } = logOnce(record, 'warn');
    expect(capture.lines()).to.deep.equal([]);
    const text = await metrics.registry.metrics();
    expect(text).to.match(/cloister_http_request_duration_seconds_count\{method="POST",route="\/v1\/chat\/completions",status="200"\} 1/);
  });
  it('is the line logger.info writes for the same fields, byte for byte but the time', () => {
    const capture = captureLogs();
    const logger = createLogger('info', capture.stream).child({ replica: 'r1' });
    const fields = { event: 'request', request_id: 'req_"x"', route: null, status: 201, duration_ms: 0.5, aborted: true };
    logger.info(fields);
    infoLineWriter(logger)(JSON.stringify(fields).slice(1, -1));
    const [general, fixed] = capture.lines();
    const untimed = (l: string | undefined) => l!.replace(/,"time":"[^"]+"/, '');
    expect(untimed(fixed)).to.equal(untimed(general));
    expect(JSON.parse(fixed!)).to.include({ level: 'info', service: 'cloister', replica: 'r1', request_id: 'req_"x"', aborted: true });
  });

  it('takes pino\'s general path for a destination that reads each line\'s metadata (multistream)', () => {
    const capture = captureLogs();
    const logger = createLogger('info', pino.multistream([{ stream: capture.stream, level: 'info' }]));
    infoLineWriter(logger)('"event":"request","status":200');
    expect(capture.entries()).to.have.length(1);
    expect(capture.entries()[0]).to.include({ level: 'info', event: 'request', status: 200 });
  });
});
