-- Up Migration
-- Concurrency leases become admissions: one row per admitted inference request of a user with any
-- concurrency, token or budget limit, held until the request settles — its concurrency slot and
-- the tokens it reserves (the most it may cost) against the budgets and tokens per minute; and,
-- after a background response's request, the wait for that response's usage (`waiting`), charged
-- once when first seen (GET, a resumed stream, Cloister's own follow-up). One row, so a check
-- counts slots and sums reservations in one scan, and a request writes and removes one row. The
-- functions are in src/limits/limits.sql (docs/limits.md, "Reservations"). Ids and counts only.
alter table concurrency_leases rename to admissions;
alter table admissions rename constraint concurrency_leases_pkey to admissions_pkey;
alter table admissions rename constraint concurrency_leases_user_id_fkey to admissions_user_id_fkey;
alter index concurrency_leases_user_idx rename to admissions_user_idx;
alter table admissions
  -- reserved against the budgets and, up to a minute's allowance, against the token buckets
  add column tokens bigint not null default 0,
  -- the tokens-per-minute limits in force at admission, under which the usage is charged
  add column user_tpm bigint,
  add column key_tpm bigint,
  -- as usage rows name it (listed by upstream, else 'other')
  add column model text,
  -- the request is over and this row waits for its background response's usage (no concurrency slot)
  add column waiting boolean not null default false,
  -- the background response whose usage this admission waits for
  add column response_id text,
  -- ms since the epoch: when Cloister's follow-up may next ask upstream about that response
  add column check_at double precision;
-- Most rows are requests in flight without a response: only the others are indexed.
create unique index admissions_response_key on admissions (response_id) where response_id is not null;

-- Down Migration
drop index admissions_response_key;
delete from admissions where waiting;
alter table admissions
  drop column check_at,
  drop column response_id,
  drop column waiting,
  drop column model,
  drop column key_tpm,
  drop column user_tpm,
  drop column tokens;
alter index admissions_user_idx rename to concurrency_leases_user_idx;
alter table admissions rename constraint admissions_user_id_fkey to concurrency_leases_user_id_fkey;
alter table admissions rename constraint admissions_pkey to concurrency_leases_pkey;
alter table admissions rename to concurrency_leases;
