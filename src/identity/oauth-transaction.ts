// The OAuth transaction (state, nonce, PKCE verifier, return_to) between the redirect to the
// provider and its callback: sealed (AES-256-GCM) in a short-lived HttpOnly cookie, plus a
// one-use row keyed by `state` so a replayed callback finds nothing. Ten minutes at most.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import type { AppContext } from '../http/context.ts';
import type { SealingKey } from '../shared/sealing.ts';
import { readCookie } from '../http/cookies.ts';
import { insertChallenge, consumeChallenge } from './challenge-queries.ts';

const TTL_MS = 10 * 60_000;

export interface OAuthTransaction {
  readonly provider: string;
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly returnTo: string;
  /** ms since epoch */
  readonly expiresAt: number;
}

export interface OAuthTransactions {
  begin(ctx: AppContext, tx: Omit<OAuthTransaction, 'expiresAt'>): Promise<void>;
  /** the transaction for this callback, consumed; throws when missing, expired, replayed or for another provider */
  finish(ctx: AppContext, provider: string): Promise<OAuthTransaction>;
}

function failed(): AppError {
  return new AppError('invalid_request', 'This sign-in attempt is invalid or has expired; start again.');
}

/** Builds the transaction store. */
export function createOAuthTransactions(deps: { db: Queryable; clock: Clock; sealing: SealingKey; secure: boolean }): OAuthTransactions {
  const name = deps.secure ? '__Host-cloister_oauth' : 'cloister_oauth';
  const attrs = `Path=/; HttpOnly; SameSite=Lax${deps.secure ? '; Secure' : ''}`;
  return {
    async begin(ctx, tx) {
      const expiresAt = deps.clock.now().getTime() + TTL_MS;
      const sealed = deps.sealing.seal(Buffer.from(JSON.stringify({ ...tx, expiresAt })), 'oauth-transaction');
      await insertChallenge(deps.db, {
        id: randomUUID(), purpose: `oauth_${tx.provider}`, challenge: tx.state, userId: null, pendingHandle: null,
        pendingDisplayName: null, expiresAt: new Date(expiresAt),
      });
      ctx.append('set-cookie', `${name}=${sealed.toString('base64url')}; Max-Age=${TTL_MS / 1000}; ${attrs}`);
    },
    async finish(ctx, provider) {
      const raw = readCookie(ctx, name);
      ctx.append('set-cookie', `${name}=; Max-Age=0; ${attrs}`);
      if (!raw) throw failed();
      let tx: OAuthTransaction;
      try {
        tx = JSON.parse(deps.sealing.open(Buffer.from(raw, 'base64url'), 'oauth-transaction').toString('utf8')) as OAuthTransaction;
      } catch {
        throw failed();
      }
      if (tx.provider !== provider || tx.expiresAt <= deps.clock.now().getTime()) throw failed();
      // One use: the row is deleted here, so the same callback cannot be replayed.
      if (!(await consumeChallenge(deps.db, tx.state, `oauth_${provider}`, deps.clock.now()))) throw failed();
      return tx;
    },
  };
}
