// `cloister verify`: the auditor's command. File and network I/O live here (injected through
// `io`); every check is the pure library in src/verify. Exit codes: 0 no check failed and every
// required one ran, 1 a check failed (or a required one was skipped), 2 bad input (arguments,
// unreadable files, unparseable JSON, bad hex, a bad policy, a report that could not be fetched).
import { parseArgs } from 'node:util';
import { bytesToHex, hexToBytes } from '../tdx/bytes.ts';
import { parseQuote } from '../tdx/quote-parse.ts';
import { fetchCollateral } from '../verify/collateral-fetch.ts';
import { verifyReport, gatewayOf, VerifyInputError } from '../verify/verify-report.ts';
import { parsePolicy } from '../verify/policy.ts';
import { CHECK_IDS, type CheckId, type Collateral, type ResponseSignature, type VerifyOptions, type VerifyResult } from '../verify/types.ts';

/** What runVerify may touch. `readFile('-')` reads standard input. Each stdout/stderr call is one line. */
export interface VerifyIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readFile: (p: string) => Promise<Uint8Array>;
  fetch: typeof fetch;
  now: () => Date;
}

export const VERIFY_USAGE = `usage: cloister verify (--report FILE|- | --url BASE_URL) [options]

  --report FILE|-          report JSON (GET /v1/attestation/report body); - reads stdin
  --url BASE_URL           fetch BASE_URL/v1/attestation/report with a fresh random nonce
  --nonce HEX              the 64-hex nonce you sent (with --url: use this one instead of a random one)
  --collateral FILE        DCAP collateral JSON (dcap-qvl shape) for the TCB check
  --pccs-url URL           fetch collateral from a PCCS / Intel PCS (API v4)
  --at TIME                evaluate certificates and collateral at this ISO time (default now)
  --app-compose FILE       the app-compose you expect (exact bytes)
  --compose-hash HEX       or its sha256
  --image-digest DIGEST    an image digest (sha256:… or name@sha256:…) that must be in the compose
  --policy FILE            what is acceptable: TCB statuses and advisories, dstack OS measurements,
                           compose hashes and image digests, required checks (JSON; default:
                           attestation/verify-policy.json, built in)
  --require ID[,ID…]       checks that must run: a skip fails the verdict (e.g. quote.tcb,report_data.nonce)
  --allow-simulated        accept a report labelled simulated (no TDX hardware)
  --signature FILE         response signature JSON (GET /v1/signature/{id}), with
  --request FILE           the exact request body bytes you sent, and
  --response FILE          the exact response bytes you received
  --json                   print {"ok","verdict","tcb_status","advisory_ids","policy","checks":[{"id","status","detail","required","brief"}]}

Check ids: ${CHECK_IDS.join(', ')}`;

class BadInput extends Error {}

const MARK = { pass: '✓', fail: '✗', skip: '–' } as const;

async function readText(io: VerifyIo, path: string, what: string): Promise<string> {
  return new TextDecoder().decode(await readBytes(io, path, what));
}

async function readBytes(io: VerifyIo, path: string, what: string): Promise<Uint8Array> {
  try {
    return await io.readFile(path);
  } catch (e) {
    throw new BadInput(`cannot read ${what} ${path}: ${(e as Error).message}`, { cause: e });
  }
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new BadInput(`${what} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

function hex32(v: string | undefined, flag: string): string | undefined {
  if (v === undefined) return undefined;
  let b: Uint8Array;
  try {
    b = hexToBytes(v.trim());
  } catch {
    throw new BadInput(`${flag} is not hex: ${v}`);
  }
  if (b.length !== 32) throw new BadInput(`${flag} must be 32 bytes (64 hex characters)`);
  return bytesToHex(b);
}

function parseCli(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        report: { type: 'string' }, url: { type: 'string' }, nonce: { type: 'string' },
        collateral: { type: 'string' }, 'pccs-url': { type: 'string' }, at: { type: 'string' },
        'app-compose': { type: 'string' }, 'compose-hash': { type: 'string' }, 'image-digest': { type: 'string' },
        'allow-simulated': { type: 'boolean' }, signature: { type: 'string' }, request: { type: 'string' },
        policy: { type: 'string' }, require: { type: 'string', multiple: true },
        response: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    throw new BadInput((e as Error).message, { cause: e });
  }
}

async function fetchReport(io: VerifyIo, baseUrl: string, nonce: string, algo: string | undefined): Promise<unknown> {
  let url: URL;
  try {
    url = new URL('v1/attestation/report', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  } catch {
    throw new BadInput(`--url is not a URL: ${baseUrl}`);
  }
  url.searchParams.set('nonce', nonce);
  if (algo) url.searchParams.set('signing_algo', algo);
  let res: Response;
  try {
    res = await io.fetch(url.toString(), { headers: { accept: 'application/json' } });
  } catch (e) {
    throw new BadInput(`cannot fetch ${url}: ${(e as Error).message}`, { cause: e });
  }
  const text = await res.text();
  if (!res.ok) throw new BadInput(`GET ${url} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  return parseJson(text, `report from ${url}`);
}

function printHuman(io: VerifyIo, r: VerifyResult, policy: string): void {
  io.stdout(`policy: ${policy}`);
  for (const c of r.checks) io.stdout(`${MARK[c.status]} ${c.id.padEnd(26)} ${c.detail}`);
  io.stdout(`VERDICT: ${r.verdict}`);
}

function printJson(io: VerifyIo, r: VerifyResult, policy: string): void {
  io.stdout(JSON.stringify({
    ok: r.ok,
    verdict: r.verdict,
    tcb_status: r.tcbStatus ?? null,
    advisory_ids: r.advisoryIds ?? null,
    policy,
    checks: r.checks.map(({ id, status, detail, required, brief }) => (brief === undefined ? { id, status, detail, required } : { id, status, detail, required, brief })),
  }));
}

function requiredChecks(values: string[] | undefined): CheckId[] {
  const ids = (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  for (const id of ids) if (!(CHECK_IDS as readonly string[]).includes(id)) throw new BadInput(`--require: "${id}" is not a check id (${CHECK_IDS.join(', ')})`);
  return ids as CheckId[];
}

/** Run `cloister verify` with `argv` (after the command name); returns the exit code. */
export async function runVerify(argv: string[], io: VerifyIo): Promise<number> {
  try {
    const a = parseCli(argv);
    if (a.help) {
      io.stdout(VERIFY_USAGE);
      return 0;
    }
    if ((a.report === undefined) === (a.url === undefined)) throw new BadInput('give exactly one of --report FILE and --url BASE_URL');
    if (a.collateral !== undefined && a['pccs-url'] !== undefined) throw new BadInput('give --collateral or --pccs-url, not both');
    const sigFiles = [a.signature, a.request, a.response].filter((x) => x !== undefined).length;
    if (sigFiles !== 0 && sigFiles !== 3) throw new BadInput('--signature, --request and --response go together');

    const opts: VerifyOptions = { allowSimulated: a['allow-simulated'] === true, require: requiredChecks(a.require) };
    let policyName = 'default (attestation/verify-policy.json, built in)';
    if (a.policy !== undefined) {
      opts.policy = parsePolicy(parseJson<unknown>(await readText(io, a.policy, 'policy'), 'policy'));
      policyName = a.policy;
    }
    opts.at = io.now();
    if (a.at !== undefined) {
      const at = new Date(a.at);
      if (Number.isNaN(at.getTime())) throw new BadInput(`--at is not a date: ${a.at}`);
      opts.at = at;
    }
    let nonce = hex32(a.nonce, '--nonce');
    const composeHash = hex32(a['compose-hash'], '--compose-hash');
    if (composeHash !== undefined) opts.composeHash = composeHash;
    if (a['image-digest'] !== undefined) opts.imageDigest = a['image-digest'];
    if (a['app-compose'] !== undefined) opts.appCompose = await readText(io, a['app-compose'], 'app-compose');
    if (a.collateral !== undefined) opts.collateral = parseJson<Collateral>(await readText(io, a.collateral, 'collateral'), 'collateral');
    if (a.signature !== undefined && a.request !== undefined && a.response !== undefined) {
      const sig = parseJson<ResponseSignature>(await readText(io, a.signature, 'signature'), 'signature');
      if (typeof sig !== 'object' || sig === null || typeof sig.text !== 'string' || typeof sig.signature !== 'string') throw new BadInput('signature file is not a {text, signature, signing_address, signing_algo} object');
      opts.responseSignature = sig;
      opts.requestBytes = await readBytes(io, a.request, 'request');
      opts.responseBytes = await readBytes(io, a.response, 'response');
    }

    let report: unknown;
    if (a.url !== undefined) {
      // A fresh random nonce proves the quote was made for this request.
      nonce ??= bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
      report = await fetchReport(io, a.url, nonce, opts.responseSignature?.signing_algo);
    } else {
      report = parseJson(await readText(io, a.report as string, 'report'), 'report');
    }
    if (nonce !== undefined) opts.nonce = nonce;

    if (a['pccs-url'] !== undefined) {
      try {
        opts.collateral = await fetchCollateral(a['pccs-url'], parseQuote(hexToBytes(gatewayOf(report).intel_quote)), (u) => io.fetch(u));
      } catch (e) {
        throw new BadInput(`cannot get collateral from ${a['pccs-url']}: ${(e as Error).message}`, { cause: e });
      }
    }

    const result = await verifyReport(report, opts);
    if (a.json) printJson(io, result, policyName);
    else printHuman(io, result, policyName);
    return result.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof BadInput || e instanceof VerifyInputError) {
      io.stderr(`cloister verify: ${e.message}`);
      io.stderr('run `cloister verify --help` for usage');
      return 2;
    }
    throw e;
  }
}
