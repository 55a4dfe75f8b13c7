-- Up Migration
-- Accounts and API keys. No content is ever stored: keys only as argon2id hashes.
create table users (
  id uuid primary key,
  email text not null,
  email_verified boolean not null default false,
  display_name text,
  is_admin boolean not null default false,
  disabled_at timestamptz,
  created_at timestamptz not null,
  last_active_at timestamptz
);
create unique index users_email_key on users (lower(email));

create table api_keys (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  prefix text not null,
  hash text not null,
  name text,
  created_at timestamptz not null,
  last_used_at timestamptz,
  revoked_at timestamptz
);
create unique index api_keys_prefix_key on api_keys (prefix);
create index api_keys_user_idx on api_keys (user_id, created_at desc);

-- Down Migration
drop table api_keys;
drop table users;
