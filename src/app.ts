// The single composition root. Everything is wired here by hand: no module-level singletons.
// Tests call createApp with the same config shape and overrides (clock, log sink, database).
import Koa from 'koa';
import type { RequestListener } from 'node:http';
import type { DestinationStream } from 'pino';
import type { Config } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { systemClock, type Clock } from './clock.ts';
import { openDatabase, type Database } from './db/database.ts';
import { createUserService, type UserService } from './identity/user-service.ts';
import { createApiKeyService, type ApiKeyService } from './identity/api-keys.ts';
import { loadOrCreateDevSecret } from './identity/dev-secret.ts';
import { requestIds } from './http/request-id.ts';
import { apiSecurityHeaders } from './http/security-headers.ts';
import { corsHeaders } from './http/cors.ts';
import { createFrame } from './http/frame.ts';
import { requestLog } from './http/access-log.ts';
import { createMetrics, type Metrics } from './http/metrics.ts';
import { opsRoutes } from './http/ops-routes.ts';
import { docsRoutes } from './http/docs-routes.ts';
import { buildOpenApiDocument } from './http/openapi-document.ts';
import { mountRoutes } from './http/routes.ts';
import type { Route } from './http/route.ts';
import { readBuildInfo } from './build-info.ts';
import { appRoot } from './app-root.ts';
import { createStaticWeb, defaultWebRoot } from './http/static-web.ts';
import { authenticate, bearerAuthenticator, requireUser, type Authenticator } from './http/authenticate.ts';
import { AppError } from './errors.ts';
import type { AppState } from './http/context.ts';
import { accountRoutes } from './identity/account-routes.ts';
import { createSignIn } from './identity/wiring.ts';
import { upstreamObjectDeleter } from './identity/delete-upstream-objects.ts';
import { createExchangeEvents, type ExchangeEvents } from './proxy/exchange-events.ts';
import { createUpstreamClient, type UpstreamClient } from './upstream/client.ts';
import { createOwnership, type Ownership } from './conversations/ownership.ts';
import { createUsageRecorder, type UsageRecorder } from './proxy/usage-recorder.ts';
import { proxyRoutes } from './proxy/routes.ts';
import { inferenceRoutes } from './proxy/inference-routes.ts';
import { idempotencyKeys } from './proxy/idempotency-key.ts';
import { conversationProxyRoutes } from './proxy/conversation-routes.ts';
import { ownListingsRoutes } from './conversations/routes.ts';
import { createConversationMetadata } from './conversations/metadata.ts';
import { sealingKeyFor } from './shared/sealing.ts';
import { createModelNames, type ModelNames } from './proxy/model-names.ts';
import { modelRoutes } from './proxy/model-routes.ts';
import { createModelPolicy, type ModelPolicy } from './shared/model-policy.ts';
import { clientConfigRoutes } from './http/client-config-routes.ts';
import { startBackgroundFollowUp, type BackgroundFollowUp } from './proxy/background-follow-up.ts';
import { createAttestation } from './attestation/service.ts';
import { createResponseSigner } from './attestation/response-signer.ts';
import { attestationRoutes } from './attestation/routes.ts';
import { gateUpstream } from './attestation/readiness.ts';
import { createAuditLog, type AuditLog } from './audit/audit-log.ts';
import { startAuditRetention } from './audit/retention.ts';
import { createAdminService, type AdminService } from './admin/service.ts';
import { adminGuard } from './admin/guard.ts';
import { adminRoutes } from './admin/routes.ts';
import { createInferenceLimits } from './limits/inference-guard.ts';
import { startPrincipalWatch, type PrincipalWatch } from './limits/principal-watch.ts';
import { LIMITS_ROUTINES } from './limits/routines.ts';
import type { RoutineSource } from './db/migrate.ts';

/** Every re-appliable SQL source, in the order the migration runner applies them after the migrations. */
export const SQL_ROUTINES: readonly RoutineSource[] = [LIMITS_ROUTINES];

export interface AppOverrides {
  readonly clock?: Clock;
  /** where log lines go (tests capture them) */
  readonly logDestination?: DestinationStream;
  /** an already-migrated database (tests share one); closing the app does not close it unless owned */
  readonly database?: Database;
  /** collect Node process metrics (off in tests that build many apps) */
  readonly processMetrics?: boolean;
  /** who opens the embedded database: the server (default) or a CLI command, which joins a running server */
  readonly databaseRole?: 'server' | 'cli';
}

/** Everything the server and the CLI share: database, clock, logger and the services. */
export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly database: Database;
  readonly sessionSecret: Uint8Array;
  readonly users: UserService;
  readonly apiKeys: ApiKeyService;
  /** completed proxy exchanges (signer and limits subscribe) */
  readonly exchanges: ExchangeEvents;
  /** the model API client (proxy and attestation) */
  readonly upstream: UpstreamClient;
  readonly ownership: Ownership;
  readonly usage: UsageRecorder;
  /** security events and admin actions */
  readonly audit: AuditLog;
  readonly admin: AdminService;
  /** the models people may use (ALLOWED_MODELS, DEFAULT_MODEL) */
  readonly models: ModelPolicy;
  /** registers a resource to release on close, in reverse order */
  onClose(fn: () => Promise<void> | void): void;
  close(): Promise<void>;
}

/** Opens the database (migrating it) and builds the services, without any HTTP. */
export async function createServices(config: Config, overrides: AppOverrides = {}): Promise<Services> {
  const logger = createLogger(config.log.level, overrides.logDestination);
  const clock = overrides.clock ?? systemClock;
  const database = overrides.database ?? await openDatabase(config, logger, { migrate: true, routines: SQL_ROUTINES, role: overrides.databaseRole ?? 'server' });
  const closers: Array<() => Promise<void> | void> = [() => database.close()];
  try {
    const sessionSecret = config.auth.sessionSecret ?? await loadOrCreateDevSecret(config.dataDir);
    const db = database.pool;
    const users = createUserService(db, clock);
    const apiKeys = createApiKeyService({ db, clock, logger, cacheTtlMs: config.auth.apiKeyCacheTtlMs, cacheMax: config.auth.apiKeyCacheMax });
    const exchanges = createExchangeEvents(logger);
    const usage = createUsageRecorder(db, clock, logger);
    exchanges.subscribe(usage.subscriber);
    closers.push(() => usage.close());
    const upstream = createUpstreamClient(config.upstream);
    closers.push(() => upstream.close());
    const ownership = createOwnership(db, clock);
    const audit = createAuditLog({ db, clock, logger, retentionDays: config.limits.auditRetentionDays });
    const admin = createAdminService({ db, clock, audit, apiKeys, tiers: Object.keys(config.limits.tiers) });
    const models = createModelPolicy({ allowed: config.models.allowed, defaultModel: config.models.default });
    let closed = false;
    return {
      config, logger, clock, database, sessionSecret, users, apiKeys, exchanges, upstream, ownership, usage, audit, admin, models,
      onClose: (fn) => { closers.push(fn); },
      async close() {
        if (closed) return;
        closed = true;
        for (const fn of closers.reverse()) {
          try {
            await fn();
          } catch (e) {
            logger.warn({ event: 'close.failed', err: { type: (e as Error).name } });
          }
        }
        logger.flush?.();
      },
    };
  } catch (e) {
    await database.close();
    throw e;
  }
}

export interface CloisterApp {
  readonly koa: Koa<AppState>;
  readonly services: Services;
  readonly metrics: Metrics;
  /** what lets live, unlimited users skip the limits round trip (null on the embedded database) */
  readonly principalWatch: PrincipalWatch | null;
  /** upstream's model list: the names usage rows may carry */
  readonly models: ModelNames;
  /** Cloister's own look upstream for the usage of background responses nobody read back */
  readonly backgroundFollowUp: BackgroundFollowUp;
  /** every route, as declared (the OpenAPI document and the tests read them) */
  routes(): readonly Route[];
  /** the Node request listener: every request through the one frame, then its route */
  callback(): RequestListener;
  close(): Promise<void>;
}

/** Sizes as people read them: `16 MB`, `10.5 MB`, `512 KB`. */
const megabytes = (bytes: number) => (bytes >= 1024 * 1024 ? `${Number((bytes / (1024 * 1024)).toFixed(1))} MB` : `${Math.floor(bytes / 1024)} KB`);

/** The 413 of a request over BODY_LIMIT_BYTES, in words a person can act on. */
export function bodyTooLargeMessage(bodyLimitBytes: number, attachmentMaxBytes: number): string {
  const attachments = attachmentMaxBytes > 0 ? `each attachment may be at most ${megabytes(attachmentMaxBytes)}` : 'attachments are not accepted';
  return `The request is too large: this server accepts at most ${megabytes(bodyLimitBytes)} per request, and ${attachments}.`;
}

/** Builds the whole application: services plus the Koa app with its middleware and routers. */
export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<CloisterApp> {
  const services = await createServices(config, overrides);
  const { logger, database, apiKeys } = services;
  try {
    // On a real server the replica listens for changes to users and keys, so live, unlimited
    // users skip the limits round trip (unless LIMITS_CHECK=always); the embedded database does
    // not pass notifications on.
    const watch = database.embedded || config.limits.check === 'always' ? null : startPrincipalWatch({ url: database.url, db: database.pool, logger });
    if (watch) {
      services.onClose(() => watch.close());
      apiKeys.onForget((userId) => watch.forget(userId));
    }
    const metrics = createMetrics(database.pool, { processMetrics: overrides.processMetrics ?? config.nodeEnv !== 'test', watchListening: watch ? () => watch.listening : undefined });
    const koa = new Koa<AppState>({ proxy: false });
    koa.silent = true; // errors are rendered and logged by the frame

    const requestIdFor = requestIds();
    const signIn = createSignIn({
      config, db: database.pool, clock: services.clock, logger, apiKeys, sessionSecret: services.sessionSecret,
      deleteUserObjects: upstreamObjectDeleter({ db: database.pool, upstream: services.upstream, logger, requestId: () => requestIdFor('') }),
      audit: services.audit, models: services.models,
    });
    // A request is authenticated by its bearer key, else by its session cookie.
    const authenticators: readonly Authenticator[] = [bearerAuthenticator((key) => apiKeys.authenticate(key)), signIn.authenticator];

    const retention = startAuditRetention(services.audit, logger, services.clock);
    services.onClose(() => retention.stop());

    // Attestation belongs to the server, not the CLI (a CLI simulator would take the server's socket).
    const attestation = await createAttestation({ config, logger, clock: services.clock, upstream: services.upstream });
    services.onClose(() => attestation.close());
    if (attestation.keys) {
      services.exchanges.subscribe(createResponseSigner({ db: database.pool, clock: services.clock, ttlMs: config.attestation.signatureTtlMs, logger }), { hashes: true });
    }

    const checksBy = { database: metrics.limitChecks.labels('database'), watch: metrics.limitChecks.labels('watch') };
    const inferenceLimits = createInferenceLimits({
      db: database.pool, clock: services.clock, logger, limits: config.limits, prepared: !database.embedded,
      watch, onCheck: (by) => checksBy[by].inc(),
    });
    services.onClose(() => inferenceLimits.close());
    // The server's, not the CLI's: only the server names models in usage rows.
    const models = createModelNames({
      upstream: services.upstream, logger, clock: services.clock, refreshMs: config.usage.modelListRefreshMs,
      allowed: [...config.usage.allowedModelNames, ...config.models.allowed ?? []], expected: config.models.allowed,
    });
    services.onClose(() => models.close());
    const backgroundFollowUp = startBackgroundFollowUp({ upstream: services.upstream, limits: inferenceLimits, logger, clock: services.clock, intervalMs: config.limits.backgroundCheckMs });
    services.onClose(() => backgroundFollowUp.close());
    // Titles are content: sealed under a key of their own, bound to owner and conversation.
    const conversationMetadata = createConversationMetadata({
      db: database.pool, clock: services.clock, logger, sealing: sealingKeyFor(services.sessionSecret, 'conversation-metadata'),
    });
    const proxyDeps = {
      // While attestation that is required does not work, the model API is unreachable: 503 attestation_unavailable.
      upstream: gateUpstream(services.upstream, attestation.readiness), ownership: services.ownership, events: services.exchanges, logger, clock: services.clock,
      heartbeatMs: config.upstream.heartbeatMs, idempotencyKeys: idempotencyKeys(services.sessionSecret),
      chargeResponse: inferenceLimits.chargeResponse,
    };

    // Every route, declared once (src/http/route.ts); the OpenAPI document is made from them.
    const routes: Route[] = [
      ...opsRoutes({ pool: database.pool, metrics, metricsToken: config.metrics.token, readiness: [{ name: 'attestation', report: () => attestation.readiness.report() }] }),
      ...docsRoutes({ document: () => buildOpenApiDocument(routes, config.server.publicUrl.origin, readBuildInfo(appRoot()).version) }),
      ...signIn.routes,
      ...accountRoutes({ db: database.pool, account: signIn.account, apiKeys, sessions: signIn.sessions, passkeys: signIn.passkeys, cookie: signIn.cookie, audit: services.audit }),
      ...ownListingsRoutes({ db: database.pool, clock: services.clock, flushUsage: () => services.usage.flush(), metadata: conversationMetadata }),
      ...conversationProxyRoutes({ ...proxyDeps, metadata: conversationMetadata }),
      ...inferenceRoutes({ ...proxyDeps, limits: inferenceLimits, models, policy: services.models, reserveOutputTokens: config.limits.reserveOutputTokens }),
      ...modelRoutes({ ...proxyDeps, policy: services.models, models }),
      ...proxyRoutes(proxyDeps),
      ...clientConfigRoutes({ defaultModel: services.models.defaultModel, attachmentMaxBytes: config.attachments.maxBytes }),
      ...adminRoutes({ db: database.pool, clock: services.clock, admin: services.admin, audit: services.audit, flushUsage: () => services.usage.flush() }),
      ...attestationRoutes({ attestation, db: database.pool, clock: services.clock, freshQuotesPerMinute: config.attestation.freshQuotesPerMinute, signaturesPerMinute: config.attestation.signaturesPerMinute }),
    ];
    // The inference routes' limits check confirms the key is unrevoked and its owner enabled in
    // its single round trip, so there a cached key skips the separate liveness lookup.
    const deferLiveness = { deferLiveness: true } as const;
    const hotAuthenticators: Authenticator[] = [bearerAuthenticator((key) => apiKeys.authenticate(key, deferLiveness)), signIn.authenticator];
    const mounted = mountRoutes(routes, {
      user: requireUser(authenticators),
      hotUser: async (ex) => { ex.principal = await authenticate(hotAuthenticators, ex); },
      admin: adminGuard({ authenticators, db: database.pool }),
    }, {
      bodyLimitBytes: config.server.bodyLimitBytes,
      bodyTooLarge: bodyTooLargeMessage(config.server.bodyLimitBytes, config.attachments.maxBytes),
      allowed: {
        throw: true,
        methodNotAllowed: () => new AppError('method_not_allowed', 'Method not allowed for this URL.'),
        notImplemented: () => new AppError('method_not_allowed', 'Method not allowed for this URL.'),
      },
    });

    // The one frame every request passes (src/http/frame.ts); behind it Koa finds what is not hot.
    const frame = createFrame({
      requestIdFor,
      securityHeaders: apiSecurityHeaders({ https: config.server.publicUrl.protocol === 'https:' }),
      corsHeaders: corsHeaders(new Set([config.server.publicUrl.origin, ...config.server.allowedOrigins])),
      trustedProxies: config.server.trustedProxies,
      loopbackRedirectTo: config.nodeEnv === 'production' ? null : config.server.publicUrl,
      csrf: signIn.csrfCheck,
      log: requestLog(logger, metrics),
      logger,
    });
    koa.use(frame.fromFrame);
    for (const m of mounted.middleware) koa.use(m);
    // Last: the web app answers only its own pages and files.
    const web = createStaticWeb({ root: defaultWebRoot(), logger, buildIfMissing: config.nodeEnv === 'development' });
    services.onClose(() => web.close());
    koa.use(web.middleware);
    const listener = frame.listener({ hot: mounted.hot, rest: koa.callback() });

    return {
      koa,
      services,
      metrics,
      principalWatch: watch,
      models,
      backgroundFollowUp,
      routes: () => routes,
      callback: () => listener,
      close: () => services.close(),
    };
  } catch (e) {
    await services.close();
    throw e;
  }
}
