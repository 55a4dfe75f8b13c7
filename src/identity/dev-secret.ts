// Outside production an unset SESSION_SECRET is replaced by a random one kept in DATA_DIR,
// so zero-configuration start works and sessions survive restarts. Production never gets here:
// loadConfig refuses to start without the secret.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Reads or creates DATA_DIR/session-secret (mode 0600). */
export async function loadOrCreateDevSecret(dataDir: string): Promise<Uint8Array> {
  const file = join(dataDir, 'session-secret');
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (text.length >= 43) return new Uint8Array(Buffer.from(text, 'base64url'));
  } catch {
    // absent: create below
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32);
  await writeFile(file, secret.toString('base64url'), { mode: 0o600 });
  return new Uint8Array(secret);
}
