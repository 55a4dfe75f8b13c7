-- Up Migration
-- Owners of the upstream objects that request bodies may name (issue 18, finding 2): the items
-- of a user's responses and conversations (messages, reasoning, tool calls, MCP approval
-- requests), and the code-interpreter containers and files those items name. Recorded when
-- upstream reveals them to their owner; a body naming one is forwarded only for that owner.
-- Ids only, as for every other owned object.
alter table owned_objects drop constraint owned_objects_kind_check;
alter table owned_objects add constraint owned_objects_kind_check
  check (kind in ('conversation', 'response', 'chat_completion', 'item', 'container', 'file'));

-- Down Migration
delete from owned_objects where kind in ('item', 'container', 'file');
alter table owned_objects drop constraint owned_objects_kind_check;
alter table owned_objects add constraint owned_objects_kind_check
  check (kind in ('conversation', 'response', 'chat_completion'));
