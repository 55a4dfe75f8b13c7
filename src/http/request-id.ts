// x-request-id: accept the caller's when it is short and safe, otherwise mint one; always echo.
import { randomBytes } from 'node:crypto';

const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;
const ID_BYTES = 12;
/** Random bytes are drawn for this many ids at once: one CSPRNG call instead of one per request. */
const BATCH = 256;

/** Returns the request id for a request: the caller's `x-request-id` when safe, else a fresh one. */
export function requestIds(): (given: string) => string {
  // Each id still gets its own 96 fresh random bits (never reused, never a counter, so upstream
  // cannot read request volume or order from the ids it receives).
  let pool = Buffer.alloc(0);
  let offset = 0;
  const mint = () => {
    if (offset + ID_BYTES > pool.length) {
      pool = randomBytes(ID_BYTES * BATCH);
      offset = 0;
    }
    const id = `req_${pool.toString('hex', offset, offset + ID_BYTES)}`;
    offset += ID_BYTES;
    return id;
  };
  return (given) => (given !== '' && SAFE.test(given) ? given : mint());
}
