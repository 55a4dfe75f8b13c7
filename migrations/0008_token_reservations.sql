-- Up Migration
-- Tokens reserved for admitted inference requests until their usage is charged (the functions
-- are in src/limits/limits.sql; docs/limits.md, "Reservations"). A row is written by the limits
-- check of a request whose user or key has a token budget or a tokens-per-minute limit, and
-- removed when the exchange settles; until then its tokens count against the budgets as if
-- spent. A background response's row waits, linked to the response, until its usage is first
-- seen (GET, a resumed stream, or Cloister's own follow-up); a row whose replica died or whose
-- response never showed usage expires and is charged as estimated. Ids and counts only.
create table token_reservations (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  api_key_id uuid,
  -- reserved against the budgets (and, up to a minute's allowance, taken from the token buckets)
  tokens bigint not null,
  -- the tokens-per-minute limits in force at admission: the buckets a later charge corrects
  user_tpm bigint,
  key_tpm bigint,
  -- as usage rows name it (listed by upstream, else 'other')
  model text not null,
  -- ms since the epoch: renewed while the request runs; for a background response, the end of its wait
  expires_at double precision not null,
  -- the background response whose usage this reservation waits for
  response_id text unique,
  -- ms since the epoch: when Cloister's follow-up may next ask upstream about that response
  check_at double precision
);
create index token_reservations_user_idx on token_reservations (user_id);

-- Down Migration
drop table token_reservations;
