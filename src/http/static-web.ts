// Serves the built web app (dist/web) at `/`: hashed assets with a year-long immutable cache,
// and index.html — no-store, so a new deployment is picked up at once — for the app's own pages
// (the paths its router in the browser knows: APP_PAGES), each in its one spelling; any other
// path is an unknown URL. Mounted last, so it never shadows a real route.
// The strict HTML CSP comes from securityHeaders because these responses are text/html.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.ts';
import type { AppMiddleware } from './context.ts';

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};
const ASSET = /^\/assets\/[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
const ROOT_FILE = /^\/[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.[a-z0-9]{1,8}$/;
/** The web app's pages (src/web/app.tsx routes them), with the pattern the access log names. */
const APP_PAGES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/$/, '/'],
  [/^\/c\/[A-Za-z0-9_-]{1,128}$/, '/c/:id'],
  [/^\/account$/, '/account'],
  [/^\/verify$/, '/verify'],
];

/**
 * Where dist/web is: `<checkout>/dist/web` when running the sources (src/http/ → ../../dist/web),
 * `dist/web` when running the compiled server (dist/src/http/ → ../../web).
 */
export function defaultWebRoot(): string {
  const fromSource = fileURLToPath(new URL('../../dist/web/', import.meta.url));
  const fromDist = fileURLToPath(new URL('../../web/', import.meta.url));
  return existsSync(fromSource) || !existsSync(fromDist) ? fromSource : fromDist;
}

export interface StaticWebOptions {
  readonly root: string;
  readonly logger: Logger;
  /** build the assets in the background when index.html is missing (a fresh source checkout) */
  readonly buildIfMissing: boolean;
}

export interface StaticWeb {
  readonly middleware: AppMiddleware;
  /** stops a background build still running */
  close(): void;
}

/** The static web app middleware plus its first-start build. */
export function createStaticWeb(options: StaticWebOptions): StaticWeb {
  const { root, logger } = options;
  const indexPath = join(root, 'index.html');
  const assets = new Map<string, Buffer>(); // hashed names never change content
  let build: ChildProcess | null = null;

  if (options.buildIfMissing && !existsSync(indexPath)) build = startBuild(root, logger, () => { build = null; });

  // Read per request (it is tiny): a rebuild while the server runs must not leave it pointing
  // at assets that no longer exist.
  const readIndex = async (): Promise<Buffer | null> => {
    try {
      return await readFile(indexPath);
    } catch {
      return null;
    }
  };

  const middleware: AppMiddleware = async (ctx, next) => {
    await next();
    if (ctx.body != null || ctx.status !== 404) return;
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return;
    const path = ctx.path;

    if (ASSET.test(path) || ROOT_FILE.test(path)) {
      let bytes = assets.get(path);
      if (!bytes) {
        try {
          bytes = await readFile(join(root, path));
        } catch {
          return; // a missing file is a 404, never index.html
        }
        if (path.startsWith('/assets/')) assets.set(path, bytes);
      }
      ctx.status = 200;
      ctx.state.route = path.startsWith('/assets/') ? '/assets/:file' : '/:file';
      ctx.type = TYPES[extname(path)] ?? 'application/octet-stream';
      ctx.set('cache-control', path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      ctx.body = bytes;
      return;
    }

    const page = APP_PAGES.find(([pattern]) => pattern.test(path));
    if (!page) return;
    const html = await readIndex();
    ctx.status = 200;
    ctx.state.route = page[1];
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('cache-control', 'no-store');
    ctx.body = html ?? placeholder(build !== null);
  };

  return {
    middleware,
    close() {
      build?.kill('SIGTERM');
      build = null;
    },
  };
}

/** What `/` answers before the web app has been built. */
function placeholder(building: boolean): string {
  const message = building
    ? '<p>The web app is being built for the first start. This page reloads in a few seconds.</p>'
    : '<p>The web app has not been built. Run <code>npm run build</code>, then reload.</p><p>The API is available under <code>/v1</code>.</p>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">${building ? '<meta http-equiv="refresh" content="2">' : ''}`
    + `<title>Cloister</title></head><body><h1>Cloister</h1>${message}</body></html>`;
}

/**
 * First start from a source checkout: build dist/web with Vite in a child process, after the
 * server is already listening (the build takes a few seconds; /healthz must not wait for it).
 */
function startBuild(root: string, logger: Logger, done: () => void): ChildProcess | null {
  const vite = fileURLToPath(new URL('../../node_modules/vite/bin/vite.js', import.meta.url));
  const config = fileURLToPath(new URL('../web/vite.config.ts', import.meta.url));
  if (!existsSync(vite) || !existsSync(config)) return null;
  const started = performance.now();
  // Built beside the target and renamed into place, so a server stopped mid-build never leaves a
  // half-written dist/web behind that the next start would take for a finished one.
  const target = root.replace(/\/+$/, '');
  const tmp = `${target}.build-${process.pid}`;
  logger.info({ event: 'web.build.started', out_dir: target });
  const child = spawn(process.execPath, [vite, 'build', '--config', config, '--outDir', tmp], { stdio: 'ignore' });
  child.once('error', (e) => {
    logger.warn({ event: 'web.build.failed', err: { type: e.name } });
    done();
  });
  child.once('exit', (code) => {
    try {
      if (code !== 0) throw new Error(`exit ${code}`);
      rmSync(target, { recursive: true, force: true });
      renameSync(tmp, target);
      logger.info({ event: 'web.build.finished', duration_ms: Math.round(performance.now() - started) });
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      logger.warn({ event: 'web.build.failed', exit_code: code, err: { type: (e as Error).name } });
    }
    done();
  });
  return child;
}
