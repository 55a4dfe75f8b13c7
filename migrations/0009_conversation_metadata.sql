-- Up Migration
-- A sealed copy of each conversation's metadata (titles are content): AES-256-GCM under a key of
-- its own, bound to the owner and the conversation id, so GET /v1/conversations lists titles
-- without an upstream call per row. Never plaintext. The row goes (deleted, not marked) when the
-- conversation is deleted, and with the owner's ownership row or user row.
create table conversation_metadata (
  conversation_id text primary key references owned_objects (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  sealed bytea not null,
  updated_at timestamptz not null
);
create index conversation_metadata_user_idx on conversation_metadata (user_id);

-- Down Migration
drop table conversation_metadata;
