// A request sent exactly as written: fetch() and URL normalise paths (dot segments, case of
// escapes, backslashes), which is what the spelling tests must not let happen.
import http from 'node:http';

export interface RawAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** Sends one request with `target` as the request line's target, verbatim. */
export function rawRequest(port: number, method: string, target: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers: { connection: 'close', ...options.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Row counts of every application table: what a refused request must leave unchanged. */
export async function tableCounts(db: { query(sql: string): Promise<{ rows: Array<Record<string, unknown>> }> }): Promise<Record<string, number>> {
  const tables = (await db.query(`select tablename from pg_tables where schemaname = current_schema() order by tablename`)).rows.map((r) => String(r.tablename));
  const out: Record<string, number> = {};
  for (const name of tables) out[name] = Number((await db.query(`select count(*)::int as n from "${name}"`)).rows[0]!.n);
  return out;
}
