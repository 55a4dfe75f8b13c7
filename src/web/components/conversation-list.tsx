// The signed-in user's conversations, newest first, a page at a time. Titles live upstream (in
// the conversation's metadata), so each visible row fetches its own lazily.
import { useEffect, useState } from 'preact/hooks';
import { getConversation, listConversations, type ConversationSummary } from '../api/chat-api.ts';
import { describeError } from '../api/http.ts';
import { onLinkClick } from '../lib/router.ts';

const titles = new Map<string, string>();

export function ConversationList({ currentId, version }: { currentId: string | null; version: number }) {
  const [items, setItems] = useState<ConversationSummary[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  const load = async (after?: string) => {
    setLoading(true);
    try {
      const page = await listConversations(after);
      setItems((prev) => (after ? [...prev, ...page.data] : page.data));
      setHasMore(!!page.has_more);
      setError(null);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => { void load(); }, [version]);

  return (
    <nav class="conversations" aria-label="Conversations">
      <a class="button wide primary" href="/" onClick={onLinkClick}>New conversation</a>
      {error && <p role="alert" class="error small">{error}</p>}
      <ul>
        {items.map((c) => (
          <li key={c.id}>
            <a href={`/c/${c.id}`} onClick={onLinkClick} aria-current={c.id === currentId ? 'page' : undefined} data-conversation-id={c.id}>
              <ConversationTitle c={c} />
              <time dateTime={new Date(c.created_at * 1000).toISOString()}>{new Date(c.created_at * 1000).toLocaleString()}</time>
            </a>
          </li>
        ))}
      </ul>
      {!loading && items.length === 0 && !error && <p class="muted small">No conversations yet.</p>}
      {hasMore && <button type="button" class="wide" disabled={loading} onClick={() => load(items[items.length - 1]?.id)}>Load older</button>}
    </nav>
  );
}

function ConversationTitle({ c }: { c: ConversationSummary }) {
  const [title, setTitle] = useState<string | null>(c.metadata?.title ?? titles.get(c.id) ?? null);
  useEffect(() => {
    if (title !== null) return;
    let live = true;
    getConversation(c.id).then((full) => {
      const t = full.metadata?.title || 'Untitled conversation';
      titles.set(c.id, t);
      if (live) setTitle(t);
    }, () => { if (live) setTitle('Conversation'); });
    return () => { live = false; };
  }, [c.id]);
  return <span class="title">{title ?? '…'}</span>;
}

/** Lets the chat page show a title it already knows without a round trip. */
export function rememberTitle(id: string, title: string): void {
  titles.set(id, title);
}
