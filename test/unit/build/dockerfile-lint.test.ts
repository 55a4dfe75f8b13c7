// Dockerfile.reproducible is a sandbox around scripts/build-image.sh, not a second recipe: it
// installs the tools at the versions image/lock.json names, fetches Node and npm only by the
// lock's integrity, runs the canonical script, and exports its OCI layout. docker-compose.yml
// runs that image in production mode and never builds one of its own.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';

const read = (f: string) => readFileSync(new URL(`../../../${f}`, import.meta.url), 'utf8');
const dockerfile = read('Dockerfile.reproducible');
const compose = read('docker-compose.yml');
const lock = JSON.parse(read('image/lock.json')) as { tools: Record<string, string> };

describe('Dockerfile.reproducible', () => {
  it('runs the canonical build script and exports only what it wrote', () => {
    expect(dockerfile).to.match(/^RUN [\s\S]*scripts\/build-image\.sh --out \/out$/m);
    const stages = dockerfile.split('\n').filter((l) => /^FROM /.test(l));
    expect(stages.at(-1)).to.equal('FROM scratch AS image');
    expect(dockerfile.trimEnd().split('\n').at(-1)).to.equal('COPY --from=builder /out/ /');
  });

  it('installs the build tools at the versions the lock was made with', () => {
    for (const tool of ['mmdebstrap', 'tar']) {
      const pin = new RegExp(`\\b${tool}=(\\S+)`).exec(dockerfile);
      expect(pin, tool).to.not.equal(null);
      // Debian versions carry the upstream version first: 1.34+dfsg-1.2+deb12u1 is tar 1.34.
      expect(pin![1]!.startsWith(lock.tools[tool]!), `${tool} ${pin![1]} vs lock ${lock.tools[tool]}`).to.equal(true);
    }
  });

  it('fetches Node and npm by the lock\'s integrity and nothing else from the network', () => {
    expect(dockerfile).to.contain('node.integrity');
    expect(dockerfile).to.contain('tools.npm_integrity');
    expect(dockerfile).to.not.match(/\b(curl|wget)\b|^ADD\s+https?:|npm (ci|install|i)\b/m);
  });

  it('takes an intercepting CA only as a build secret', () => {
    expect(dockerfile).to.not.match(/^(COPY|ADD)\s.*\.(crt|pem)\b/m);
    expect(dockerfile).to.not.match(/^ARG\s+\w*CA\w*/m);
    for (const l of dockerfile.split('\n').filter((x) => x.includes('/run/secrets/ca') && x.startsWith('RUN'))) expect(l).to.contain('--mount=type=secret,id=ca');
  });

  it('copies no base-image digest it could not check', () => {
    expect(dockerfile).to.not.match(/@sha256:[0-9a-f]{64}/);
    expect(dockerfile).to.match(/^ARG BUILDER_IMAGE=debian:bookworm$/m);
  });
});

describe('docker-compose.yml', () => {
  it('runs an image it does not build', () => {
    expect(compose).to.not.match(/^\s+build:/m);
    expect(compose).to.match(/image: \$\{CLOISTER_IMAGE:-cloister:local\}/);
  });

  it('fixes production mode and a writable DATA_DIR where .env cannot override them', () => {
    const service = compose.slice(compose.indexOf('  cloister:'), compose.indexOf('  postgres:'));
    expect(service).to.match(/env_file: \.env\n\s+environment:\n/);
    expect(service).to.match(/^\s+NODE_ENV: production$/m);
    expect(service).to.match(/^\s+DATA_DIR: \/var\/lib\/cloister$/m);
    expect(service).to.match(/^\s+- cloister-data:\/var\/lib\/cloister$/m);
    expect(service).to.match(/^\s+read_only: true$/m);
  });

  it('leaves NODE_ENV and DATA_DIR unset in env.example, which people give it as .env', () => {
    const example = read('env.example');
    expect(example).to.not.match(/^NODE_ENV=/m);
    expect(example).to.not.match(/^DATA_DIR=/m);
  });

  it('keeps env.example\'s comments off its value lines, which docker\'s env-file readers would take as values', () => {
    // Found with docker-compose 1.29: SESSION_SECRET became "# secret, >= 32 bytes; ..." — long enough to pass.
    const valueLines = read('env.example').split('\n').filter((l) => /^[A-Z][A-Z0-9_]*=/.test(l));
    expect(valueLines.length).to.be.greaterThan(40);
    for (const l of valueLines) expect(l, l).to.match(/^[A-Z][A-Z0-9_]*=\S*$/);
  });
});
