-- Up Migration
-- Sign-in and sessions. Tokens only as SHA-256, challenges one-use with expiry, provider
-- tokens never stored, settings only sealed (AES-256-GCM), passwords only as argon2id.

-- Passkey-first accounts have no email until one is linked.
alter table users alter column email drop not null;

create table sessions (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  token_hash bytea not null,
  created_at timestamptz not null,
  last_seen_at timestamptz not null,
  expires_at timestamptz not null,
  revoked_at timestamptz,
  -- how the session was opened: google, github, passkey, password
  method text not null
);
create unique index sessions_token_hash_key on sessions (token_hash);
create index sessions_user_idx on sessions (user_id, created_at desc) where revoked_at is null;

create table user_identities (
  provider text not null,
  subject text not null,
  user_id uuid not null references users (id) on delete cascade,
  created_at timestamptz not null,
  primary key (provider, subject)
);
create index user_identities_user_idx on user_identities (user_id);

create table passkeys (
  id text primary key,
  user_id uuid not null references users (id) on delete cascade,
  public_key bytea not null,
  counter bigint not null,
  transports text[] not null default '{}',
  device_type text not null,
  backed_up boolean not null,
  name text,
  created_at timestamptz not null,
  last_used_at timestamptz
);
create index passkeys_user_idx on passkeys (user_id, created_at);

-- The WebAuthn user handle is random per account, never the user id.
create table webauthn_users (
  user_id uuid primary key references users (id) on delete cascade,
  handle text not null unique
);

-- One-use WebAuthn challenges (and OAuth transactions when stored server-side).
create table auth_challenges (
  id uuid primary key,
  purpose text not null,
  challenge text not null unique,
  user_id uuid references users (id) on delete cascade,
  -- random handle for a passkey-first sign-up before the user row exists
  pending_handle text,
  pending_display_name text,
  expires_at timestamptz not null
);
create index auth_challenges_expiry_idx on auth_challenges (expires_at);

create table user_passwords (
  user_id uuid primary key references users (id) on delete cascade,
  hash text not null,
  updated_at timestamptz not null
);

create table user_settings (
  user_id uuid primary key references users (id) on delete cascade,
  sealed bytea not null,
  updated_at timestamptz not null
);

-- Fixed-window counters for the per-IP limit on /v1/auth/* (and per-account password tries).
create table auth_rate_counters (
  bucket text not null,
  window_start timestamptz not null,
  hits integer not null,
  primary key (bucket, window_start)
);

-- Down Migration
drop table auth_rate_counters;
drop table user_settings;
drop table user_passwords;
drop table auth_challenges;
drop table webauthn_users;
drop table passkeys;
drop table user_identities;
drop table sessions;
delete from users where email is null;
alter table users alter column email set not null;
