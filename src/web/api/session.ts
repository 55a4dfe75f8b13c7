// Who is signed in: /v1/users/me with the session cookie (401 → signed out).
import { api, ApiError } from './http.ts';

export interface Me {
  id: string;
  email: string | null;
  email_verified?: boolean;
  display_name: string | null;
  is_admin?: boolean;
  created_at?: number;
}

/** The signed-in user, or null when there is no valid session. */
export async function fetchMe(): Promise<Me | null> {
  try {
    return await api<Me>('/v1/users/me');
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return null;
    throw e;
  }
}
