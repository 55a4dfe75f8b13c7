// The signed-in user's conversation list, shared by the list (rename, pin, delete) and the chat
// (a new conversation appears at once, with its title).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { deleteConversation, listAllConversations, updateConversation, type ConversationMetadata, type ConversationSummary } from '../api/chat-api.ts';
import { describeError } from '../api/explain-error.ts';

export interface Conversations {
  items: ConversationSummary[];
  loading: boolean;
  error: string | null;
  reload(): Promise<void>;
  added(c: ConversationSummary): void;
  /** Replaces the metadata whole (title and pinned are both sent). */
  update(id: string, patch: ConversationMetadata): Promise<void>;
  remove(id: string): Promise<void>;
}

export function useConversations(): Conversations {
  const [items, setItemsState] = useState<ConversationSummary[]>([]);
  const current = useRef<ConversationSummary[]>([]);
  const setItems = useCallback((next: (xs: ConversationSummary[]) => ConversationSummary[]) => {
    current.current = next(current.current);
    setItemsState(current.current);
  }, []);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    setLoading(true);
    try {
      const all = await listAllConversations();
      setItems(() => all);
      setError(null);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setLoading(false);
    }
  }, [setItems]);
  useEffect(() => { void reload(); }, [reload]);

  const added = useCallback((c: ConversationSummary) => setItems((xs) => [c, ...xs.filter((x) => x.id !== c.id)]), []);

  const update = useCallback(async (id: string, patch: ConversationMetadata) => {
    const metadata = { ...(current.current.find((x) => x.id === id)?.metadata ?? {}), ...patch };
    setItems((xs) => xs.map((x) => (x.id === id ? { ...x, metadata } : x)));
    try {
      await updateConversation(id, metadata);
      setError(null);
    } catch (e) {
      setError(describeError(e));
      await reload();
    }
  }, [reload, setItems]);

  const remove = useCallback(async (id: string) => {
    try {
      await deleteConversation(id);
      setItems((xs) => xs.filter((x) => x.id !== id));
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }, [setItems]);

  return { items, loading, error, reload, added, update, remove };
}
