// Privacy assertions: dump every row of every table as text, so a test can prove a canary
// string reached no table.
import { testDatabase } from './test-database.ts';

/** Every row of every table in the test database, as one JSON text. */
export async function dumpAllTables(): Promise<string> {
  const { admin } = testDatabase();
  const tables = (await admin.query<{ tablename: string }>("select tablename from pg_tables where schemaname = current_schema()")).rows;
  const parts: string[] = [];
  for (const { tablename } of tables) {
    const rows = (await admin.query(`select * from "${tablename}"`)).rows;
    parts.push(`${tablename}: ${JSON.stringify(rows)}`);
  }
  return parts.join('\n');
}

/** A unique string to send through the system and look for afterwards. */
export function canary(label: string): string {
  return `CANARY-${label}-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
}
