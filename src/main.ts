// `cloister serve`: config -> app -> listen; SIGTERM/SIGINT -> graceful shutdown, exit 0.
import { loadConfig, readProcessEnv, type Config } from './config.ts';
import { createApp } from './app.ts';
import { listen } from './http/server.ts';

/** Starts the server and resolves when it has shut down after a signal. */
export async function serve(config: Config = loadConfig(readProcessEnv())): Promise<void> {
  const started = performance.now();
  const app = await createApp(config);
  const { logger } = app.services;
  const server = await listen(app.callback(), { host: config.server.host, port: config.server.port, tls: config.server.tls, limits: config.server.connections });
  logger.info({
    event: 'server.listening',
    url: `${config.server.tls ? 'https' : 'http'}://${config.server.host}:${server.port}`,
    public_url: config.server.publicUrl.origin,
    database: app.services.database.embedded ? 'embedded' : 'postgres',
    upstream: config.upstream.baseUrl === null ? 'not configured' : new URL(config.upstream.baseUrl).origin,
    attestation_mode: config.attestation.mode,
    startup_ms: Math.round(performance.now() - started),
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      logger.info({ event: 'server.stopping', signal });
      server.shutdown(config.server.shutdownTimeoutMs)
        .then(() => app.close())
        .then(() => { logger.info({ event: 'server.stopped' }); resolve(); });
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
}
