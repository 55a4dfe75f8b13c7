// x-request-id: accept the caller's when it is short and safe, otherwise mint one; always echo.
import { randomBytes } from 'node:crypto';
import type { AppMiddleware } from './context.ts';

const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Sets ctx.state.requestId and the x-request-id response header. */
export function requestId(): AppMiddleware {
  return async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const id = SAFE.test(given) ? given : `req_${randomBytes(12).toString('hex')}`;
    ctx.state.requestId = id;
    ctx.set('x-request-id', id);
    await next();
  };
}
