// `node scripts/bench/body-checks.ts`: what the body checks of issue 18 cost per request, on a
// typical 2 KB chat body, a 200 KB one (a long conversation) and a 200 KB Responses body (a
// multi-turn input of earlier output items): JSON.parse alone (which every body paid before),
// then each check added beside it — the UTF-8 check, the duplicate-key check, the reference
// walk. Each figure is the median of 9 timed runs of a few thousand operations after a warm-up.
// Reports numbers; asserts nothing.
import { isUtf8 } from 'node:buffer';
import { assertNoDuplicateKeys } from '../../src/http/json-members.ts';
import { bodyReferences, CHAT_COMPLETION_CREATE, RESPONSE_CREATE } from '../../src/proxy/body-references.ts';

const words = 'the quick brown fox jumps over the lazy dog, and then "quotes", colons: and \\ backslashes '.split(' ');
const text = (bytes: number, seed: number) => {
  let out = '';
  for (let i = seed; out.length < bytes; i++) out += `${words[i % words.length]} `;
  return out;
};

function chatBody(messages: number, bytesEach: number): Buffer {
  const m: unknown[] = [{ role: 'system', content: text(bytesEach, 0) }];
  for (let i = 1; i < messages; i++) m.push({ role: i % 2 ? 'user' : 'assistant', content: text(bytesEach, i) });
  return Buffer.from(JSON.stringify({ model: 'gpt-4o', stream: true, temperature: 0.7, stream_options: { include_usage: true }, messages: m }));
}

function responsesBody(turns: number, bytesEach: number): Buffer {
  const input: unknown[] = [];
  for (let i = 0; i < turns; i++) {
    input.push({ role: 'user', content: text(bytesEach / 4, i) });
    input.push({ id: `rs_${i.toString(36).padStart(8, '0')}`, type: 'reasoning', summary: [{ type: 'summary_text', text: text(64, i) }], encrypted_content: 'gAAAA'.repeat(20) });
    input.push({ id: `msg_${i.toString(36).padStart(8, '0')}`, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', annotations: [], text: text(bytesEach, i) }] });
  }
  return Buffer.from(JSON.stringify({ model: 'gpt-5', store: false, include: ['reasoning.encrypted_content'], input }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Microseconds per call of `fn`, median over runs. */
function measure(fn: () => void, targetMs = 40): number {
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    if (performance.now() - t0 > targetMs / 4) break;
    n *= 2;
  }
  const runs: number[] = [];
  for (let r = 0; r < 9; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    runs.push(((performance.now() - t0) * 1000) / n);
  }
  return median(runs);
}

const bodies: Array<[string, Buffer, typeof CHAT_COMPLETION_CREATE]> = [
  ['chat, 2 KB', chatBody(6, 300), CHAT_COMPLETION_CREATE],
  ['chat, 200 KB', chatBody(100, 2000), CHAT_COMPLETION_CREATE],
  ['responses multi-turn, 200 KB', responsesBody(60, 2400), RESPONSE_CREATE],
];

const rows: Array<Record<string, string>> = [];
for (const [name, raw, shape] of bodies) {
  const text = raw.toString('utf8');
  const parsed = JSON.parse(text) as object;
  const parse = measure(() => JSON.parse(raw.toString('utf8')));
  const utf8 = measure(() => isUtf8(raw));
  const duplicates = measure(() => assertNoDuplicateKeys(text, parsed));
  const walk = measure(() => bodyReferences(parsed, shape));
  const added = utf8 + duplicates + walk;
  rows.push({
    body: name, bytes: String(raw.length),
    'parse µs': parse.toFixed(2), 'utf8 µs': utf8.toFixed(2), 'duplicate keys µs': duplicates.toFixed(2), 'reference walk µs': walk.toFixed(2),
    'added µs': added.toFixed(2), 'added / parse': `${((added / parse) * 100).toFixed(0)}%`,
  });
}
console.table(rows);
