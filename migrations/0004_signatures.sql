-- Up Migration
-- Response signatures: the signed text (two sha256 hashes) captured when the reply is sent,
-- the signatures over it (made on first request, then kept), and who may read them. Never the
-- request or response bytes.
create table response_signatures (
  object_id text primary key,
  user_id uuid not null references users (id) on delete cascade,
  text text not null,
  ecdsa_signature text,
  ed25519_signature text,
  created_at timestamptz not null,
  expires_at timestamptz not null
);
create index response_signatures_expiry_idx on response_signatures (expires_at);

-- Down Migration
drop table response_signatures;
