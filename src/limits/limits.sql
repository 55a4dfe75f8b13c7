-- The limits' code in Postgres: every function the inference limits, the GCRA buckets and the
-- principal watch run. Applied by the migration runner (src/db/migrate.ts) after the migrations
-- on every start and every `cloister migrate up`, in one transaction, so this file — not the
-- history of migrations — is the current definition. Every statement must be re-appliable:
-- `create or replace`, and `drop function if exists` for a signature this file no longer defines
-- (create or replace cannot change a function's arguments or result type). Tables, columns and
-- indexes stay in migrations/.

-- A limit from an override object (key present: its value, null = unlimited) or else the tier.
create or replace function cloister_limit_pick(overrides jsonb, tier jsonb, name text) returns bigint
language sql immutable as $$
  select case when overrides ? name then (overrides ->> name)::bigint else (tier ->> name)::bigint end
$$;

-- One GCRA bucket allowing `p_limit` per `p_period` ms (up to `p_limit` in a burst), read
-- without taking: would one more unit fit, and what the x-ratelimit-* headers say either way.
-- next_tat is the bucket's state once that unit is taken. A missing row is an empty bucket.
create or replace function cloister_gcra_peek(p_bucket text, p_now double precision, p_limit bigint, p_period double precision)
returns table (fits boolean, next_tat double precision, remaining bigint, reset_ms double precision, retry_ms double precision)
language sql stable as $$
  select s.fits, s.next_tat,
    case when s.fits then floor((p_period - (s.next_tat - p_now)) / (p_period / p_limit) + 0.000001)::bigint else 0::bigint end,
    case when s.fits then s.next_tat - p_now else s.cur - p_now end,
    case when s.fits then 0::double precision else s.next_tat - p_now - p_period end
  from (
    select c.cur, c.cur + p_period / p_limit as next_tat, c.cur + p_period / p_limit - p_now <= p_period + 0.001 as fits
    from (select greatest(coalesce((select b.tat from rate_limit_buckets b where b.bucket = p_bucket), 0), p_now) as cur) c
  ) s
$$;

-- One GCRA step for a bucket (auth and attestation routes): takes one unit when it fits.
create or replace function cloister_gcra_take(p_bucket text, p_now double precision, p_limit bigint, p_period double precision)
returns table (allowed boolean, remaining bigint, reset_ms double precision, retry_ms double precision)
language plpgsql as $$
declare
  g record;
begin
  insert into rate_limit_buckets (bucket, tat) values (p_bucket, 0) on conflict (bucket) do nothing;
  perform 1 from rate_limit_buckets b where b.bucket = p_bucket for update;
  select * into g from cloister_gcra_peek(p_bucket, p_now, p_limit, p_period);
  if g.fits then
    update rate_limit_buckets set tat = g.next_tat where bucket = p_bucket;
  end if;
  return query select g.fits, g.remaining, g.reset_ms, g.retry_ms;
end $$;

-- Signatures this file no longer defines (migration 0005 created them; their arguments changed
-- when reservations came, so create or replace could not replace them).
drop function if exists cloister_limit_acquire(uuid, uuid, double precision, jsonb, uuid, double precision, bigint, date, date);
drop function if exists cloister_limit_settle(uuid, uuid, double precision, uuid, bigint, bigint, bigint, boolean, date, text, bigint, bigint, bigint);

-- The whole pre-check of an inference request, under a per-user advisory lock so concurrent
-- checks on any replica are serialised: account state, budgets, concurrency, requests per
-- minute (user and key) and tokens per minute (user and key). All or nothing: state changes
-- (request buckets, the lease, the reservation) only when every limit allows the request.
-- The request's admission (a row in `admissions`, id `p_lease`) is its concurrency slot and its
-- reservation: `p_reserve`, the most the request may cost (its input estimate plus its output
-- cap, or the configured default), counts as spent against the budgets and, up to a minute's
-- allowance, against the token buckets until the exchange settles, so requests admitted in
-- parallel see each other. A budget admits while anything is
-- left, so parallel requests overshoot it by at most one reservation. The token buckets
-- themselves are only read here and charged what was used at settlement: a check holding the
-- user's lock never waits for a settlement's write to a bucket.
create or replace function cloister_limit_acquire(
  p_user uuid, p_key uuid, p_now double precision, p_tiers jsonb,
  p_lease uuid, p_lease_expires double precision, p_reserve bigint, p_model text, p_day date, p_month date)
returns table (
  verdict text, retry_ms double precision, metered boolean,
  user_tpm bigint, key_tpm bigint, lease_taken boolean, reserved boolean,
  rpm bigint, requests_remaining bigint, requests_reset_ms double precision,
  tpm bigint, tokens_remaining bigint, tokens_reset_ms double precision)
language plpgsql as $$
declare
  period constant double precision := 60000;
  u record;
  t jsonb;
  kl jsonb := '{}';
  k_live boolean;
  l_rpm bigint; l_tpm bigint; l_conc bigint; l_day bigint; l_month bigint;
  k_rpm bigint; k_tpm bigint; k_conc bigint;
  used_day bigint; used_month bigint;
  n_user bigint := 0; n_key bigint := 0;
  held bigint := 0; held_user double precision := 0; held_key double precision := 0;
  b record;
  cur double precision; nxt double precision; rem bigint;
  avail double precision; need double precision;
  out_rpm bigint; out_rem bigint; out_reset double precision;
  out_tpm bigint; out_trem bigint; out_treset double precision;
  reserving boolean;
  admitting boolean;
begin
  select x.disabled_at, x.tier, x.limit_overrides into u from users x where x.id = p_user;
  if not found or u.disabled_at is not null then
    return query select 'disabled'::text, 0::double precision, false, null::bigint, null::bigint, false, false,
      null::bigint, null::bigint, null::double precision, null::bigint, null::bigint, null::double precision;
    return;
  end if;
  t := coalesce(p_tiers -> u.tier, p_tiers -> 'default', '{}'::jsonb);
  l_rpm := cloister_limit_pick(u.limit_overrides, t, 'rpm');
  l_tpm := cloister_limit_pick(u.limit_overrides, t, 'tpm');
  l_conc := cloister_limit_pick(u.limit_overrides, t, 'concurrency');
  l_day := cloister_limit_pick(u.limit_overrides, t, 'daily_tokens');
  l_month := cloister_limit_pick(u.limit_overrides, t, 'monthly_tokens');
  if p_key is not null then
    -- The key is checked here too: on inference routes a replica's cached key skips its own
    -- liveness lookup, so a revoked key stops on every replica within this same round trip.
    select k.limits, k.revoked_at is null and k.user_id = p_user into kl, k_live from api_keys k where k.id = p_key;
    if not coalesce(k_live, false) then
      return query select 'disabled'::text, 0::double precision, false, null::bigint, null::bigint, false, false,
        null::bigint, null::bigint, null::double precision, null::bigint, null::bigint, null::double precision;
      return;
    end if;
    kl := coalesce(kl, '{}'::jsonb);
  end if;
  k_rpm := (kl ->> 'rpm')::bigint;
  k_tpm := (kl ->> 'tpm')::bigint;
  k_conc := (kl ->> 'concurrency')::bigint;

  if coalesce(l_rpm, l_tpm, l_conc, l_day, l_month, k_rpm, k_tpm, k_conc) is null then
    return query select 'ok'::text, 0::double precision, false, null::bigint, null::bigint, false, false,
      null::bigint, null::bigint, null::double precision, null::bigint, null::bigint, null::double precision;
    return;
  end if;
  reserving := coalesce(l_tpm, k_tpm, l_day, l_month) is not null;

  -- Limit state may lose its last fraction of a second if Postgres itself crashes (a few more
  -- requests let through, usage undercounted by as much); in exchange the commit does not wait
  -- for a WAL flush, and the per-user lock below is held for microseconds instead of a disk sync.
  perform set_config('synchronous_commit', 'off', true);
  perform pg_advisory_xact_lock(hashtextextended('cloister.limits:' || p_user::text, 0));

  -- The user's admissions, in one scan: requests in flight (unexpired: a dead replica's stop
  -- counting) take concurrency slots, for the user and for this key; everything reserved —
  -- requests in flight and background responses not yet charged — counts against the budgets;
  -- what the requests in flight reserved (each up to a minute's allowance) counts against the
  -- token buckets.
  if reserving or l_conc is not null or k_conc is not null then
    select count(*) filter (where a.expires_at > p_now and not a.waiting),
           count(*) filter (where a.expires_at > p_now and not a.waiting and a.api_key_id = p_key),
           coalesce(sum(a.tokens), 0),
           coalesce(sum(least(a.tokens, l_tpm)) filter (where not a.waiting), 0),
           coalesce(sum(least(a.tokens, k_tpm)) filter (where not a.waiting and a.api_key_id = p_key), 0)
      into n_user, n_key, held, held_user, held_key
      from admissions a where a.user_id = p_user;
  end if;

  if l_day is not null or l_month is not null then
    select coalesce(sum(d.input_tokens + d.output_tokens + d.estimated_tokens) filter (where d.day >= p_day), 0),
           coalesce(sum(d.input_tokens + d.output_tokens + d.estimated_tokens), 0)
      into used_day, used_month
      from usage_daily d where d.user_id = p_user and d.day >= p_month;
    if l_day is not null and used_day >= l_day then
      return query select 'daily_budget'::text, 0::double precision, true, l_tpm, k_tpm, false, false,
        null::bigint, null::bigint, null::double precision, null::bigint, null::bigint, null::double precision;
      return;
    end if;
    if l_month is not null and used_month >= l_month then
      return query select 'monthly_budget'::text, 0::double precision, true, l_tpm, k_tpm, false, false,
        null::bigint, null::bigint, null::double precision, null::bigint, null::bigint, null::double precision;
      return;
    end if;
    -- Reserved counts as spent: nothing left once it is charged means nothing left now.
    if (l_day is not null and used_day + held >= l_day) or (l_month is not null and used_month + held >= l_month) then
      return query select 'budget_reserved'::text, 1000::double precision, true, l_tpm, k_tpm, false, false,
        null::bigint, null::bigint, null::double precision, null::bigint, null::bigint, null::double precision;
      return;
    end if;
  end if;

  if (l_conc is not null and n_user >= l_conc) or (k_conc is not null and n_key >= k_conc) then
    return query select 'concurrency'::text, 1000::double precision, true, l_tpm, k_tpm, false, false,
      null::bigint, null::bigint, null::double precision, null::bigint, null::bigint, null::double precision;
    return;
  end if;

  -- Requests per minute, then tokens per minute, each for the user and for the key: every
  -- limit in force must fit; the tightest of each kind goes in the headers.
  -- The arithmetic of cloister_gcra_peek, written inline: these statements run while the user's
  -- lock is held, and every function call there adds to the time the next request waits.
  -- A token bucket must hold this request's reservation beside those of the requests in flight
  -- (each capped at the whole allowance, or a large request could never pass).
  for b in select * from (values ('inference:requests:user:' || p_user, l_rpm), ('inference:requests:key:' || p_key, k_rpm)) v(bucket, lim) where v.lim is not null loop
    select greatest(coalesce(max(x.tat), 0), p_now) into cur from rate_limit_buckets x where x.bucket = b.bucket;
    nxt := cur + period / b.lim;
    if nxt - p_now > period + 0.001 then
      return query select 'requests'::text, nxt - p_now - period, true, l_tpm, k_tpm, false, false,
        b.lim, 0::bigint, cur - p_now, null::bigint, null::bigint, null::double precision;
      return;
    end if;
    rem := floor((period - (nxt - p_now)) / (period / b.lim) + 0.000001)::bigint;
    if out_rpm is null or rem < out_rem then
      out_rpm := b.lim; out_rem := rem; out_reset := nxt - p_now;
    end if;
  end loop;
  for b in select * from (values ('inference:tokens:user:' || p_user, l_tpm, held_user), ('inference:tokens:key:' || p_key, k_tpm, held_key)) v(bucket, lim, held)
            where v.lim is not null loop
    select greatest(coalesce(max(x.tat), 0), p_now) into cur from rate_limit_buckets x where x.bucket = b.bucket;
    avail := (period - (cur - p_now)) * b.lim / period - b.held;
    need := greatest(1, least(p_reserve, b.lim));
    if avail < need then
      return query select 'tokens'::text, (need - avail) * period / b.lim, true, l_tpm, k_tpm, false, false,
        out_rpm, out_rem, out_reset, b.lim, greatest(0, floor(avail))::bigint, cur - p_now + b.held * period / b.lim;
      return;
    end if;
    if out_tpm is null or floor(avail - need) < out_trem then
      out_tpm := b.lim; out_trem := floor(avail - need)::bigint; out_treset := cur - p_now + (b.held + need) * period / b.lim;
    end if;
  end loop;

  -- Every limit allows it: take the request and admit it. (Read and written under the user's
  -- lock, which every check holds.)
  insert into rate_limit_buckets (bucket, tat)
    select v.bucket, greatest(coalesce(x.tat, 0), p_now) + period / v.lim
      from (values ('inference:requests:user:' || p_user, l_rpm), ('inference:requests:key:' || p_key, k_rpm)) v(bucket, lim)
      left join rate_limit_buckets x on x.bucket = v.bucket
     where v.lim is not null
    on conflict (bucket) do update set tat = excluded.tat;
  admitting := (reserving or l_conc is not null or k_conc is not null) and p_lease is not null;
  if admitting then
    insert into admissions (id, user_id, api_key_id, expires_at, tokens, user_tpm, key_tpm, model)
      values (p_lease, p_user, p_key, p_lease_expires, case when reserving then p_reserve else 0 end, l_tpm, k_tpm, p_model);
  end if;
  return query select 'ok'::text, 0::double precision,
    (l_tpm is not null or k_tpm is not null or l_conc is not null or k_conc is not null or l_day is not null or l_month is not null),
    l_tpm, k_tpm, admitting, admitting and reserving,
    out_rpm, out_rem, out_reset, out_tpm, out_trem, out_treset;
end $$;

-- Charges what an exchange cost to the user's (and key's) token buckets, under the limits in force
-- when it was admitted: they may go into debt (the next requests wait until it is paid off).
create or replace function cloister_charge_token_buckets(
  p_user uuid, p_key uuid, p_user_tpm bigint, p_key_tpm bigint, p_tokens bigint, p_now double precision)
returns void language plpgsql as $$
declare
  period constant double precision := 60000;
begin
  if p_tokens > 0 and p_user_tpm is not null then
    insert into rate_limit_buckets as b (bucket, tat) values ('inference:tokens:user:' || p_user, p_now + p_tokens * period / p_user_tpm)
      on conflict (bucket) do update set tat = greatest(b.tat, p_now) + p_tokens * period / p_user_tpm;
  end if;
  if p_tokens > 0 and p_key_tpm is not null and p_key is not null then
    insert into rate_limit_buckets as b (bucket, tat) values ('inference:tokens:key:' || p_key, p_now + p_tokens * period / p_key_tpm)
      on conflict (bucket) do update set tat = greatest(b.tat, p_now) + p_tokens * period / p_key_tpm;
  end if;
end $$;

-- Adds one exchange to a user's usage counters (per UTC day and model). `p_estimated` > 0: upstream
-- reported no usable usage and the exchange is charged that many tokens by estimate.
create or replace function cloister_record_usage(
  p_user uuid, p_day date, p_model text, p_input bigint, p_output bigint, p_estimated bigint)
returns void language sql as $$
  insert into usage_daily as d (user_id, day, model, requests, input_tokens, output_tokens, requests_without_usage, estimated_tokens)
    values (p_user, p_day, p_model, 1, p_input, p_output, case when p_estimated > 0 then 1 else 0 end, p_estimated)
    on conflict (user_id, day, model) do update set
      requests = d.requests + 1,
      input_tokens = d.input_tokens + excluded.input_tokens,
      output_tokens = d.output_tokens + excluded.output_tokens,
      requests_without_usage = d.requests_without_usage + excluded.requests_without_usage,
      estimated_tokens = d.estimated_tokens + excluded.estimated_tokens;
$$;

-- After a metered exchange (or a request that ended without one): settle its admission and
-- record its usage, in one round trip. With a reservation (`p_reserved`), the usage is charged
-- only by whoever removes the admission row: when a GET or a resumed stream of a background
-- response already charged it, nothing is charged twice. `p_keep`: a background response whose
-- usage is not known yet — the admission gives up its concurrency slot and waits, linked to the
-- response, until `p_keep_expires`; nothing is recorded now.
create or replace function cloister_limit_settle(
  p_user uuid, p_key uuid, p_now double precision, p_lease uuid, p_reserved boolean, p_tokens bigint,
  p_keep boolean, p_keep_expires double precision,
  p_record boolean, p_day date, p_model text, p_input bigint, p_output bigint, p_estimated bigint)
returns void language plpgsql as $$
declare
  r record;
begin
  perform set_config('synchronous_commit', 'off', true); -- as in cloister_limit_acquire
  if p_lease is not null then
    if p_keep then
      update admissions set waiting = true, expires_at = p_keep_expires, check_at = p_now
       where id = p_lease and response_id is not null;
      if found then
        return;
      end if;
    end if;
    delete from admissions where id = p_lease returning user_tpm, key_tpm into r;
    if p_reserved then
      if not found then
        return; -- charged already, by whoever first saw its response's usage
      end if;
      perform cloister_charge_token_buckets(p_user, p_key, r.user_tpm, r.key_tpm, p_tokens, p_now);
    end if;
  end if;
  if p_record then
    perform cloister_record_usage(p_user, p_day, p_model, p_input, p_output, p_estimated);
  end if;
end $$;

-- A background response got its id: the request's admission (or, for a user nothing limits, a
-- new row reserving `p_tokens`, already `p_waiting`) waits for that response's usage. A promise
-- the proxy keeps before the id reaches the client, so no GET can see the response before this
-- row names it. From `p_check_at` Cloister's follow-up may ask upstream about it (charging while
-- the request still runs is safe: its own settlement then finds the row gone and charges nothing).
create or replace function cloister_await_response(
  p_id uuid, p_user uuid, p_key uuid, p_response text, p_tokens bigint, p_model text,
  p_expires double precision, p_check_at double precision, p_waiting boolean)
returns void language sql as $$
  insert into admissions (id, user_id, api_key_id, tokens, model, expires_at, response_id, check_at, waiting)
    values (p_id, p_user, p_key, p_tokens, p_model, p_expires, p_response, p_check_at, p_waiting)
    on conflict (id) do update set response_id = excluded.response_id, check_at = excluded.check_at;
$$;

-- The usage of a background response, first seen (a GET, a resumed stream, a cancel, Cloister's
-- own follow-up): charged once, by whoever removes its admission row; true when this call did.
-- `p_known` false: upstream showed the response finished without usable usage, and it is charged
-- its reservation by estimate (unknown usage is never free).
create or replace function cloister_charge_response(
  p_user uuid, p_response text, p_now double precision, p_day date, p_known boolean, p_input bigint, p_output bigint)
returns boolean language plpgsql as $$
declare
  r record;
begin
  perform set_config('synchronous_commit', 'off', true); -- as in cloister_limit_acquire
  delete from admissions where response_id = p_response and user_id = p_user
    returning user_id, api_key_id, tokens, user_tpm, key_tpm, coalesce(model, 'other') as model into r;
  if not found then
    return false;
  end if;
  perform cloister_charge_token_buckets(r.user_id, r.api_key_id, r.user_tpm, r.key_tpm,
    case when p_known then p_input + p_output else r.tokens end, p_now);
  if p_known then
    perform cloister_record_usage(r.user_id, p_day, r.model, p_input, p_output, 0);
  else
    perform cloister_record_usage(r.user_id, p_day, r.model, 0, 0, r.tokens);
  end if;
  return true;
end $$;

-- Admissions past their expiry are removed: a replica died during the request (its concurrency
-- slot stopped counting at the expiry), or a background response never showed its usage in time.
-- What they reserved is charged by estimate. Rows a running check or charge holds are skipped
-- (the next sweep takes them). Returns how many were charged.
create or replace function cloister_expire_admissions(p_now double precision, p_day date)
returns integer language plpgsql as $$
declare
  r record;
  n integer := 0;
begin
  for r in delete from admissions where id in
             (select id from admissions where expires_at <= p_now for update skip locked)
           returning user_id, tokens, coalesce(model, 'other') as model loop
    if r.tokens > 0 then
      perform cloister_record_usage(r.user_id, p_day, r.model, 0, 0, r.tokens);
      n := n + 1;
    end if;
  end loop;
  return n;
end $$;

-- Announces every committed change that can alter what the inference limits check answers for a
-- user (the triggers of migration 0006 call it) on `cloister_principals`, with the user's id; the
-- replicas' principal watch (src/limits/principal-watch.ts) forgets that user. Ids only.
create or replace function cloister_announce_principal_change() returns trigger language plpgsql as $$
begin
  if tg_table_name = 'users' then
    perform pg_notify('cloister_principals', old.id::text);
  else
    perform pg_notify('cloister_principals', old.user_id::text);
    if tg_op = 'UPDATE' and new.user_id is distinct from old.user_id then
      perform pg_notify('cloister_principals', new.user_id::text);
    end if;
  end if;
  return null;
end $$;
