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
});
