-- Up Migration
-- Every change that can alter what the inference limits check answers for a user — the user
-- disabled, deleted, moved to another tier or given other overrides; one of their keys revoked,
-- deleted, moved or re-capped — is announced on the channel `cloister_principals` with the
-- user's id, when it commits. Replicas listen there and forget what they knew of that user
-- (src/limits/principal-watch.ts). Triggers rather than application code, so a change made by
-- the CLI, the admin API, a hand-written SQL statement or a cascade is announced all the same.
-- Ids only: never anything else of the row.
create function cloister_announce_principal_change() returns trigger language plpgsql as $$
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

create trigger users_announce_change
  after update of disabled_at, tier, limit_overrides or delete on users
  for each row execute function cloister_announce_principal_change();
create trigger api_keys_announce_change
  after update of revoked_at, limits, user_id or delete on api_keys
  for each row execute function cloister_announce_principal_change();

-- Down Migration
drop trigger api_keys_announce_change on api_keys;
drop trigger users_announce_change on users;
drop function cloister_announce_principal_change();
