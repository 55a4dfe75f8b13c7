// The server's public limits (GET /v1/config): the default model and what an attachment may be.
import { api, ApiError } from './http.ts';

export interface ServerConfig {
  default_model: string | null;
  attachments: { max_bytes: number; text_max_bytes: number; image_types: string[] };
}

/** What the server documents when it does not say (10 MiB images, 1 MiB text files). */
export const DEFAULT_CONFIG: ServerConfig = {
  default_model: null,
  attachments: { max_bytes: 10 * 1024 * 1024, text_max_bytes: 1024 * 1024, image_types: ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] },
};

let cached: Promise<ServerConfig> | null = null;

/** The server's config, fetched once per page load (the documented defaults on an older server). */
export function fetchConfig(): Promise<ServerConfig> {
  cached ??= api<Partial<ServerConfig>>('/v1/config').then(
    (c) => ({ default_model: c.default_model ?? null, attachments: { ...DEFAULT_CONFIG.attachments, ...c.attachments } }),
    (e) => {
      cached = null;
      if (e instanceof ApiError && e.status === 404) return DEFAULT_CONFIG;
      throw e;
    },
  );
  return cached;
}
