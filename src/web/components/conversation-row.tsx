// One conversation in the list: its link, and rename (inline), pin and delete (after an inline
// confirmation) behind a small menu.
import { useEffect, useRef, useState } from 'preact/hooks';
import { TITLE_MAX, type ConversationSummary } from '../api/chat-api.ts';
import { isPinned, titleOf } from '../chat/conversation-groups.ts';
import { onLinkClick } from '../lib/router.ts';
import { MenuButton } from './menu-button.tsx';

export interface RowActions {
  rename(id: string, title: string): void;
  pin(id: string, pinned: boolean): void;
  remove(id: string): void;
  /** a row's link was followed (the phone drawer closes) */
  opened(): void;
}

export function ConversationRow({ c, current, actions }: { c: ConversationSummary; current: boolean; actions: RowActions }) {
  const title = titleOf(c);
  const [mode, setMode] = useState<'view' | 'rename' | 'confirm'>('view');
  const [draft, setDraft] = useState(title);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => { if (mode === 'rename') input.current?.select(); }, [mode]);
  const start = (m: 'rename' | 'confirm') => { setDraft(title); setMode(m); };
  const commit = () => {
    const t = draft.replace(/\s+/g, ' ').trim().slice(0, TITLE_MAX);
    setMode('view');
    if (t && t !== title) actions.rename(c.id, t);
  };

  if (mode === 'rename') {
    return (
      <li class="conv-row editing">
        <form onSubmit={(e) => { e.preventDefault(); commit(); }}>
          <label class="visually-hidden" for={`rename-${c.id}`}>New title</label>
          <input id={`rename-${c.id}`} ref={input} value={draft} maxLength={TITLE_MAX} onInput={(e) => setDraft(e.currentTarget.value)}
            onKeyDown={(e) => { if (e.key === 'Escape') { e.preventDefault(); setMode('view'); } }} onBlur={commit} />
        </form>
      </li>
    );
  }
  if (mode === 'confirm') {
    return (
      <li class="conv-row confirm" role="group" aria-label={`Delete ${title}?`}>
        <p class="small">Delete “{title}”? The model provider deletes it too. This cannot be undone.</p>
        <div class="row">
          <button type="button" class="small danger" onClick={() => { setMode('view'); actions.remove(c.id); }}>Delete</button>
          <button type="button" class="small" onClick={() => setMode('view')}>Cancel</button>
        </div>
      </li>
    );
  }
  return (
    <li class="conv-row">
      <a href={`/c/${c.id}`} onClick={(e) => { onLinkClick(e); actions.opened(); }} aria-current={current ? 'page' : undefined} data-conversation-id={c.id}>
        <span class="title">{isPinned(c) && <span class="pin-mark" aria-label="Pinned">★ </span>}{title}</span>
      </a>
      <MenuButton class="row-menu" label={`Actions for ${title}`} title="⋯">
        {(close) => (
          <>
            <button type="button" class="small" onClick={() => { close(); start('rename'); }}>Rename</button>
            <button type="button" class="small" onClick={() => { close(); actions.pin(c.id, !isPinned(c)); }}>{isPinned(c) ? 'Unpin' : 'Pin'}</button>
            <button type="button" class="small danger" onClick={() => { close(); start('confirm'); }}>Delete</button>
          </>
        )}
      </MenuButton>
    </li>
  );
}
