// Models and conversations (OpenAI shapes; the conversation list is Cloister's own, newest first).
import { api } from './http.ts';

export interface Model { id: string; owned_by?: string }
export interface ConversationSummary { id: string; created_at: number; metadata?: Record<string, string> | null }
export interface ListPage<T> { data: T[]; has_more?: boolean; last_id?: string | null }

export interface ChatMessage {
  /** local key; the upstream item id when loaded from the conversation */
  key: string;
  role: 'user' | 'assistant';
  text: string;
  /** for assistant replies produced in this tab: what is needed to verify the signature */
  exchange?: { responseId: string | null; requestBytes: Uint8Array; responseBytes: Uint8Array; completed: boolean };
  status?: 'streaming' | 'stopped' | 'error' | 'done';
  error?: string;
}

export async function listModels(): Promise<Model[]> {
  const page = await api<ListPage<Model>>('/v1/models');
  return [...page.data].sort((a, b) => a.id.localeCompare(b.id));
}

export function listConversations(after?: string, limit = 20): Promise<ListPage<ConversationSummary>> {
  const q = new URLSearchParams({ limit: String(limit) });
  if (after) q.set('after', after);
  return api<ListPage<ConversationSummary>>(`/v1/conversations?${q}`);
}

/** Creates the upstream conversation; the title lives upstream in its metadata, never in Cloister's database. */
export function createConversation(title: string): Promise<ConversationSummary> {
  return api<ConversationSummary>('/v1/conversations', { method: 'POST', body: { metadata: { title: title.slice(0, 60) } } });
}

export function getConversation(id: string): Promise<ConversationSummary> {
  return api<ConversationSummary>(`/v1/conversations/${encodeURIComponent(id)}`);
}

export function deleteConversation(id: string): Promise<unknown> {
  return api(`/v1/conversations/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

interface ConversationItem {
  id: string;
  type: string;
  role?: string;
  content?: Array<{ type: string; text?: string }>;
}

/** All message items of a conversation, oldest first. */
export async function loadMessages(conversationId: string): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [];
  let after: string | undefined;
  for (let page = 0; page < 50; page++) {
    const q = new URLSearchParams({ order: 'asc', limit: '100' });
    if (after) q.set('after', after);
    const res = await api<ListPage<ConversationItem>>(`/v1/conversations/${encodeURIComponent(conversationId)}/items?${q}`);
    for (const item of res.data) {
      if (item.type !== 'message' || (item.role !== 'user' && item.role !== 'assistant')) continue;
      const text = (item.content ?? []).map((c) => c.text ?? '').join('');
      out.push({ key: item.id, role: item.role, text, status: 'done' });
    }
    if (!res.has_more || res.data.length === 0) break;
    after = res.last_id ?? res.data[res.data.length - 1]!.id;
  }
  return out;
}
