// Who made a request: what authentication finds and every capability reads. Shared by all
// modules, so it lives below them (identity makes principals; limits, proxy and admin use them).

/** Who made a request. */
export interface Principal {
  readonly userId: string;
  readonly via: 'api_key' | 'session';
  readonly keyId?: string;
  readonly sessionId?: string;
}
