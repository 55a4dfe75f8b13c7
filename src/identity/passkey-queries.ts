// SQL for passkeys and WebAuthn user handles.
import type { Queryable } from '../db/pool.ts';
import { query } from '../db/pool.ts';

export interface PasskeyRow {
  id: string;
  user_id: string;
  public_key: Buffer;
  counter: string;
  transports: string[];
  device_type: string;
  backed_up: boolean;
  name: string | null;
  created_at: Date;
  last_used_at: Date | null;
}

const COLUMNS = 'id, user_id, public_key, counter, transports, device_type, backed_up, name, created_at, last_used_at';

/** The WebAuthn user handle of a user, or null. */
export async function findUserHandle(db: Queryable, userId: string): Promise<string | null> {
  const res = await query<{ handle: string }>(db, 'select handle from webauthn_users where user_id = $1', [userId]);
  return res.rows[0]?.handle ?? null;
}

/** Records the WebAuthn user handle of a user (no-op when one exists). */
export async function insertUserHandle(db: Queryable, userId: string, handle: string): Promise<void> {
  await query(db, 'insert into webauthn_users (user_id, handle) values ($1, $2) on conflict (user_id) do nothing', [userId, handle]);
}

/** Stores a verified passkey. */
export async function insertPasskey(db: Queryable, p: { id: string; userId: string; publicKey: Uint8Array; counter: number; transports: string[]; deviceType: string; backedUp: boolean; name: string | null; now: Date }): Promise<void> {
  await query(db,
    `insert into passkeys (id, user_id, public_key, counter, transports, device_type, backed_up, name, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [p.id, p.userId, Buffer.from(p.publicKey), p.counter, p.transports, p.deviceType, p.backedUp, p.name, p.now]);
}

/** A passkey by credential id, whoever owns it (sign-in looks it up before knowing the user). */
export async function findPasskey(db: Queryable, id: string): Promise<PasskeyRow | null> {
  const res = await query<PasskeyRow>(db, `select ${COLUMNS} from passkeys where id = $1`, [id]);
  return res.rows[0] ?? null;
}

/** A user's passkeys, oldest first. */
export async function listPasskeys(db: Queryable, userId: string): Promise<PasskeyRow[]> {
  const res = await query<PasskeyRow>(db, `select ${COLUMNS} from passkeys where user_id = $1 order by created_at, id`, [userId]);
  return res.rows;
}

/** Records a successful use: new counter, backup state and time. */
export async function markPasskeyUsed(db: Queryable, id: string, userId: string, counter: number, backedUp: boolean, now: Date): Promise<void> {
  await query(db, 'update passkeys set counter = $3, backed_up = $4, last_used_at = $5 where id = $1 and user_id = $2', [id, userId, counter, backedUp, now]);
}

/** Renames a passkey of a user; false when nothing matched. */
export async function renamePasskey(db: Queryable, id: string, userId: string, name: string | null): Promise<boolean> {
  const res = await query(db, 'update passkeys set name = $3 where id = $1 and user_id = $2', [id, userId, name]);
  return res.rowCount === 1;
}

/** Deletes a passkey of a user; false when nothing matched. */
export async function deletePasskey(db: Queryable, id: string, userId: string): Promise<boolean> {
  const res = await query(db, 'delete from passkeys where id = $1 and user_id = $2', [id, userId]);
  return res.rowCount === 1;
}

/** Deletes every passkey of a user. */
export async function deleteUserPasskeys(db: Queryable, userId: string): Promise<void> {
  await query(db, 'delete from passkeys where user_id = $1', [userId]);
}
