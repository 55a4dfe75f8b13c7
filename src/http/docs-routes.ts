// /openapi.json and /docs: the API document and a small self-hosted viewer (one HTML page and
// one same-origin script, no CDN, nothing inline, so the strict CSP holds).
import { route, type Route } from './route.ts';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cloister API</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5">
<h1>Cloister API</h1>
<p>The OpenAPI 3.1 document is at <a href="/openapi.json">/openapi.json</a>. Authenticate with
<code>Authorization: Bearer &lt;api key&gt;</code> or a browser session. Errors are OpenAI-shaped.</p>
<main id="ops"><p>Loading…</p></main>
<script src="/docs/viewer.js"></script>
</body></html>`;

const VIEWER = `// Renders /openapi.json as a list of operations grouped by tag (textContent only: no HTML injection).
(async () => {
  const main = document.getElementById('ops');
  const doc = await (await fetch('/openapi.json')).json();
  main.textContent = '';
  const byTag = new Map();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags && op.tags[0]) || 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ method, path, op });
    }
  }
  for (const [tag, ops] of byTag) {
    const h = document.createElement('h2');
    h.textContent = tag;
    main.append(h);
    const dl = document.createElement('dl');
    for (const { method, path, op } of ops) {
      const dt = document.createElement('dt');
      const code = document.createElement('code');
      code.textContent = method.toUpperCase() + ' ' + path;
      dt.append(code);
      const dd = document.createElement('dd');
      const auth = op.security && op.security.length && Object.keys(op.security[0]).length ? ' (authenticated)' : '';
      dd.textContent = op.summary + auth;
      dl.append(dt, dd);
    }
    main.append(dl);
  }
})().catch(() => { document.getElementById('ops').textContent = 'Could not load /openapi.json'; });
`;

/** Serves the API document (built once, on first request, from every declared route) and its viewer. */
export function docsRoutes(deps: { document: () => Record<string, unknown> }): Route[] {
  let doc: string | null = null;
  return [
    route({
      method: 'GET', path: '/openapi.json', access: 'public', doc: { tag: 'operations', summary: 'This document' },
      handle(ctx) {
        doc ??= JSON.stringify(deps.document());
        ctx.type = 'application/json';
        ctx.body = doc;
      },
    }),
    route({
      method: 'GET', path: '/docs', access: 'public', doc: { tag: 'operations', summary: 'Browsable API documentation (self-hosted)' },
      handle(ctx) {
        ctx.type = 'text/html; charset=utf-8';
        ctx.body = PAGE;
      },
    }),
    route({
      method: 'GET', path: '/docs/viewer.js', access: 'public', doc: { tag: 'operations', summary: 'Script of the documentation viewer' },
      handle(ctx) {
        ctx.type = 'text/javascript; charset=utf-8';
        ctx.body = VIEWER;
      },
    }),
  ];
}
