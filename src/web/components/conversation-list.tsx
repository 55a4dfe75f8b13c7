// The signed-in user's conversations: search by title, pinned ones on top, then by day (local
// time). Titles come with the list (Cloister's sealed copy of each conversation's metadata), so
// there is one request for the whole list. On a phone the list is a drawer.
import { useEffect, useRef, useState } from 'preact/hooks';
import { groupConversations } from '../chat/conversation-groups.ts';
import type { Conversations } from '../chat/use-conversations.ts';
import { onLinkClick } from '../lib/router.ts';
import { ConversationRow, type RowActions } from './conversation-row.tsx';

export interface ConversationListProps {
  list: Conversations;
  currentId: string | null;
  /** the phone drawer is open */
  open: boolean;
  onClose(): void;
  onDeleted(id: string): void;
}

export function ConversationList({ list, currentId, open, onClose, onDeleted }: ConversationListProps) {
  const [query, setQuery] = useState('');
  const search = useRef<HTMLInputElement>(null);
  // the phone drawer takes the focus when it opens, so the keyboard (and Escape) work inside it
  useEffect(() => { if (open) search.current?.focus(); }, [open]);
  const groups = groupConversations(list.items, query);
  const actions: RowActions = {
    rename: (id, title) => void list.update(id, { title }),
    pin: (id, pinned) => void list.update(id, { pinned: pinned ? 'true' : undefined }),
    remove: (id) => void list.remove(id).then(() => onDeleted(id)),
    opened: onClose,
  };
  return (
    <>
      {open && <div class="drawer-backdrop" onClick={onClose} aria-hidden="true" />}
      <nav id="conversation-drawer" class={open ? 'conversations open' : 'conversations'} aria-label="Conversations"
        onKeyDown={(e) => { if (e.key === 'Escape' && open) onClose(); }}>
        <div class="drawer-head">
          <a class="button primary new-conv" href="/" onClick={(e) => { onLinkClick(e); onClose(); }}>New conversation</a>
          <button type="button" class="drawer-close" onClick={onClose} aria-label="Close conversations">×</button>
        </div>
        <label for="conv-search" class="visually-hidden">Search conversations</label>
        <input id="conv-search" ref={search} type="search" class="search" placeholder="Search titles" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        {list.error && <p role="alert" class="error small">{list.error}</p>}
        {groups.map((g) => (
          <section key={g.label} class="conv-group" aria-label={g.label}>
            <h2 class="group-label">{g.label}</h2>
            <ul>
              {g.items.map((c) => <ConversationRow key={c.id} c={c} current={c.id === currentId} actions={actions} />)}
            </ul>
          </section>
        ))}
        {!list.loading && list.items.length === 0 && !list.error && <p class="muted small">No conversations yet.</p>}
        {!list.loading && list.items.length > 0 && groups.length === 0 && <p class="muted small">No title matches “{query.trim()}”.</p>}
      </nav>
    </>
  );
}
