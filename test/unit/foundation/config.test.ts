import { expect } from 'chai';
import { loadConfig, ConfigError } from '../../../src/config.ts';

function problemsOf(env: Record<string, string>, readFile?: (p: string) => string): string[] {
  try {
    loadConfig(env, readFile ? { readFile } : {});
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return [...(e as ConfigError).problems];
  }
  return [];
}

describe('loadConfig', () => {
  it('starts with zero configuration outside production: embedded database, simulated attestation, no upstream', () => {
    const c = loadConfig({});
    expect(c.nodeEnv).to.equal('development');
    expect(c.server.port).to.equal(8080);
    expect(c.server.host).to.equal('127.0.0.1');
    expect(c.server.publicUrl.origin, 'passkeys need a host name, not an IP').to.equal('http://localhost:8080');
    expect(c.database.url).to.equal(null);
    expect(c.upstream.baseUrl).to.equal(null);
    expect(c.attestation.mode).to.equal('simulated');
    expect(c.server.bodyLimitBytes).to.equal(16 * 1024 * 1024);
    expect(Object.isFrozen(c.server)).to.equal(true);
  });

  it('names every bad variable in one error', () => {
    const problems = problemsOf({ PORT: 'eighty', LOG_LEVEL: 'loud', OPENAI_BASE_URL: 'ftp://x', TRUSTED_PROXIES: '10.0.0.0/99', ATTESTATION_MODE: 'maybe', AUTH_PASSWORD_ENABLED: 'perhaps' });
    const text = problems.join('\n');
    for (const name of ['PORT', 'LOG_LEVEL', 'OPENAI_BASE_URL', 'TRUSTED_PROXIES', 'ATTESTATION_MODE', 'AUTH_PASSWORD_ENABLED']) {
      expect(text, name).to.contain(name);
    }
    expect(problems).to.have.length(6);
  });

  it('refuses to start in production without secrets, https PUBLIC_URL or DATABASE_URL', () => {
    const text = problemsOf({ NODE_ENV: 'production', PUBLIC_URL: 'http://example.com', ATTESTATION_MODE: 'dstack' }).join('\n');
    expect(text).to.contain('SESSION_SECRET');
    expect(text).to.contain('PUBLIC_URL must be an https URL');
    expect(text).to.contain('DATABASE_URL is required in production');
  });

  it('refuses a SESSION_SECRET shorter than 32 bytes', () => {
    expect(problemsOf({ SESSION_SECRET: 'short' }).join()).to.contain('SESSION_SECRET must be at least 32 bytes');
  });

  it('refuses simulated attestation in production unless explicitly allowed', () => {
    const base = { NODE_ENV: 'production', PUBLIC_URL: 'https://c.example', DATABASE_URL: 'postgres://db/x', SESSION_SECRET: 'x'.repeat(40) };
    expect(problemsOf({ ...base, ATTESTATION_MODE: 'simulated' }).join()).to.contain('ATTESTATION_ALLOW_SIMULATED');
    expect(loadConfig({ ...base, ATTESTATION_MODE: 'simulated', ATTESTATION_ALLOW_SIMULATED: 'true' }).attestation.mode).to.equal('simulated');
    expect(loadConfig(base).attestation.mode).to.equal('dstack');
  });

  it('reads secrets from NAME_FILE, trimming one trailing newline', () => {
    const files: Record<string, string> = { '/run/secrets/key': 'sk-from-file\n', '/run/secrets/session': 's'.repeat(48) };
    const c = loadConfig({ OPENAI_API_KEY_FILE: '/run/secrets/key', SESSION_SECRET_FILE: '/run/secrets/session' }, { readFile: (p) => {
      const v = files[p];
      if (v === undefined) throw new Error('ENOENT');
      return v;
    } });
    expect(c.upstream.apiKey).to.equal('sk-from-file');
    expect(c.auth.sessionSecret).to.have.length(48);
  });

  it('reports an unreadable NAME_FILE and a secret set twice', () => {
    const text = problemsOf({ OPENAI_API_KEY_FILE: '/nope', SESSION_SECRET: 'x'.repeat(40), SESSION_SECRET_FILE: '/also' }, () => { throw new Error('ENOENT'); }).join('\n');
    expect(text).to.contain('OPENAI_API_KEY_FILE: cannot read /nope');
    expect(text).to.contain('SESSION_SECRET and SESSION_SECRET_FILE are both set');
  });

  it('never puts a secret value into an error message', () => {
    const text = problemsOf({ METRICS_TOKEN: 'tiny-secret', DATABASE_URL: 'mysql://user:hunter2@db/x' }).join('\n');
    expect(text).to.contain('METRICS_TOKEN');
    expect(text).to.not.contain('tiny-secret');
    expect(text).to.not.contain('hunter2');
  });

  it('requires OAuth client id and secret together', () => {
    expect(problemsOf({ GOOGLE_CLIENT_ID: 'id' }).join()).to.contain('GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET');
    const c = loadConfig({ GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 'sec' });
    expect(c.auth.github).to.deep.include({ clientId: 'id', baseUrl: 'https://github.com', apiUrl: 'https://api.github.com' });
    expect(c.auth.google).to.equal(null);
  });

  it('normalises ALLOWED_ORIGINS and rejects non-origins', () => {
    expect(loadConfig({ ALLOWED_ORIGINS: 'https://a.example, https://b.example:8443/' }).server.allowedOrigins).to.deep.equal(['https://a.example', 'https://b.example:8443']);
    expect(problemsOf({ ALLOWED_ORIGINS: 'https://a.example/path' }).join()).to.contain('ALLOWED_ORIGINS');
  });

  it('reads the default tier from RATE_LIMIT_* and BUDGET_*, and named tiers from RATE_LIMIT_TIERS', () => {
    const c = loadConfig({ RATE_LIMIT_RPM: '60', BUDGET_DAILY_TOKENS: '0', RATE_LIMIT_TIERS: '{"pro":{"rpm":600,"daily_tokens":null,"monthly_tokens":5000000}}' });
    expect(c.limits.default).to.deep.equal({ rpm: 60, tpm: null, concurrency: null, dailyTokens: 0, monthlyTokens: null });
    expect(c.limits.tiers).to.deep.equal({ pro: { rpm: 600, dailyTokens: null, monthlyTokens: 5000000 } });
    expect(loadConfig({ RATE_LIMIT_RPM: '' }).limits.default.rpm, 'empty = unlimited').to.equal(null);
  });

  it('refuses limits that cannot work: zero rates, unknown fields, bad tier names', () => {
    const problems = problemsOf({
      RATE_LIMIT_RPM: '0',
      RATE_LIMIT_TIERS: '{"Pro!":{"rpm":1},"default":{},"team":{"rpm":0,"tokens":5,"concurrency":-1,"tpm":1.5},"x":3}',
    });
    expect(problems.join('\n')).to.contain('RATE_LIMIT_RPM must be an integer between 1');
    expect(problems.some((p) => p.includes("tier name 'Pro!'"))).to.equal(true);
    expect(problems.some((p) => p.includes("tier name 'default'"))).to.equal(true);
    expect(problems).to.include('RATE_LIMIT_TIERS.team: rpm must be null or a whole number >= 1');
    expect(problems.some((p) => p.startsWith("RATE_LIMIT_TIERS.team: unknown limit 'tokens'"))).to.equal(true);
    expect(problems).to.include('RATE_LIMIT_TIERS.team: concurrency must be null or a whole number >= 0');
    expect(problems).to.include('RATE_LIMIT_TIERS.team: tpm must be null or a whole number >= 1');
    expect(problems).to.include('RATE_LIMIT_TIERS.x must be an object of limits');
    expect(problemsOf({ RATE_LIMIT_TIERS: '[1]' })).to.deep.equal(['RATE_LIMIT_TIERS must be a JSON object of tier name -> limits']);
  });

  it('reads ALLOWED_MODELS in order (repeats dropped) and DEFAULT_MODEL; the first allowed model is the default when none is named', () => {
    const c = loadConfig({ ALLOWED_MODELS: ' gpt-b , org/gpt-a,gpt-b ', DEFAULT_MODEL: 'org/gpt-a' });
    expect(c.models).to.deep.equal({ allowed: ['gpt-b', 'org/gpt-a'], default: 'org/gpt-a' });
    expect(loadConfig({ ALLOWED_MODELS: 'gpt-b,gpt-a' }).models.default).to.equal('gpt-b');
    expect(loadConfig({ DEFAULT_MODEL: 'anything-upstream-has' }).models).to.deep.equal({ allowed: null, default: 'anything-upstream-has' });
    expect(loadConfig({}).models).to.deep.equal({ allowed: null, default: null });
  });

  it('refuses a DEFAULT_MODEL that ALLOWED_MODELS does not list, and model ids with spaces, in one clear line each', () => {
    const problems = problemsOf({ ALLOWED_MODELS: 'gpt-a,gpt b', DEFAULT_MODEL: 'gpt-c' });
    expect(problems).to.have.length(2);
    expect(problems.join('\n')).to.contain('DEFAULT_MODEL "gpt-c" is not one of ALLOWED_MODELS (gpt-a, gpt b)').and.contain('ALLOWED_MODELS: "gpt b" is not a model id');
  });

  it('attachments: 10 MiB by default, and BODY_LIMIT_BYTES must hold one as a base64 data URL plus 1 MiB (0: attachments off)', () => {
    const c = loadConfig({});
    expect(c.attachments.maxBytes).to.equal(10 * 1024 * 1024);
    const tooSmall = problemsOf({ ATTACHMENT_MAX_BYTES: String(12 * 1024 * 1024) }).join('\n');
    expect(tooSmall).to.match(/^BODY_LIMIT_BYTES \(16777216\) must be at least \d+ to hold one ATTACHMENT_MAX_BYTES \(12582912\) attachment as a base64 data URL plus 1 MiB/);
    expect(problemsOf({ ATTACHMENT_MAX_BYTES: String(12 * 1024 * 1024), BODY_LIMIT_BYTES: String(18 * 1024 * 1024) })).to.deep.equal([]);
    // The boundary: exactly the data URL of a maximal file plus 1 MiB is enough, a byte less is not.
    const max = 3 * 1024 * 1024;
    const needed = 'data:image/webp;base64,'.length + 4 * Math.ceil(max / 3) + 1024 * 1024;
    expect(problemsOf({ ATTACHMENT_MAX_BYTES: String(max), BODY_LIMIT_BYTES: String(needed) })).to.deep.equal([]);
    expect(problemsOf({ ATTACHMENT_MAX_BYTES: String(max), BODY_LIMIT_BYTES: String(needed - 1) })).to.have.length(1);
    // 0 turns attachments off, and with them the constraint (an API-only server keeps a small limit).
    expect(problemsOf({ ATTACHMENT_MAX_BYTES: '0', BODY_LIMIT_BYTES: '2048' })).to.deep.equal([]);
  });
});
