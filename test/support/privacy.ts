// Privacy assertions: dump every row of every table as text, so a test can prove a canary
// string reached no table.
import { testDatabase } from './test-database.ts';

/** A column value as searchable text: bytes (bytea) decoded as UTF-8, so plaintext inside them shows. */
function asText(value: unknown): unknown {
  return value instanceof Uint8Array ? `bytea:${Buffer.from(value).toString('utf8')}` : value;
}

/** Every row of every table in the test database, as one JSON text (bytea columns decoded as UTF-8). */
export async function dumpAllTables(): Promise<string> {
  const { admin } = testDatabase();
  const tables = (await admin.query<{ tablename: string }>("select tablename from pg_tables where schemaname = current_schema()")).rows;
  const parts: string[] = [];
  for (const { tablename } of tables) {
    const rows = (await admin.query<Record<string, unknown>>(`select * from "${tablename}"`)).rows;
    const readable = rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, asText(v)])));
    parts.push(`${tablename}: ${JSON.stringify(readable)}`);
  }
  return parts.join('\n');
}

/** A unique string to send through the system and look for afterwards. */
export function canary(label: string): string {
  return `CANARY-${label}-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
}
