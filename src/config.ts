// The only module that reads the environment. loadConfig is pure over its inputs: it
// validates everything, reports every problem at once, and returns a frozen object.
import { readFileSync, existsSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { isIP } from 'node:net';
import { parseTiers, type TierLimits } from './shared/tier-limits.ts';
import { MAX_TOKEN_COUNT } from './shared/token-counts.ts';

export type { TierLimits } from './shared/tier-limits.ts';

export type NodeEnv = 'development' | 'production' | 'test';
export type AttestationMode = 'dstack' | 'simulated' | 'off';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface OAuthClientConfig {
  readonly clientId: string;
  readonly clientSecret: string;
}


export interface Config {
  readonly nodeEnv: NodeEnv;
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly publicUrl: URL;
    readonly allowedOrigins: readonly string[];
    readonly trustedProxies: readonly string[];
    readonly bodyLimitBytes: number;
    readonly shutdownTimeoutMs: number;
    readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
    /** what one client may hold: request timeouts, keep-alive, connections per IP */
    readonly connections: {
      readonly headersTimeoutMs: number;
      readonly bodyTimeoutMs: number;
      readonly keepAliveTimeoutMs: number;
      /** 0: no cap */
      readonly maxPerIp: number;
      readonly trustedProxies: readonly string[];
    };
  };
  readonly database: {
    /** null = embedded PGlite under dataDir */
    readonly url: string | null;
    readonly poolMax: number;
  };
  readonly dataDir: string;
  readonly upstream: {
    /** null = model routes answer 503 upstream_not_configured */
    readonly baseUrl: string | null;
    readonly apiKey: string | null;
    readonly connectTimeoutMs: number;
    readonly firstByteTimeoutMs: number;
    readonly idleTimeoutMs: number;
    readonly heartbeatMs: number;
  };
  readonly auth: {
    /** null outside production when unset: the app derives a persistent one in dataDir */
    readonly sessionSecret: Uint8Array | null;
    readonly google: (OAuthClientConfig & { readonly issuer: string }) | null;
    readonly github: (OAuthClientConfig & { readonly baseUrl: string; readonly apiUrl: string }) | null;
    readonly passwordEnabled: boolean;
    readonly adminEmails: readonly string[];
    readonly apiKeyCacheTtlMs: number;
    readonly apiKeyCacheMax: number;
    readonly sessionIdleMs: number;
    readonly sessionAbsoluteMs: number;
    readonly sessionsPerUser: number;
    /** requests per minute per client IP on /v1/auth/* */
    readonly authRatePerMinute: number;
  };
  readonly attestation: {
    readonly mode: AttestationMode;
    readonly dstackSocket: string;
    readonly allowSimulated: boolean;
    /** attestation must work for the server to be ready and serve inference (default: on in production) */
    readonly required: boolean;
    readonly signatureTtlMs: number;
    readonly reportCacheMs: number;
    /** fresh-nonce quotes per client IP per minute */
    readonly freshQuotesPerMinute: number;
    /** /v1/signature requests per user per minute */
    readonly signaturesPerMinute: number;
  };
  readonly limits: {
    readonly default: TierLimits;
    readonly tiers: Readonly<Record<string, Partial<TierLimits>>>;
    /** a concurrency lease lives this long unless its replica renews it (a dead replica's leases expire) */
    readonly leaseTtlMs: number;
    /** output tokens reserved for a request that states no cap (max_output_tokens, max_completion_tokens, max_tokens) */
    readonly reserveOutputTokens: number;
    /** how long a background response's reservation waits for its usage before it is charged by estimate */
    readonly backgroundWaitMs: number;
    /** how often Cloister asks upstream about background responses still owed (each at most once per interval) */
    readonly backgroundCheckMs: number;
    /**
     * `listen`: a replica that hears every change to users and keys (LISTEN/NOTIFY) lets a live,
     * unlimited user skip the per-request round trip; `always`: every inference request is checked
     * in Postgres (a revocation then binds a request that starts any time after its commit)
     */
    readonly check: 'listen' | 'always';
    readonly auditRetentionDays: number;
  };
  readonly usage: {
    /** how often upstream's model list (the names usage rows may carry) is fetched again */
    readonly modelListRefreshMs: number;
    /** names usage rows may carry besides upstream's list (for an upstream without GET /models) */
    readonly allowedModelNames: readonly string[];
  };
  /** the models people may use (ALLOWED_MODELS, DEFAULT_MODEL) */
  readonly models: {
    /** in the operator's order; null: ALLOWED_MODELS unset (upstream's list, chat models only) */
    readonly allowed: readonly string[] | null;
    /** DEFAULT_MODEL, else the first allowed model, else null */
    readonly default: string | null;
  };
  /** what the web app may attach to a message (sent inline; Cloister stores none of it) */
  readonly attachments: {
    /** the most one attachment may hold; 0: none */
    readonly maxBytes: number;
  };
  readonly metrics: { readonly token: string | null };
  readonly log: { readonly level: LogLevel };
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  /** reads a `NAME_FILE` secret; injectable for tests */
  readonly readFile?: (path: string) => string;
}

/** Thrown when the configuration is invalid; `problems` lists every bad variable. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const SECRET_NAMES = [
  'OPENAI_API_KEY', 'SESSION_SECRET', 'GOOGLE_CLIENT_SECRET', 'GITHUB_CLIENT_SECRET', 'METRICS_TOKEN', 'DATABASE_URL',
] as const;

/** Builds the typed, frozen configuration from an environment map, or throws ConfigError listing every problem. */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): Config {
  const readFile = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const problems: string[] = [];
  const r = new Reader(env, problems, readFile);

  const nodeEnv = r.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const production = nodeEnv === 'production';

  const host = r.str('HOST') ?? '127.0.0.1';
  const port = r.int('PORT', 8080, 0, 65535);
  // Loopback defaults to `localhost`: WebAuthn refuses IP addresses as a relying-party id, so
  // passkeys work out of the box only on a host name.
  const loopback = ['127.0.0.1', '0.0.0.0', '::1', '::', 'localhost'].includes(host);
  const publicUrl = r.url('PUBLIC_URL') ?? new URL(`http://${loopback ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${port}`);
  if (production && publicUrl.protocol !== 'https:') problems.push('PUBLIC_URL must be an https URL in production');
  if (production && !r.has('PUBLIC_URL')) problems.push('PUBLIC_URL is required in production');

  const allowedOrigins = r.list('ALLOWED_ORIGINS').map((o) => {
    try {
      const u = new URL(o);
      if (u.origin === 'null' || u.origin !== o.replace(/\/$/, '')) throw new Error('not an origin');
      return u.origin;
    } catch {
      problems.push(`ALLOWED_ORIGINS: "${o}" is not an origin like https://app.example.com`);
      return '';
    }
  });
  const trustedProxies = r.list('TRUSTED_PROXIES');
  for (const p of trustedProxies) if (!isCidrOrIp(p)) problems.push(`TRUSTED_PROXIES: "${p}" is not an IP address or CIDR range`);

  const certFile = r.str('TLS_CERT_FILE');
  const keyFile = r.str('TLS_KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) problems.push('TLS_CERT_FILE and TLS_KEY_FILE must be set together');

  const databaseUrl = r.secret('DATABASE_URL');
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push('DATABASE_URL must be a postgres:// URL');
  if (production && databaseUrl === null) problems.push('DATABASE_URL is required in production (embedded Postgres is for development)');

  const baseUrl = r.url('OPENAI_BASE_URL');
  const sessionSecretText = r.secret('SESSION_SECRET');
  let sessionSecret: Uint8Array | null = null;
  if (sessionSecretText !== null) {
    sessionSecret = new TextEncoder().encode(sessionSecretText);
    if (sessionSecret.length < 32) problems.push('SESSION_SECRET must be at least 32 bytes (e.g. `openssl rand -base64 48`)');
  } else if (production) {
    problems.push('SESSION_SECRET (or SESSION_SECRET_FILE) is required in production');
  }

  const googleId = r.str('GOOGLE_CLIENT_ID');
  const googleSecret = r.secret('GOOGLE_CLIENT_SECRET');
  if ((googleId === undefined) !== (googleSecret === null)) problems.push('GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET must be set together');
  const githubId = r.str('GITHUB_CLIENT_ID');
  const githubSecret = r.secret('GITHUB_CLIENT_SECRET');
  if ((githubId === undefined) !== (githubSecret === null)) problems.push('GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET must be set together');

  const attestationDefault: AttestationMode = production ? 'dstack' : 'simulated';
  const attestationMode = r.oneOf('ATTESTATION_MODE', ['dstack', 'simulated', 'off'] as const, attestationDefault);
  const allowSimulated = r.bool('ATTESTATION_ALLOW_SIMULATED', false);
  if (production && attestationMode === 'simulated' && !allowSimulated) {
    problems.push('ATTESTATION_MODE=simulated is refused in production unless ATTESTATION_ALLOW_SIMULATED=true');
  }
  // Fail closed: in production a server whose attestation does not work is not ready and serves
  // no inference, unless the operator explicitly relaxes it.
  const attestationRequired = r.bool('ATTESTATION_REQUIRED', production && attestationMode !== 'off');
  if (attestationRequired && attestationMode === 'off') problems.push('ATTESTATION_REQUIRED=true needs ATTESTATION_MODE dstack or simulated');

  const metricsToken = r.secret('METRICS_TOKEN');
  if (metricsToken !== null && metricsToken.length < 16) problems.push('METRICS_TOKEN must be at least 16 characters');

  const tiers = parseTiers(r.json<unknown>('RATE_LIMIT_TIERS', {}), problems);
  const allowedModelNames = r.list('USAGE_MODEL_NAMES');
  for (const m of allowedModelNames) if (m.length > 200) problems.push('USAGE_MODEL_NAMES: each name must be at most 200 characters');

  const bodyLimitBytes = r.int('BODY_LIMIT_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024);
  // 0: no attachments (an API-only server may then keep a small body limit).
  const attachmentMaxBytes = r.int('ATTACHMENT_MAX_BYTES', 10 * 1024 * 1024, 0, 512 * 1024 * 1024);
  // One maximal attachment travels as a base64 data URL inside a JSON body: the body limit must
  // hold it with room for the rest of the request, or the web app would offer what the server refuses.
  const bodyNeeded = dataUrlBytes(attachmentMaxBytes) + 1024 * 1024;
  if (attachmentMaxBytes > 0 && bodyLimitBytes < bodyNeeded) {
    problems.push(`BODY_LIMIT_BYTES (${bodyLimitBytes}) must be at least ${bodyNeeded} to hold one ATTACHMENT_MAX_BYTES (${attachmentMaxBytes}) attachment as a base64 data URL plus 1 MiB; raise BODY_LIMIT_BYTES or lower ATTACHMENT_MAX_BYTES`);
  }
  const models = readModels(r, problems);

  const config: Config = {
    nodeEnv,
    server: {
      host,
      port,
      publicUrl,
      allowedOrigins: allowedOrigins.filter(Boolean),
      trustedProxies,
      bodyLimitBytes,
      shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
      tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : null,
      connections: {
        headersTimeoutMs: r.int('REQUEST_HEADERS_TIMEOUT_SECONDS', 20, 1, 3600) * 1000,
        bodyTimeoutMs: r.int('REQUEST_BODY_TIMEOUT_SECONDS', 30, 1, 3600) * 1000,
        keepAliveTimeoutMs: r.int('KEEP_ALIVE_TIMEOUT_SECONDS', 10, 1, 3600) * 1000,
        maxPerIp: r.int('MAX_CONNECTIONS_PER_IP', 256, 0, 1_000_000),
        trustedProxies,
      },
    },
    database: { url: databaseUrl, poolMax: r.int('DATABASE_POOL_MAX', 10, 1, 1000) },
    dataDir: r.str('DATA_DIR') ?? './data',
    upstream: {
      baseUrl: baseUrl === null ? null : baseUrl.href.replace(/\/+$/, ''),
      apiKey: r.secret('OPENAI_API_KEY'),
      connectTimeoutMs: r.int('UPSTREAM_CONNECT_TIMEOUT_MS', 10_000, 1, 600_000),
      firstByteTimeoutMs: r.int('UPSTREAM_FIRST_BYTE_TIMEOUT_MS', 600_000, 1, 3_600_000),
      idleTimeoutMs: r.int('UPSTREAM_IDLE_TIMEOUT_MS', 300_000, 1, 3_600_000),
      heartbeatMs: r.int('STREAM_HEARTBEAT_MS', 15_000, 10, 600_000),
    },
    auth: {
      sessionSecret,
      google: googleId !== undefined && googleSecret !== null
        ? { clientId: googleId, clientSecret: googleSecret, issuer: r.url('GOOGLE_ISSUER')?.href.replace(/\/$/, '') ?? 'https://accounts.google.com' }
        : null,
      github: githubId !== undefined && githubSecret !== null
        ? {
          clientId: githubId,
          clientSecret: githubSecret,
          baseUrl: r.url('GITHUB_BASE_URL')?.href.replace(/\/$/, '') ?? 'https://github.com',
          apiUrl: r.url('GITHUB_API_URL')?.href.replace(/\/$/, '') ?? 'https://api.github.com',
        }
        : null,
      passwordEnabled: r.bool('AUTH_PASSWORD_ENABLED', false),
      adminEmails: r.list('ADMIN_EMAILS').map((e) => e.toLowerCase()),
      apiKeyCacheTtlMs: r.int('API_KEY_CACHE_TTL_SECONDS', 60, 0, 86_400) * 1000,
      apiKeyCacheMax: r.int('API_KEY_CACHE_MAX', 10_000, 0, 10_000_000),
      sessionIdleMs: r.int('SESSION_IDLE_HOURS', 8, 1, 24 * 365) * 3_600_000,
      sessionAbsoluteMs: r.int('SESSION_ABSOLUTE_DAYS', 30, 1, 365) * 86_400_000,
      sessionsPerUser: r.int('SESSIONS_PER_USER', 10, 1, 1000),
      authRatePerMinute: r.int('AUTH_RATE_LIMIT_PER_MINUTE', 60, 1, 100_000),
    },
    attestation: {
      mode: attestationMode,
      dstackSocket: r.str('DSTACK_SOCKET') ?? '/var/run/dstack.sock',
      allowSimulated,
      required: attestationRequired,
      signatureTtlMs: r.int('SIGNATURE_TTL_HOURS', 24, 1, 24 * 365) * 3_600_000,
      reportCacheMs: r.int('ATTESTATION_REPORT_CACHE_SECONDS', 300, 0, 86_400) * 1000,
      freshQuotesPerMinute: r.int('ATTESTATION_RATE_LIMIT_PER_MINUTE', 30, 1, 100_000),
      signaturesPerMinute: r.int('SIGNATURE_RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
    },
    limits: {
      default: {
        rpm: r.optInt('RATE_LIMIT_RPM', 1),
        tpm: r.optInt('RATE_LIMIT_TPM', 1),
        concurrency: r.optInt('RATE_LIMIT_CONCURRENCY'),
        dailyTokens: r.optInt('BUDGET_DAILY_TOKENS'),
        monthlyTokens: r.optInt('BUDGET_MONTHLY_TOKENS'),
      },
      tiers,
      leaseTtlMs: r.int('RATE_LIMIT_LEASE_TTL_SECONDS', 60, 5, 3600) * 1000,
      reserveOutputTokens: r.int('BUDGET_RESERVE_OUTPUT_TOKENS', 4096, 1, MAX_TOKEN_COUNT),
      backgroundWaitMs: r.int('BUDGET_BACKGROUND_WAIT_HOURS', 24, 1, 24 * 30) * 3_600_000,
      backgroundCheckMs: r.int('BUDGET_BACKGROUND_CHECK_SECONDS', 60, 10, 86_400) * 1000,
      check: r.oneOf('LIMITS_CHECK', ['listen', 'always'] as const, 'listen'),
      auditRetentionDays: r.int('AUDIT_RETENTION_DAYS', 365, 1, 36_500),
    },
    usage: {
      modelListRefreshMs: r.int('MODEL_LIST_REFRESH_SECONDS', 600, 10, 86_400) * 1000,
      allowedModelNames,
    },
    models,
    attachments: { maxBytes: attachmentMaxBytes },
    metrics: { token: metricsToken },
    log: { level: r.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, nodeEnv === 'test' ? 'silent' : 'info') },
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

/**
 * The process environment merged over `.env` in the working directory (real variables win),
 * so local development can keep settings in a file without exporting them.
 */
export function readProcessEnv(cwd: string = process.cwd()): Env {
  const file = `${cwd}/.env`;
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

/** Names of every variable that may hold a secret, for redaction and docs. */
export const secretVariableNames: readonly string[] = SECRET_NAMES;

class Reader {
  private readonly env: Env;
  private readonly problems: string[];
  private readonly readFile: (path: string) => string;
  constructor(env: Env, problems: string[], readFile: (path: string) => string) {
    this.env = env;
    this.problems = problems;
    this.readFile = readFile;
  }

  has(name: string): boolean {
    return this.str(name) !== undefined;
  }

  str(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  /** A secret from NAME or the file named by NAME_FILE (never both). */
  secret(name: string): string | null {
    const direct = this.str(name);
    const file = this.str(`${name}_FILE`);
    if (direct !== undefined && file !== undefined) {
      this.problems.push(`${name} and ${name}_FILE are both set; use one`);
      return null;
    }
    if (file !== undefined) {
      try {
        const v = this.readFile(file).replace(/\r?\n$/, '');
        if (v.length === 0) {
          this.problems.push(`${name}_FILE points at an empty file`);
          return null;
        }
        return v;
      } catch {
        this.problems.push(`${name}_FILE: cannot read ${file}`);
        return null;
      }
    }
    return direct ?? null;
  }

  int(name: string, dflt: number, min: number, max: number): number {
    const v = this.str(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be an integer between ${min} and ${max}`);
      return dflt;
    }
    return n;
  }

  optInt(name: string, min = 0): number | null {
    return this.has(name) ? this.int(name, min, min, Number.MAX_SAFE_INTEGER) : null;
  }

  bool(name: string, dflt: boolean): boolean {
    const v = this.str(name)?.toLowerCase();
    if (v === undefined) return dflt;
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    this.problems.push(`${name} must be true or false`);
    return dflt;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], dflt: T): T {
    const v = this.str(name);
    if (v === undefined) return dflt;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')}`);
    return dflt;
  }

  url(name: string): URL | null {
    const v = this.str(name);
    if (v === undefined) return null;
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      return u;
    } catch {
      this.problems.push(`${name} must be an http(s) URL`);
      return null;
    }
  }

  list(name: string): string[] {
    return (this.str(name) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  }

  json<T>(name: string, dflt: T): T {
    const v = this.str(name);
    if (v === undefined) return dflt;
    try {
      return JSON.parse(v) as T;
    } catch {
      this.problems.push(`${name} must be valid JSON`);
      return dflt;
    }
  }
}

/** The bytes of `data:image/webp;base64,…` for a file of `n` bytes (the longest image type's prefix). */
export function dataUrlBytes(n: number): number {
  return 'data:image/webp;base64,'.length + 4 * Math.ceil(n / 3);
}

/** A model id as the operator may name one: at most 200 printable ASCII characters, no spaces. */
const MODEL_ID = /^[\x21-\x7e]{1,200}$/;

/** ALLOWED_MODELS (comma-separated, order kept, repeats dropped) and DEFAULT_MODEL, which must be one of them. */
function readModels(r: Reader, problems: string[]): Config['models'] {
  const listed = r.list('ALLOWED_MODELS');
  for (const m of listed) {
    if (!MODEL_ID.test(m)) problems.push(`ALLOWED_MODELS: "${m.slice(0, 40)}" is not a model id (at most 200 printable characters, no spaces)`);
  }
  const allowed = listed.length > 0 ? [...new Set(listed)] : null;
  const dflt = r.str('DEFAULT_MODEL') ?? null;
  if (dflt !== null && allowed !== null && !allowed.includes(dflt)) {
    problems.push(`DEFAULT_MODEL "${dflt.slice(0, 200)}" is not one of ALLOWED_MODELS (${allowed.join(', ')})`);
  }
  if (dflt !== null && !MODEL_ID.test(dflt)) problems.push('DEFAULT_MODEL must be a model id (at most 200 printable characters, no spaces)');
  return { allowed, default: dflt ?? allowed?.[0] ?? null };
}

function isCidrOrIp(s: string): boolean {
  const [addr, bits, ...rest] = s.split('/');
  if (rest.length > 0 || addr === undefined) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !(o instanceof URL) && !(o instanceof Uint8Array)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
