import { expect } from 'chai';
import type pg from 'pg';
import { createLogOutput } from '../../../src/log.ts';
import { requestLog, type RequestRecord } from '../../../src/http/access-log.ts';
import { createMetrics } from '../../../src/http/metrics.ts';
import { captureLogs } from '../../support/log-capture.ts';

/** The access log is serialised by hand (see InfoLine): it must stay the line pino would write. */
describe('access-log line', () => {
  const pool = { totalCount: 0, idleCount: 0, waitingCount: 0 } as unknown as pg.Pool;
  const record: RequestRecord = {
    requestId: 'req_0123456789abcdef01234567', method: 'POST', route: '/v1/chat/completions', status: 200, ms: 1.23456, userId: 'a4b9c1de-0000-4000-8000-000000000001', aborted: false,
  };

  function logOnce(r: RequestRecord, level: 'info' | 'warn' = 'info') {
    const capture = captureLogs();
    const out = createLogOutput(level, capture.stream);
    const metrics = createMetrics(pool, { processMetrics: false });
    requestLog(out.infoLine, metrics)(r);
    return { capture, out, metrics };
  }

  it('has the fields, key order and prefix of the logger\'s own lines', () => {
    const { capture, out } = logOnce(record);
    out.logger.info({ event: 'request', request_id: record.requestId, method: 'POST', route: record.route, status: 200, duration_ms: 1.235, user_id: record.userId, aborted: false });
    const [hand, viaPino] = capture.lines();
    const strip = (line: string) => line.replace(/"time":"[^"]+"/, '"time":"T"');
    expect(strip(hand!)).to.equal(strip(viaPino!));
    expect(JSON.parse(hand!)).to.include({ level: 'info', service: 'cloister', event: 'request', status: 200, duration_ms: 1.235, aborted: false });
    expect(Date.parse((JSON.parse(hand!) as { time: string }).time)).to.be.closeTo(Date.now(), 60_000);
  });

  it('encodes every string, so no value can break out of its field or the line', () => {
    const hostile = 'id"},"user_id":"someone-else\n{"level":"fatal\\';
    const { capture } = logOnce({ ...record, requestId: hostile, route: null, method: 'M"E', userId: null, aborted: true });
    expect(capture.lines()).to.have.length(1);
    const line = capture.entries()[0]!;
    expect(line).to.include({ request_id: hostile, method: 'M"E', route: null, user_id: null, aborted: true });
    expect(Object.keys(line)).to.deep.equal(['level', 'time', 'service', 'event', 'request_id', 'method', 'route', 'status', 'duration_ms', 'user_id', 'aborted']);
  });

  it('writes nothing below the logger\'s level, and still feeds the histogram', async () => {
    const { capture, metrics } = logOnce(record, 'warn');
    expect(capture.lines()).to.deep.equal([]);
    const text = await metrics.registry.metrics();
    expect(text).to.match(/cloister_http_request_duration_seconds_count\{method="POST",route="\/v1\/chat\/completions",status="200"\} 1/);
  });
});
