// `cloister probe-upstream`: does the configured upstream answer GET /models?
import { request } from 'undici';
import type { Config } from '../config.ts';

/** Status of GET {base}/models with the server key; throws on network failure. */
export async function probeUpstream(upstream: Config['upstream']): Promise<{ ok: boolean; status: number | null; reason: string }> {
  if (upstream.baseUrl === null) return { ok: false, status: null, reason: 'OPENAI_BASE_URL is not set' };
  const headers: Record<string, string> = { accept: 'application/json' };
  if (upstream.apiKey) headers.authorization = `Bearer ${upstream.apiKey}`;
  try {
    const res = await request(`${upstream.baseUrl}/models`, { method: 'GET', headers, headersTimeout: upstream.connectTimeoutMs, bodyTimeout: upstream.connectTimeoutMs });
    await res.body.dump();
    return { ok: res.statusCode >= 200 && res.statusCode < 300, status: res.statusCode, reason: `HTTP ${res.statusCode}` };
  } catch (e) {
    return { ok: false, status: null, reason: (e as { code?: string }).code ?? (e as Error).name };
  }
}
