-- Up Migration
-- Who owns which upstream object. Ids, owners and timestamps only: never titles or content.
create table owned_objects (
  id text primary key,
  kind text not null check (kind in ('conversation', 'response', 'chat_completion')),
  user_id uuid not null references users (id) on delete cascade,
  -- the conversation a response was attached to (when it was)
  conversation_id text,
  created_at timestamptz not null,
  deleted_at timestamptz
);
create index owned_objects_listing_idx on owned_objects (user_id, kind, created_at desc, id desc) where deleted_at is null;

-- Usage counters per user, model and UTC day. Counts only.
create table usage_daily (
  user_id uuid not null references users (id) on delete cascade,
  day date not null,
  model text not null,
  requests bigint not null default 0,
  input_tokens bigint not null default 0,
  output_tokens bigint not null default 0,
  requests_without_usage bigint not null default 0,
  primary key (user_id, day, model)
);

-- Down Migration
drop table usage_daily;
drop table owned_objects;
